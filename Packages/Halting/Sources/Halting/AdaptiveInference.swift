import TensorKit
import RecurrentDepth

/// What an adaptive run gives for each example of the batch.
public struct AdaptiveResult {
    /// The argmax of each example's answering logits.
    public var answers: [Int32]
    /// `[B, V]`: the monitored logits of the step each example stopped at (the last step if it never did).
    public var logits: Tensor
    /// Steps used per example, 1-based.
    public var iterations: [Int]
    /// Whether the policy stopped the example (false: it ran out of steps).
    public var halted: [Bool]
    /// The halt driver per example, when the policy records one.
    public var drivers: [HaltDriver]?
    /// Recurrence steps the forward pass ran (the deepest example's iterations).
    public var stepsRun: Int
    /// Example-steps computed: Σ over steps of the rows in the working batch — the compute spent,
    /// `B × stepsRun` when stopped examples are not dropped, `Σ iterations` when they are.
    public var rowSteps: Int
}

/// Runs the recurrence through the model's observer seam, asks the policy after every step, and
/// (by default) drops the examples it stops from the working batch, so later steps compute only
/// the examples still running. The reference instead keeps computing the whole batch until every
/// example has stopped; `dropsHaltedExamples: false` does that, with the same answers.
public struct AdaptiveInference {
    public let policy: any HaltingPolicy
    /// Steps at most: the policy's own `max_iters` unless overridden.
    public let maxIterations: Int
    public let dropsHaltedExamples: Bool

    public init(policy: any HaltingPolicy, maxIterations: Int? = nil, dropsHaltedExamples: Bool = true) throws {
        let limit = maxIterations ?? policy.maxIterations
        guard limit >= 1 else { throw HaltingError.invalidSetting("max iterations must be at least 1, got \(limit)") }
        self.policy = policy
        self.maxIterations = limit
        self.dropsHaltedExamples = dropsHaltedExamples
    }

    /// Answers one batch; runs without gradients.
    public func run(_ input: ModelInput, model: RecurrentGPT2) throws -> AdaptiveResult {
        try run(input, model: model, policy: policy)
    }

    private func run<P: HaltingPolicy>(_ input: ModelInput, model: RecurrentGPT2, policy: P) throws -> AdaptiveResult {
        let observer = HaltingObserver(policy: policy, maxIterations: maxIterations, drops: dropsHaltedExamples,
                                       batchSize: input.batchSize, sequenceLength: input.length, vocabularySize: model.config.vocabSize)
        let output = try withoutGrad { try model.run(input, recurrence: maxIterations, observer: observer) }
        let v = model.config.vocabSize
        var answers: [Int32] = []
        answers.reserveCapacity(input.batchSize)
        for e in 0..<input.batchSize { answers.append(MonitoredDistribution.argmax(observer.chosen[(e * v)..<((e + 1) * v)])) }
        return AdaptiveResult(answers: answers, logits: Tensor(shape: [input.batchSize, v], scalars: observer.chosen),
                              iterations: observer.iterations, halted: observer.halted,
                              drivers: policy.recordsHaltDriver ? observer.drivers : nil,
                              stepsRun: output.stepsRun, rowSteps: observer.rowSteps)
    }
}

/// The per-batch bookkeeping of an adaptive run: policy states, the previous step's
/// log-probabilities and each example's answer, all indexed by the example's batch index.
final class HaltingObserver<P: HaltingPolicy>: RecurrenceObserver {
    var readsMonitoredPositionsOnly: Bool { true }
    let policy: P
    let maxIterations: Int
    let drops: Bool
    let sequenceLength: Int
    let v: Int
    var states: [P.State]
    /// log p_{t−1} and log p_t rows, `[B × V]`, swapped after each step.
    var previous: [Float]
    var current: [Float]
    var chosen: [Float]
    var iterations: [Int]
    var halted: [Bool]
    var drivers: [HaltDriver]
    var done: [Bool]
    var remaining: Int
    var rowSteps = 0

