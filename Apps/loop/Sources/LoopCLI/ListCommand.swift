import ArgumentParser
import RecurrentDepth

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Every registered backend, schedule, halting policy and probe, with parameters and defaults.",
        discussion: "Select one with NAME or NAME:key=value,key=value, e.g. --halting entropy-kl:eps_kl=0.001,threshold=3"
    )

    func run() throws {
        let r = activeRegistry
        print(Self.describe(r.backends, title: "Backends", flag: "--backend"))
        print(Self.describe(r.schedules, title: "Recurrence schedules", flag: "--schedule"))
        print(Self.describe(r.halting, title: "Halting policies", flag: "loop eval --halting, loop train --eval-halting"))
        print(Self.describe(r.probes, title: "Probes", flag: "loop analyze --probe"))
    }

    static func describe<P>(_ table: ComponentTable<P>, title: String, flag: String) -> String {
        var lines = ["\(title) (\(flag)):"]
        for c in table.components {
            lines.append("  \(c.name) — \(c.description.summary)")
            for p in c.description.parameters {
                lines.append("      \(p.key)=\(p.defaultValue)  \(p.help)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
