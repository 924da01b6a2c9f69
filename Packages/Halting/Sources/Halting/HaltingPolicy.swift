import Foundation

/// Decides, after each recurrence step, which of the examples still running stop.
///
/// The adaptive inference calls `shouldHalt` once per running example per step, with that
/// example's monitored distribution (and the previous step's) and the per-example `State` the
/// policy keeps; an example for which it returns true stops: its answer is this step's logits and
/// it leaves the working batch. Examples still running after `maxIterations` steps answer with the
/// last step's logits. A policy is a value; it holds its parameters, never per-run state.
///
/// A third party adds a policy by conforming to this protocol in their own package (and
/// registering a factory with the `loop` app); nothing here needs editing.
public protocol HaltingPolicy {
    /// Whatever the policy remembers about one example between steps (`Void` for most).
    associatedtype State = Void

    /// The registry name, the term researchers use (`entropy-kl`, `confidence`).
    var name: String { get }
    /// The parameters as given to the registry, in a stable order, for reports and logs.
    var parameters: [(key: String, value: ReportValue)] { get }
    /// The most recurrence steps an example may take.
    var maxIterations: Int { get }

    /// The state of an example before its first step.
    func initialState() -> State
    /// Whether the example whose step `distribution` describes stops after this step.
    func shouldHalt(_ distribution: MonitoredDistribution, state: inout State) -> Bool
    /// Which criterion made a halted example stop, for policies that combine criteria (nil:
    /// the policy does not record one).
    func haltDriver(_ state: State) -> HaltDriver?
}

extension HaltingPolicy where State == Void {
    public func initialState() -> State { () }
}

extension HaltingPolicy {
    public func haltDriver(_ state: State) -> HaltDriver? { nil }

    /// Whether `haltDriver` reports anything (the report then counts drivers per type).
    public var recordsHaltDriver: Bool { haltDriver(initialState()) != nil }

    /// `name(key=value, ...)`, e.g. `entropy-kl(eps_kl=0.001, threshold=3.0, min_iters=1, max_iters=16)`.
    public var summary: String {
        parameters.isEmpty ? name : "\(name)(" + parameters.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + ")"
    }

    /// The decision the policy makes for one example whose monitored logits after steps 1, 2, ...
    /// are `logitsPerStep` (at most `maxIterations` of them are read) — the same per-step logic as
    /// the adaptive inference, for hand-made distributions and logits recorded elsewhere.
    public func decide(logitsPerStep: [[Float]], sequenceLength: Int, example: Int = 0) -> HaltingDecision {
        var state = initialState()
        var previous: [Float]?
        let steps = min(logitsPerStep.count, maxIterations)
        precondition(steps > 0, "decide: no logits")
        for t in 0..<steps {
            let current = MonitoredDistribution.logSoftmax(logitsPerStep[t])
            let distribution = MonitoredDistribution(iteration: t, sequenceLength: sequenceLength, example: example,
                                                     logProbabilities: current[...], previousLogProbabilities: previous?[...])
            if shouldHalt(distribution, state: &state) {
                return HaltingDecision(iterations: t + 1, halted: true, driver: haltDriver(state) ?? .none,
                                       answer: MonitoredDistribution.argmax(logitsPerStep[t]))
            }
            previous = current
        }
        return HaltingDecision(iterations: steps, halted: false, driver: .none,
                               answer: MonitoredDistribution.argmax(logitsPerStep[steps - 1]))
    }
}

/// What a policy decided for one example.
public struct HaltingDecision: Equatable {
    /// Recurrence steps used (1-based): the step it halted at, or the maximum when it never did.
    public var iterations: Int
    public var halted: Bool
    /// The criterion that held last, for policies that record it; `.none` otherwise.
    public var driver: HaltDriver
    /// The argmax of the answering step's logits.
    public var answer: Int32

    public init(iterations: Int, halted: Bool, driver: HaltDriver, answer: Int32) {
        self.iterations = iterations
        self.halted = halted
        self.driver = driver
        self.answer = answer
    }
}

/// Which criterion of a combined rule was the last to hold when an example halted.
public enum HaltDriver: String, Codable, CaseIterable, Sendable {
    /// The KL condition first held at a later step than the entropy condition, or at the same one.
    case kl
    /// The entropy condition first held later.
    case entropy
    /// The example never halted.
    case none
}

/// One example's monitored distribution after one recurrence step: log-probabilities over the
/// vocabulary at the monitored position (log_softmax of the logits), and the previous step's.
///
/// The derived quantities are computed in Float from the log-probabilities, as PyTorch computes
/// the reference's rule: `p = exp(log p)`, `KL(p_t ‖ p_{t−1}) = Σ p_t (log p_t − log p_{t−1})`,
/// `H(p_t) = −Σ p_t log p_t`.
public struct MonitoredDistribution {
    /// 0-based recurrence step just completed.
    public let iteration: Int
    /// Padded length T of the batch (the `seq_len` of the length-aware threshold).
    public let sequenceLength: Int
    /// The example's index in the batch the pass started with.
    public let example: Int
    /// log p_t, one entry per vocabulary token.
    public let logProbabilities: ArraySlice<Float>
    /// log p_{t−1}; nil at the first step.
    public let previousLogProbabilities: ArraySlice<Float>?

    public init(iteration: Int, sequenceLength: Int, example: Int, logProbabilities: ArraySlice<Float>,
                previousLogProbabilities: ArraySlice<Float>?) {
        precondition(previousLogProbabilities == nil || previousLogProbabilities!.count == logProbabilities.count,
                     "MonitoredDistribution: the previous distribution has another size")
        self.iteration = iteration
        self.sequenceLength = sequenceLength
        self.example = example
        self.logProbabilities = logProbabilities
        self.previousLogProbabilities = previousLogProbabilities
    }

    /// Steps used so far, 1-based (`iteration + 1`).
    public var iterationsUsed: Int { iteration + 1 }

    /// H(p_t) = −Σ p_t log p_t, in nats.
    public var entropy: Float {
        var sum: Float = 0
        for lp in logProbabilities { sum += expf(lp) * lp }
        return -sum
    }

    /// KL(p_t ‖ p_{t−1}) = Σ p_t (log p_t − log p_{t−1}); nil at the first step.
    public var klFromPrevious: Float? {
        guard let previousLogProbabilities else { return nil }
        var sum: Float = 0
        var j = previousLogProbabilities.startIndex
        for lp in logProbabilities {
            sum += expf(lp) * (lp - previousLogProbabilities[j])
            j += 1
        }
        return sum
    }

    /// max_v p_t(v).
    public var topProbability: Float { expf(logProbabilities.max() ?? -.infinity) }

    /// log_softmax of one row of logits, in Float.
    public static func logSoftmax(_ logits: [Float]) -> [Float] {
        let m = logits.max() ?? 0
        var sum: Float = 0
        for x in logits { sum += expf(x - m) }
        let shift = m + logf(sum)
        return logits.map { $0 - shift }
    }

    /// Index of the first maximum, as `argmax` takes it.
    public static func argmax<C: Collection>(_ values: C) -> Int32 where C.Element == Float {
        var best: Float = 0, index = 0, i = 0
        for v in values {
            if i == 0 || v > best { best = v; index = i }
            i += 1
        }
        return Int32(index)
    }
}
