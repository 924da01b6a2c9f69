import Foundation
import KnowledgeGraph

/// The hop curriculum of the depth-extrapolation task: stage k trains on atomic facts and every
/// chain of ≤ k hops and moves on once the k-hop test accuracy exceeds `threshold`.
public struct CurriculumConfig: Codable, Equatable, Sendable {
    /// The reference's first stage: 2 hops. The per-stage learning rate counts stages from it.
    public static let referenceFirstHop = 2

    public var firstHop: Int
    public var lastHop: Int
    /// Fraction (0...1) of k-hop test examples answered right that ends stage k.
    public var threshold: Double
    /// Stage changes wait until the run's epoch (counted across stages) reaches this ("force grok").
    public var forceGrokEpochs: Int
    /// Per-stage learning rate `max(base · γ^(k − 2), minimum)`; nil keeps the base rate.
    public var learningRateDecay: Double?
    public var minimumLearningRate: Double
    /// The test type whose accuracy decides stage k; `{k}` is replaced by k.
    public var stageTestType: String = "{k}hop_test"

    /// The defaults are the reference's.
    public init(firstHop: Int = referenceFirstHop, lastHop: Int = 40, threshold: Double = 0.95, forceGrokEpochs: Int = 0,
                learningRateDecay: Double? = nil, minimumLearningRate: Double = 0) {
        self.firstHop = firstHop
        self.lastHop = lastHop
        self.threshold = threshold
        self.forceGrokEpochs = forceGrokEpochs
        self.learningRateDecay = learningRateDecay
        self.minimumLearningRate = minimumLearningRate
    }

    /// Stage k's peak rate, `max(base · γ^(k − 2), minimum)`. The exponent counts from 2, the
    /// reference's first hop, whatever stage this run starts at (`firstHop`), as the reference
    /// computes it: a run that starts at stage 3 trains its first stage at `base · γ`.
    public func learningRate(base: Double, stage: Int) -> Double {
        guard let γ = learningRateDecay else { return base }
        return max(base * pow(γ, Double(stage - Self.referenceFirstHop)), minimumLearningRate)
    }

    public func testType(stage: Int) -> String { stageTestType.replacingOccurrences(of: "{k}", with: String(stage)) }
}

/// Everything the trainer needs besides the model, the data and the recurrence schedule. The
/// defaults are the reference's, declared here once (the `loop` app's settings and help read them);
/// `extrapolation` and `systematicity` are its two tasks' settings.
public struct TrainingConfig: Codable, Equatable, Sendable {
    public var learningRate: Double = 1e-4
    public var weightDecay: Double = 0.01
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    public var epsilon: Double = 1e-8
    public var warmupSteps: Int = 2000
    /// The decay horizon is `steps_per_epoch × epochs` (per stage with a curriculum); the
    /// reference's 100 001 makes the rate flat after warmup in practice.
    public var epochs: Int = 100_001
    public var labelSmoothing: Float = 0
    /// Clip the global gradient norm to this; nil does not clip.
    public var clipNorm: Double?
    public var batchSize: Int = 128
    public var predictionPosition: PredictionPosition = .lastToken
    /// What the loss trains: the answer's tokens (teacher forcing when there are several) or, for
    /// language modelling, every next token of input and answer (`Targets`).
    public var targets: Targets = .answer
    /// KnowledgeGraph's padding: to a fixed `max_len` (the extrapolation task's 50) or to the longest in each batch.
    public var padding: Padding = .fixed(50)
    /// Cut sequences longer than the fixed padding instead of failing (the reference cuts silently).
    public var truncate: Bool = false
    /// Backpropagate through only the last k recurrence steps; nil: through all of them.
    public var gradientSteps: Int?
    /// Move each training example right by a random 0...N leading pad columns (at most what keeps
    /// the answer column, the batch's last, free). Every position of the padded length is then
    /// trained and only the tokens' relative order stays fixed, which position embeddings need to
    /// answer chains longer than the trained ones. Evaluation is not shifted. nil: no shift, as the
    /// reference. Needs `last_token`.
    public var positionShift: Int?
    /// The looping-inspired regularizer (`LoopingRegularizer`, Saunshi et al. 2025): at every step
    /// the gradient of its term −λ·R is added to the data loss's, pulling groups of k blocks towards
    /// one looped block. nil: none, as the reference.
    public var loopingRegularizer: LoopingRegularizer?
    public var curriculum: CurriculumConfig?
    /// Evaluate every this many epochs...
    public var evaluateEveryEpochs: Int = 1
    /// ...and, for very large epochs, also every this many steps.
    public var evaluateEverySteps: Int?
    public var evaluationBatchSize: Int = 512
    /// The test file of the dataset, evaluated per type.
    public var testFile: String = "test"
    /// Write `checkpoints/epoch-N` every this many epochs; nil: only at stage changes, interrupts and the end.
    public var checkpointEveryEpochs: Int?
    /// Also write `checkpoints/latest` once this many minutes of wall time have passed since the
    /// last checkpoint (so a run killed without warning loses at most that much); nil or 0: never.
    public var checkpointEveryMinutes: Double? = 5
    /// Also write `checkpoints/latest` every this many steps.
    public var checkpointEverySteps: Int?
    /// What a NaN or infinite loss does: stop the run or roll back (nil, in configs saved before
    /// the setting existed: stop).
    public var onDivergence: DivergencePolicy? = .stop
    /// Log the training loss every this many steps (besides every evaluation).
    public var logEverySteps: Int = 100
    public var maxSteps: Int?
    public var maxEpochs: Int?
    public var maxMinutes: Double?
    public var seed: UInt64 = 0

