import ArgumentParser
import RecurrentDepth

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Every registered backend, schedule, halting policy and probe, with parameters and defaults.",
        discussion: """
        Select one with NAME or NAME:key=value,key=value, e.g. --halting entropy-kl:eps_kl=0.001,threshold=3

        --json prints {"backends", "schedules", "halting_policies", "probes"}, each a list of
        {"name", "summary", "parameters": [{"key", "default", "help"}]}.
        """
    )

    @Flag(help: "Print the registry as JSON.") var json = false

    /// `loop list --json`: one registry table.
    struct Entry: Encodable {
        struct Parameter: Encodable { var key: String; var `default`: String; var help: String }
        var name: String
        var summary: String
        var parameters: [Parameter]
    }

    struct Registry: Encodable {
        var backends, schedules, haltingPolicies, probes: [Entry]
        enum CodingKeys: String, CodingKey { case backends, schedules, probes, haltingPolicies = "halting_policies" }
    }

    func run() throws {
        let r = activeRegistry
        if json {
            try Console.printJSON(Registry(backends: Self.entries(r.backends), schedules: Self.entries(r.schedules),
                                           haltingPolicies: Self.entries(r.halting), probes: Self.entries(r.probes)))
            return
        }
        print(Self.describe(r.backends, title: "Backends", flag: "--backend"))
        print(Self.describe(r.schedules, title: "Recurrence schedules", flag: "--schedule"))
        print(Self.describe(r.halting, title: "Halting policies", flag: "loop eval --halting, loop train --eval-halting"))
        print(Self.describe(r.probes, title: "Probes", flag: "loop analyze --probe"))
    }

    static func entries<P>(_ table: ComponentTable<P>) -> [Entry] {
        table.descriptions.map { d in
            Entry(name: d.name, summary: d.summary, parameters: d.parameters.map { .init(key: $0.key, default: $0.defaultValue, help: $0.help) })
        }
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
