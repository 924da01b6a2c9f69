import LoopCLI
import Halting

extension LoopRegistry {
    /// loop's own components plus this package's probe and halting policy.
    public static var withCustomProbe: LoopRegistry {
        var registry = LoopRegistry.standard
        registry.probes.register(HiddenNormProbe.self)
        registry.halting.register(name: "patience", summary: "stop when the answer has not changed for k steps",
                                  parameters: [ParameterSpec("k", default: "2", "steps the answer must stay the same"),
                                               ParameterSpec("max_iters", default: "16", "most steps")]) { values in
            guard let k = Int(values["k"]!), k >= 1, let m = Int(values["max_iters"]!), m >= 1 else {
                throw CLIError("halting policy 'patience': k and max_iters must be positive integers (got k=\(values["k"]!), max_iters=\(values["max_iters"]!))")
            }
            return PatienceHalting(patience: k, maxIterations: m)
        }
        return registry
    }
}