    init(policy: P, maxIterations: Int, drops: Bool, batchSize b: Int, sequenceLength: Int, vocabularySize: Int) {
        self.policy = policy
        self.maxIterations = maxIterations
        self.drops = drops
        self.sequenceLength = sequenceLength
        v = vocabularySize
        states = Array(repeating: policy.initialState(), count: b)
        previous = Array(repeating: 0, count: b * v)
        current = previous
        chosen = previous
        iterations = Array(repeating: maxIterations, count: b)
        halted = Array(repeating: false, count: b)
        drivers = Array(repeating: .none, count: b)
        done = halted
        remaining = b
    }

    func recurrenceDidFinish(_ step: RecurrenceStep) -> Set<Int> {
        let logits = step.monitoredLogits()
        rowSteps += step.examples.count
        let raw = logits.scalars, logProbabilities = logits.logSoftmax().scalars
        let t = step.index, last = t + 1 >= maxIterations
        var stopped = Set<Int>()
        for (row, e) in step.examples.enumerated() where !done[e] {
            let rowRange = (row * v)..<((row + 1) * v), exampleRange = (e * v)..<((e + 1) * v)
            let distribution = MonitoredDistribution(iteration: t, sequenceLength: sequenceLength, example: e,
                                                     logProbabilities: logProbabilities[rowRange],
                                                     previousLogProbabilities: t > 0 ? previous[exampleRange] : nil)
            let stop = policy.shouldHalt(distribution, state: &states[e])
            if stop || last {
                chosen.replaceSubrange(exampleRange, with: raw[rowRange])
                iterations[e] = t + 1
                halted[e] = stop
                drivers[e] = stop ? (policy.haltDriver(states[e]) ?? .none) : .none
                done[e] = true
                remaining -= 1
                stopped.insert(e)
            } else {
                current.replaceSubrange(exampleRange, with: logProbabilities[rowRange])
            }
        }
        swap(&previous, &current)
        if drops { return stopped }
        // Like the reference: the whole batch keeps computing until every example has stopped.
        return remaining == 0 ? Set(step.examples) : []
    }
}

/// An `Evaluator` (RecurrentDepth's) that answers with adaptive halting, so the trainer can
/// evaluate a run with any policy.
public struct AdaptiveEvaluator: Evaluator {
    public let inference: AdaptiveInference
    public let caveat: String?

    public init(policy: any HaltingPolicy, maxIterations: Int? = nil, dropsHaltedExamples: Bool = true, caveat: String? = nil) throws {
        inference = try AdaptiveInference(policy: policy, maxIterations: maxIterations, dropsHaltedExamples: dropsHaltedExamples)
        self.caveat = caveat
    }

    /// The caveat of the reference's evaluation of dynamic-recurrence training runs: its numbers
    /// are what that halting rule answers, not the model's accuracy at a fixed r (at small scale the
    /// rule stops deep chains early).
    public static let referenceTrainingRule = "the reference's training-time halting rule, not a fixed r"

    /// How the reference evaluates dynamic-recurrence training runs: `entropy-kl-length` at its
    /// defaults with `max_iters` = the schedule's maximum, marked with `referenceTrainingRule`.
    /// (The reference's evaluation forward skipped input injection; this one runs the model as
    /// trained, and the trainer's records say whether injection was on.)
    public static func dynamicRecurrenceTraining(maxIterations: Int) throws -> AdaptiveEvaluator {
        try AdaptiveEvaluator(policy: LengthAwareEntropyKLHalting(maxIterations: maxIterations), caveat: referenceTrainingRule)
    }

    public func answer(_ input: ModelInput, model: RecurrentGPT2) throws -> BatchAnswers {
        let result = try inference.run(input, model: model)
        return BatchAnswers(answers: result.answers, iterations: result.iterations)
    }

    public var name: String { "adaptive(\(inference.policy.summary), max_iters \(inference.maxIterations))" }
}

/// How the reference evaluates a run during training, chosen by its schedule: at the training r
/// for a fixed schedule; with the length-aware entropy+KL rule at the schedule's maximum for any
/// other (`AdaptiveEvaluator.dynamicRecurrenceTraining`). `loop train`'s default.
public func referenceTrainingEvaluator(for schedule: any RecurrenceSchedule) throws -> any Evaluator {
    if let fixed = schedule as? FixedRecurrence { return FixedRecurrenceEvaluator(recurrence: fixed.r) }
    return try AdaptiveEvaluator.dynamicRecurrenceTraining(maxIterations: schedule.maximum)
}
