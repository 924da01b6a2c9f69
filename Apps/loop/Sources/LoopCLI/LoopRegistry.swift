import Foundation
import TensorKit
import RecurrentDepth
import Halting
import Analysis

/// Everything `loop` can select by name: backends, recurrence schedules, halting policies and
/// probes. `LoopRegistry.standard` holds the workspace's own; a third party copies it, registers
/// theirs and passes it to `LoopCLI.main(registry:)`.
public struct LoopRegistry {
    public var backends = ComponentTable<any Backend>(kind: "backend")
    public var schedules = ComponentTable<any RecurrenceSchedule>(kind: "schedule")
    public var halting = ComponentTable<any HaltingPolicy>(kind: "halting policy")
    public var probes = ComponentTable<any Probe>(kind: "probe")

    public init() {}

    public static var standard: LoopRegistry {
        var r = LoopRegistry()
        r.backends.register(Component(name: "cpu", summary: "TensorKit's SIMD CPU backend, threaded",
                                      parameters: [ParameterSpec("threads", default: "0", "worker threads; 0: one per core (or TENSORKIT_THREADS)")]) { p in
            let threads = try p.int("threads")
            return threads > 0 ? CPUBackend(threads: threads) : CPUBackend.shared
        })
        r.backends.register(Component(name: "reference", summary: "plain scalar kernels (slow; for checking the fast ones)") { _ in
            ReferenceBackend()
        })
        r.schedules.register(Component(name: "fixed", summary: "the same recurrence r for every batch",
                                       parameters: [ParameterSpec("r", default: "4", "recurrence steps")]) { p in
            let r = try p.int("r")
            guard r >= 1 else { throw CLIError("schedule 'fixed': r must be at least 1 (got \(r))") }
            return FixedRecurrence(r)
        })
        r.schedules.register(Component(name: "dynamic", summary: "r ~ Poisson(mean) per batch, clamped to [min, max] (the reference's)",
                                       parameters: [ParameterSpec("mean", default: "4", "Poisson mean"),
                                                    ParameterSpec("min", default: "2", "smallest r"),
                                                    ParameterSpec("max", default: "8", "largest r (evaluation runs to it)")]) { p in
            let (mean, low, high) = (try p.double("mean"), try p.int("min"), try p.int("max"))
            guard mean > 0, low >= 1, high >= low else {
                throw CLIError("schedule 'dynamic': need mean > 0 and 1 ≤ min ≤ max (got mean \(mean), min \(low), max \(high))")
            }
            return DynamicRecurrence(mean: mean, minimum: low, maximum: high)
        })
        // Halting policies and probes come from their packages' own tables of names and defaults.
        for entry in HaltingPolicies.all {
            r.halting.register(Component(name: entry.name, summary: entry.description,
                                         parameters: entry.parameters.map { ParameterSpec($0.name, default: $0.defaultValue, $0.description) }) { p in
                try entry.make(p.values)
            })
        }
        for entry in ProbeRegistry.builtIn.entries {
            r.probes.register(probe: entry.description, make: entry.make)
        }
        return r
    }
}

extension ComponentTable where Product == any Probe {
    /// Registers a probe described the Analysis way (a third party's `RegisteredProbe` included).
    public mutating func register(probe description: ProbeDescription, make: @escaping ProbeRegistry.Factory) {
        register(Component(name: description.name, summary: description.summary,
                           parameters: description.parameters.map { ParameterSpec($0.name, default: $0.defaultValue, $0.help) }) { p in
            try make(try ProbeParameters(probe: description, values: p.values))
        })
    }

    public mutating func register<P: RegisteredProbe>(_ type: P.Type) {
        register(probe: P.description) { try P(parameters: $0) }
    }
}

extension ComponentTable where Product == any HaltingPolicy {
    /// Registers a halting policy from its name, summary, parameters and factory.
    public mutating func register(name: String, summary: String, parameters: [ParameterSpec],
                                  make: @escaping ([String: String]) throws -> any HaltingPolicy) {
        register(Component(name: name, summary: summary, parameters: parameters) { try make($0.values) })
    }
}
