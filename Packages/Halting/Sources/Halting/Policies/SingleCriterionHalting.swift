import RecurrentDepth

/// `kl`: KL alone — stop once the distribution stops moving, `KL(p_t ‖ p_{t−1}) < eps_kl` at a step
/// t ≥ 1 with `t + 1 ≥ min_iters` (the early-exit criterion of recurrent-depth language models).
public struct KLHalting: RegisteredHaltingPolicy {
    public static let registryName = "kl"
    public static let description = ComponentDescription(
        name: registryName, summary: "stop at the first step t ≥ 1 with KL(p_t‖p_{t−1}) < eps_kl", parameters: KLHalting().parameterSpecs())
    public let epsKL: Float
    public let minIterations: Int
    public let maxIterations: Int

    public init(epsKL: Float = 0.001, minIterations: Int = 1, maxIterations: Int = 16) {
        precondition(minIterations >= 1 && maxIterations >= minIterations, "kl: need 1 ≤ min_iters ≤ max_iters")
        self.epsKL = epsKL
        self.minIterations = minIterations
        self.maxIterations = maxIterations
    }

    public init(parameters: Parameters) throws {
        let eps = try parameters.positive("eps_kl")
        let (minIters, maxIters) = try parameters.iterationLimits()
        self.init(epsKL: eps, minIterations: minIters, maxIterations: maxIters)
    }

    public var name: String { Self.registryName }
    public var parameters: [(key: String, value: ReportValue)] {
        [("eps_kl", .float(epsKL)), ("min_iters", .int(minIterations)), ("max_iters", .int(maxIterations))]
    }

    public func shouldHalt(_ distribution: MonitoredDistribution, state: inout Void) -> Bool {
        guard distribution.iterationsUsed >= minIterations, let kl = distribution.klFromPrevious else { return false }
        return kl < epsKL
    }
}

/// `entropy`: entropy alone — stop once the model is sure enough, `H(p_t) < threshold` (strict),
/// from the first step on (it needs no previous distribution) once `t + 1 ≥ min_iters`.
public struct EntropyHalting: RegisteredHaltingPolicy {
    public static let registryName = "entropy"
    public static let description = ComponentDescription(
        name: registryName, summary: "stop at the first step with H(p_t) < threshold", parameters: EntropyHalting().parameterSpecs())
    public let threshold: Float
    public let minIterations: Int
    public let maxIterations: Int

    public init(threshold: Float = 3.0, minIterations: Int = 1, maxIterations: Int = 16) {
        precondition(minIterations >= 1 && maxIterations >= minIterations, "entropy: need 1 ≤ min_iters ≤ max_iters")
        self.threshold = threshold
        self.minIterations = minIterations
        self.maxIterations = maxIterations
    }

    public init(parameters: Parameters) throws {
        let threshold = try parameters.positive("threshold")
        let (minIters, maxIters) = try parameters.iterationLimits()
        self.init(threshold: threshold, minIterations: minIters, maxIterations: maxIters)
    }

    public var name: String { Self.registryName }
    public var parameters: [(key: String, value: ReportValue)] {
        [("threshold", .float(threshold)), ("min_iters", .int(minIterations)), ("max_iters", .int(maxIterations))]
    }

    public func shouldHalt(_ distribution: MonitoredDistribution, state: inout Void) -> Bool {
        distribution.iterationsUsed >= minIterations && distribution.entropy < threshold
    }
}

/// `confidence`: stop once the top probability reaches τ, `max_v p_t(v) ≥ tau` (inclusive), from the
/// first step on once `t + 1 ≥ min_iters`.
public struct ConfidenceHalting: RegisteredHaltingPolicy {
    public static let registryName = "confidence"
    public static let description = ComponentDescription(
        name: registryName, summary: "stop at the first step whose top probability is ≥ tau", parameters: ConfidenceHalting().parameterSpecs())
    public let tau: Float
    public let minIterations: Int
    public let maxIterations: Int

    public init(tau: Float = 0.9, minIterations: Int = 1, maxIterations: Int = 16) {
        precondition(minIterations >= 1 && maxIterations >= minIterations, "confidence: need 1 ≤ min_iters ≤ max_iters")
        self.tau = tau
        self.minIterations = minIterations
        self.maxIterations = maxIterations
    }

    public init(parameters: Parameters) throws {
        let tau: Float = try parameters.number("tau") { $0 > 0 && $0 <= 1 ? nil : "must be in (0, 1]" }
        let (minIters, maxIters) = try parameters.iterationLimits()
        self.init(tau: tau, minIterations: minIters, maxIterations: maxIters)
    }

    public var name: String { Self.registryName }
    public var parameters: [(key: String, value: ReportValue)] {
        [("tau", .float(tau)), ("min_iters", .int(minIterations)), ("max_iters", .int(maxIterations))]
    }

    public func shouldHalt(_ distribution: MonitoredDistribution, state: inout Void) -> Bool {
        distribution.iterationsUsed >= minIterations && distribution.topProbability >= tau
    }
}
