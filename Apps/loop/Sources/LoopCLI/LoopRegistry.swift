import Foundation
import TensorKit
import RecurrentDepth
import Halting
import Analysis

/// Everything `loop` can select by name: backends, recurrence schedules, halting policies and
/// probes, each a `ComponentTable` (RecurrentDepth's) written `NAME` or `NAME:key=value,...`.
/// `LoopRegistry.standard` holds the backends and each package's built-in components; a third party
/// copies it, registers theirs and passes it to `LoopCLI.main(registry:)`.
public struct LoopRegistry {
    public var backends = ComponentTable<any Backend>(kind: "backend")
    public var schedules = ScheduleRegistry(kind: "schedule")
    public var halting = HaltingPolicyRegistry(kind: "halting policy")
    public var probes = ProbeRegistry(kind: "probe")

    public init() {}

    public static var standard: LoopRegistry {
        var r = LoopRegistry()
        r.backends.register(Component(name: "cpu", summary: "TensorKit's SIMD CPU backend, threaded",
                                      parameters: [ParameterSpec("threads", default: "0", "worker threads; 0: one per core (or TENSORKIT_THREADS)")]) { p in
            let threads = try p.number("threads", as: Int.self)
            return threads > 0 ? CPUBackend(threads: threads) : CPUBackend.shared
        })
        r.backends.register(Component(name: "reference", summary: "plain scalar kernels (slow; for checking the fast ones)") { _ in
            ReferenceBackend()
        })
        // Schedules, halting policies and probes come with their packages' names and defaults.
        r.schedules = .builtIn
        r.halting = .builtIn
        r.probes = .builtIn
        return r
    }
}