    public init() {}

    /// The reference's depth-extrapolation settings: the defaults above (among them the fixed
    /// padding) with the hop curriculum at `CurriculumConfig`'s defaults.
    public static var extrapolation: TrainingConfig {
        var config = TrainingConfig()
        config.curriculum = CurriculumConfig()
        return config
    }

    /// The reference's systematicity settings: the defaults above with more weight decay, label
    /// smoothing, padding to the longest sequence of each batch, and no curriculum.
    public static var systematicity: TrainingConfig {
        var config = TrainingConfig()
        config.weightDecay = 0.1
        config.labelSmoothing = 0.1
        config.padding = .longest
        return config
    }

    /// Every problem with the settings, one message each.
    public var problems: [String] {
        var found: [String] = []
        if !(learningRate > 0) { found.append("learning rate must be positive (got \(learningRate))") }
        if weightDecay < 0 { found.append("weight decay must not be negative (got \(weightDecay))") }
        if warmupSteps < 0 { found.append("warmup steps must not be negative (got \(warmupSteps))") }
        if epochs < 1 { found.append("epochs must be at least 1 (got \(epochs))") }
        if !(0..<1).contains(labelSmoothing) { found.append("label smoothing must be in [0, 1) (got \(labelSmoothing))") }
        if let c = clipNorm, !(c > 0) { found.append("clip norm must be positive (got \(c))") }
        if batchSize < 1 { found.append("batch size must be at least 1 (got \(batchSize))") }
        if evaluationBatchSize < 1 { found.append("evaluation batch size must be at least 1 (got \(evaluationBatchSize))") }
        if case let .fixed(n) = padding, n < 1 { found.append("max_len must be at least 1 (got \(n))") }
        if let k = gradientSteps, k < 1 { found.append("gradient steps must be at least 1 (got \(k))") }
        if let n = positionShift {
            if n < 0 { found.append("position shift must not be negative (got \(n))") }
            if predictionPosition != .lastToken { found.append("position shift needs pred_pos last_token (got \(predictionPosition.rawValue))") }
        }
        if targets == .sequence && predictionPosition != .inputLength {
            found.append("next-token loss over every position needs pred_pos inp_len (got \(predictionPosition.rawValue))")
        }
        if targets == .sequence && positionShift != nil { found.append("position shift and next-token loss over every position do not combine") }
        if evaluateEveryEpochs < 1 { found.append("evaluate-every-epochs must be at least 1 (got \(evaluateEveryEpochs))") }
        if let n = evaluateEverySteps, n < 1 { found.append("evaluate-every-steps must be at least 1 (got \(n))") }
        if let m = checkpointEveryMinutes, !(m >= 0) { found.append("checkpoint-every-minutes must not be negative (got \(m))") }
        if let n = checkpointEverySteps, n < 1 { found.append("checkpoint-every-steps must be at least 1 (got \(n))") }
        if logEverySteps < 1 { found.append("log-every-steps must be at least 1 (got \(logEverySteps))") }
        if let c = curriculum {
            if c.firstHop < 1 || c.lastHop < c.firstHop { found.append("curriculum hops \(c.firstHop)...\(c.lastHop) are not a range of at least 1") }
            if !(0...1).contains(c.threshold) { found.append("curriculum threshold must be in [0, 1] (got \(c.threshold))") }
        }
        return found
    }
}

/// What training does when the loss stops being a finite number.
public enum DivergencePolicy: String, Codable, CaseIterable, Sendable {
    /// Stop with an error; the last checkpoint (always of finite weights) stays as it was.
    case stop
    /// Go back to `checkpoints/latest` with the learning rate halved (at most
    /// `Trainer.maxRollbacks` times in a run), and go on.
    case rollback
}
