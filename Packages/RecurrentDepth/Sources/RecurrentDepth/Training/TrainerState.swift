import KnowledgeGraph
import TensorKit

/// Where a run is, saved with every checkpoint as `trainer_state.json` so that a resumed run
/// continues exactly: the same batches, dropout masks and recurrences as if it never stopped.
public struct TrainerState: Codable, Equatable {
    /// Optimizer steps taken in the whole run.
    public var step = 0
    /// Epochs completed in the whole run (across stages).
    public var epoch = 0
    /// Curriculum stage (deepest hop count trained), nil without a curriculum.
    public var stage: Int?
    /// Steps taken in the current stage (the learning-rate schedule restarts at each stage).
    public var stageStep = 0
    /// Batches of the current epoch already trained.
    public var batchInEpoch = 0
    /// The shuffle generator as it was when the current epoch's order was drawn.
    public var epochShuffleState: SeededGenerator
    /// Draws the recurrence of each batch.
    public var scheduleGenerator: RandomGenerator
    /// Draws the dropout masks.
    public var dropoutGenerator: RandomGenerator
    /// Seconds of training so far, summed over every `run()` of the run (it continues across resumes).
    public var elapsedSeconds = 0.0
    /// The latest accuracy per test type (0...1).
    public var latestAccuracy: [String: Double] = [:]
    /// True once the curriculum has passed its last stage (a limit does not finish a run: resuming
    /// with a higher limit goes on).
    public var finished = false
    /// The training steps since the last training record, whose means the next record logs; saved
    /// so that a resumed run logs the same numbers as an uninterrupted one. Nil in older checkpoints.
    public var lossWindow: LossWindow?
    /// The factor on the scheduled learning rate: halved by each rollback after a divergence
    /// (nil: 1, never rolled back).
    public var learningRateScale: Double?
    /// Rollbacks after a divergence so far (nil: none).
    public var rollbacks: Int?

    public init(seed: UInt64, stage: Int?) {
        var root = RandomGenerator(seed: seed)
        epochShuffleState = SeededGenerator(seed: root.next())
        scheduleGenerator = root.fork()
        dropoutGenerator = root.fork()
        self.stage = stage
    }
}

/// Sums over the training steps since the last training record.
public struct LossWindow: Codable, Equatable {
    public var loss = 0.0, r = 0.0, regularizer = 0.0
    public var count = 0
    public init() {}
}

/// One line of the metrics log (`metrics.jsonl`): a training-loss report every few steps
/// (`kind` "train"), every evaluation (`kind` "eval", with accuracy per test type, 0...1), and
/// every rollback after a divergence (`kind` "rollback": the step rolled back to, the new learning rate).
public struct MetricsRecord: Codable, Equatable {
    public var kind: String
    public var step: Int
    public var epoch: Int
    public var stage: Int?
    /// Mean training loss since the previous record.
    public var loss: Double?
    public var lr: Double
    /// Mean recurrence used by the training batches since the previous record.
    public var r: Double?
    /// Training records of a run with a looping regularizer: the mean of its term −λ·R over the
    /// steps since the previous record (`LoopingRegularizer`; not included in `loss`).
    public var regularizer: Double? = nil
    public var accuracy: [String: Double]?
    /// Number of evaluated examples per type.
    public var count: [String: Int]?
    /// Mean recurrence steps used per type in evaluation.
    public var iterations: [String: Double]?
    /// Evaluation records of language-modelling runs (next-token loss over every position):
    /// perplexity per type at the evaluator's recurrence.
    public var perplexity: [String: Double]? = nil
    /// Evaluation records: the split evaluated (`TrainingConfig.testFile`: `test`, `test_small`, …);
    /// absent from logs written before it was recorded.
    public var split: String? = nil
    public var evaluator: String?
    /// Evaluation records: the evaluator's caveat (`Evaluator.caveat`), when it has one.
    public var caveat: String? = nil
    /// Evaluation records: whether the evaluation's forward pass added the input injection (loop's
    /// always does when the model has it; the reference's evaluation of dynamic-recurrence runs
    /// skipped it, so for such a model its numbers are not these).
    public var injection: Bool? = nil
    public var elapsed: Double

    /// The mark printed with an evaluation's numbers: the caveat, and with it whether the input
    /// injection the reference's training-time evaluation skipped was applied; nil when there is no caveat.
    public var mark: String? { Self.mark(caveat: caveat, injection: injection ?? false) }

    public static func mark(caveat: String?, injection: Bool) -> String? {
        caveat.map { $0 + (injection ? "; input injection on, which the reference's evaluation skipped" : "") }
    }
}
