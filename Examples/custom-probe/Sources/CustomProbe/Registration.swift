import LoopCLI
import Analysis
import Halting

extension LoopRegistry {
    /// loop's own components plus this package's probe and halting policy.
    public static var withCustomProbe: LoopRegistry {
        var registry = LoopRegistry.standard
        registry.probes.register(HiddenNormProbe.component)
        registry.halting.register(PatienceHalting.component)
        return registry
    }
}
