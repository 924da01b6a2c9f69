/// `kl`: KL alone — stop once the distribution stops moving, `KL(p_t ‖ p_{t−1}) < eps_kl` at a step
/// t ≥ 1 with `t + 1 ≥ min_iters` (the early-exit criterion of recurrent-depth language models).
public struct KLHalting: HaltingPolicy {
    public static let registryName = "kl"
    public let epsKL: Float
    public let minIterations: Int
    public let maxIterations: Int

    public init(epsKL: Float = 0.001, minIterations: Int = 1, maxIterations: Int = 16) {
        precondition(minIterations >= 1 && maxIterations >= minIterations, "kl: need 1 ≤ min_iters ≤ max_iters")
        self.epsKL = epsKL
        self.minIterations = minIterations
        self.maxIterations = maxIterations
    }

    /// Parameters: `eps_kl` (0.001), `min_iters` (1), `max_iters` (16).
    public init(parameters: [String: String]) throws {
        let reader = try ParameterReader(policy: Self.registryName, parameters: parameters, known: ["eps_kl", "min_iters", "max_iters"])
        let eps = try reader.float("eps_kl", default: 0.001) { $0 > 0 ? nil : "must be positive" }
        let (minIters, maxIters) = try reader.iterationLimits(maximum: 16)
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
public struct EntropyHalting: HaltingPolicy {
    public static let registryName = "entropy"
    public let threshold: Float
    public let minIterations: Int
    public let maxIterations: Int

    public init(threshold: Float = 3.0, minIterations: Int = 1, maxIterations: Int = 16) {
        precondition(minIterations >= 1 && maxIterations >= minIterations, "entropy: need 1 ≤ min_iters ≤ max_iters")
        self.threshold = threshold
        self.minIterations = minIterations
        self.maxIterations = maxIterations
    }

    /// Parameters: `threshold` (3.0, nats), `min_iters` (1), `max_iters` (16).
    public init(parameters: [String: String]) throws {
        let reader = try ParameterReader(policy: Self.registryName, parameters: parameters, known: ["threshold", "min_iters", "max_iters"])
        let threshold = try reader.float("threshold", default: 3.0) { $0 > 0 ? nil : "must be positive" }
        let (minIters, maxIters) = try reader.iterationLimits(maximum: 16)
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
public struct ConfidenceHalting: HaltingPolicy {
    public static let registryName = "confidence"
    public let tau: Float
    public let minIterations: Int
    public let maxIterations: Int

    public init(tau: Float = 0.9, minIterations: Int = 1, maxIterations: Int = 16) {
        precondition(minIterations >= 1 && maxIterations >= minIterations, "confidence: need 1 ≤ min_iters ≤ max_iters")
        self.tau = tau
        self.minIterations = minIterations
        self.maxIterations = maxIterations
    }

    /// Parameters: `tau` (0.9, in (0, 1]), `min_iters` (1), `max_iters` (16).
    public init(parameters: [String: String]) throws {
        let reader = try ParameterReader(policy: Self.registryName, parameters: parameters, known: ["tau", "min_iters", "max_iters"])
        let tau = try reader.float("tau", default: 0.9) { $0 > 0 && $0 <= 1 ? nil : "must be in (0, 1]" }
        let (minIters, maxIters) = try reader.iterationLimits(maximum: 16)
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
