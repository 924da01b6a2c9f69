import TensorKit

/// The answers a model gives to one batch, and how many recurrence steps each took.
public struct BatchAnswers {
    /// The argmax token at each read position (`ModelInput.readPositions`): one per example unless
    /// the input reads spans.
    public var answers: [Int32]
    public var iterations: [Int]

    public init(answers: [Int32], iterations: [Int]) {
        self.answers = answers
        self.iterations = iterations
    }
}

/// Decides how the trainer (and anyone else) reads a model's answers: fixed recurrence here;
/// adaptive halting policies (the Halting package) conform too, so the trainer evaluates a
/// dynamic-recurrence run with the reference's entropy+KL rule without this package knowing it.
public protocol Evaluator {
    /// The argmax answer at each example's monitored position. Runs without gradients.
    func answer(_ input: ModelInput, model: RecurrentGPT2) throws -> BatchAnswers
    /// For logs, e.g. `fixed(4)`.
    var name: String { get }
    /// What a reader must know about this evaluator's numbers, logged and printed with them: e.g.
    /// that they come from the reference's training-time halting rule, not from a fixed r. nil: nothing.
    var caveat: String? { get }
}

extension Evaluator {
    public var caveat: String? { nil }
}

/// Runs every example for exactly `recurrence` steps.
public struct FixedRecurrenceEvaluator: Evaluator {
    public let recurrence: Int

    public init(recurrence: Int) { self.recurrence = recurrence }

    public func answer(_ input: ModelInput, model: RecurrentGPT2) throws -> BatchAnswers {
        let logits = try withoutGrad { try model.monitoredLogits(input, recurrence: recurrence) }
        return BatchAnswers(answers: logits.argmax(axis: -1).ids, iterations: Array(repeating: recurrence, count: input.batchSize))
    }

    public var name: String { "fixed(\(recurrence))" }
}
