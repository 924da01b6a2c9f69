import RecurrentDepth

/// `entropy-kl`: the reference's adaptive halting ("Loop, Think & Generalize", inference). An
/// example stops at the first step t ≥ 1 (0-based) with `t + 1 ≥ min_iters`,
/// `KL(p_t ‖ p_{t−1}) < eps_kl` and `H(p_t) < threshold` — both strict.
public struct EntropyKLHalting: RegisteredHaltingPolicy {
    public static let registryName = "entropy-kl"
    public static let description = ComponentDescription(
        name: registryName, summary: "the reference's rule: stop at the first step t ≥ 1 with KL(p_t‖p_{t−1}) < eps_kl and H(p_t) < threshold",
        parameters: EntropyKLHalting().parameterSpecs())
    public let epsKL: Float
    public let threshold: Float
    public let minIterations: Int
    public let maxIterations: Int

    /// The defaults — the registry's too — are the reference's reported runs.
    public init(epsKL: Float = 0.001, threshold: Float = 3.0, minIterations: Int = 1, maxIterations: Int = 16) {
        precondition(minIterations >= 1 && maxIterations >= minIterations, "entropy-kl: need 1 ≤ min_iters ≤ max_iters")
        self.epsKL = epsKL
        self.threshold = threshold
        self.minIterations = minIterations
        self.maxIterations = maxIterations
    }

    public init(parameters: Parameters) throws {
        let (eps, threshold) = (try parameters.positive("eps_kl"), try parameters.positive("threshold"))
        let (minIters, maxIters) = try parameters.iterationLimits()
        self.init(epsKL: eps, threshold: threshold, minIterations: minIters, maxIterations: maxIters)
    }

    public var name: String { Self.registryName }
    public var parameters: [(key: String, value: ReportValue)] {
        [("eps_kl", .float(epsKL)), ("threshold", .float(threshold)), ("min_iters", .int(minIterations)), ("max_iters", .int(maxIterations))]
    }

    public func shouldHalt(_ distribution: MonitoredDistribution, state: inout Void) -> Bool {
        guard distribution.iterationsUsed >= minIterations, let kl = distribution.klFromPrevious else { return false }
        return kl < epsKL && distribution.entropy < threshold
    }
}

/// `entropy-kl-length`: the entropy+KL rule with the length-aware threshold `H0 + H1 / seq_len`
/// (`seq_len` the batch's padded length), as the reference evaluates dynamic-recurrence training
/// runs (its settings are the initializer's defaults, with max_iters the schedule's maximum). It
/// also records the halt driver: the criterion that was the last to start holding (each
/// criterion's first step is the first t ≥ 1 at which it held, whether or not it held
/// continuously afterwards).
public struct LengthAwareEntropyKLHalting: RegisteredHaltingPolicy {
    public static let registryName = "entropy-kl-length"
    public static let description = ComponentDescription(
        name: registryName, summary: "entropy-kl with threshold H0 + H1 / seq_len (seq_len: the batch's padded length); records the halt driver",
        parameters: LengthAwareEntropyKLHalting().parameterSpecs())
    public let epsKL: Float
    public let h0: Double
    public let h1: Double
    public let minIterations: Int
    public let maxIterations: Int

    public struct State {
        /// First step (0-based) at which each condition held.
        public var firstKL: Int?
        public var firstEntropy: Int?
        public var halted = false
    }

    public init(epsKL: Float = 0.5, h0: Double = 3, h1: Double = 12, minIterations: Int = 1, maxIterations: Int = 8) {
        precondition(minIterations >= 1 && maxIterations >= minIterations, "entropy-kl-length: need 1 ≤ min_iters ≤ max_iters")
        self.epsKL = epsKL
        self.h0 = h0
        self.h1 = h1
        self.minIterations = minIterations
        self.maxIterations = maxIterations
    }

    public init(parameters: Parameters) throws {
        let eps = try parameters.positive("eps_kl")
        let h0: Float = try parameters.number("h0") { $0 >= 0 ? nil : "must not be negative" }
        let h1: Float = try parameters.number("h1") { $0 >= 0 ? nil : "must not be negative" }
        let (minIters, maxIters) = try parameters.iterationLimits()
        self.init(epsKL: eps, h0: Double(h0), h1: Double(h1), minIterations: minIters, maxIterations: maxIters)
    }

    public var name: String { Self.registryName }
    public var parameters: [(key: String, value: ReportValue)] {
        [("eps_kl", .float(epsKL)), ("h0", .double(h0)), ("h1", .double(h1)), ("min_iters", .int(minIterations)),
         ("max_iters", .int(maxIterations))]
    }

    /// The entropy threshold for a padded length, computed in Double (Python floats) and then
    /// compared in Float, as PyTorch compares a float32 tensor with a Python scalar.
    public func threshold(sequenceLength: Int) -> Float { Float(h0 + h1 / Double(sequenceLength)) }

    public func initialState() -> State { State() }

    public func shouldHalt(_ distribution: MonitoredDistribution, state: inout State) -> Bool {
        guard let kl = distribution.klFromPrevious else { return false }
        let t = distribution.iteration
        let klHolds = kl < epsKL
        let entropyHolds = distribution.entropy < threshold(sequenceLength: distribution.sequenceLength)
        if klHolds && state.firstKL == nil { state.firstKL = t }
        if entropyHolds && state.firstEntropy == nil { state.firstEntropy = t }
        state.halted = distribution.iterationsUsed >= minIterations && klHolds && entropyHolds
        return state.halted
    }

    public func haltDriver(_ state: State) -> HaltDriver? {
        guard state.halted, let kl = state.firstKL, let entropy = state.firstEntropy else { return HaltDriver.none }
        return kl >= entropy ? .kl : .entropy
    }
}
