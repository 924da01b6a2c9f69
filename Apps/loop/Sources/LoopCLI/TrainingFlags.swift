import ArgumentParser
import RecurrentDepth

/// `loop train`'s flag for every setting of `RunSettings`, under the same name (`--attn-dropout`
/// sets `attn_dropout`). Each is optional, so that only the flags given override the config file
/// or the resumed run; the help shows the default from `RunSettings.defaults` and `TaskPreset`.
struct TrainingFlags: ParsableArguments {
    typealias S = RunSettings

    @Option(help: "Dataset folder.") var data: String?
    @Option(help: "The reference's settings to start from: \(TaskPreset.all.map(\.name).joined(separator: " or ")) (default \(S.defaults.task)).")
    var task: String?

    @Option(help: "Model width n_embd (default \(S.defaults.d)).") var d: Int?
    @Option(help: "Blocks in the stack (default \(S.defaults.layers)).") var layers: Int?
    @Option(help: "Attention heads (default \(S.defaults.heads)).") var heads: Int?
    @Option(help: "n_positions (default: max(max_len, \(ModelConfig(vocabSize: 1).positions))).") var positions: Int?
    @Option(help: "Positions: \(PositionalEmbedding.allCases.map(\.rawValue).joined(separator: ", ")) (default \(S.defaults.pos)).") var pos: String?
    @Flag(inversion: .prefixedNo, help: "Add the embedded input before every step after the first.") var injection: Bool?
    @Option(help: "Scale of both c_proj weights at init (\(TaskPreset.help(\.cScale))).") var cScale: Float?
    @Option(help: "Embedding dropout (\(TaskPreset.help(\.embeddingDropout))).") var embdDropout: Float?
    @Option(help: "Dropout on attention probabilities (\(TaskPreset.help(\.attentionDropout))).") var attnDropout: Float?
    @Option(help: "Dropout on residual branches (\(TaskPreset.help(\.residualDropout))).") var residDropout: Float?

    @Option(help: "Recurrence schedule: fixed:r=N or dynamic:mean=M,min=A,max=B (\(TaskPreset.help(\.schedule)); see `loop list`).") var schedule: String?
    @Option(help: "Halting policy for evaluation during training (default: the training r for a fixed schedule, the reference's entropy-kl-length rule for others).") var evalHalting: String?
    @Option(help: "Backpropagate through only the last K recurrence steps.") var gradientSteps: Int?

    @Option(help: "Peak learning rate (default \(S.defaults.lr)).") var lr: Double?
    @Option(help: "AdamW weight decay (\(TaskPreset.help(\.training.weightDecay))).") var weightDecay: Double?
    @Option(help: "Warmup steps (default \(S.defaults.warmup)).") var warmup: Int?
    @Option(help: "Epochs in the decay horizon (default \(S.defaults.epochs): flat after warmup).") var epochs: Int?
    @Option(help: "Label smoothing (\(TaskPreset.help(\.training.labelSmoothing))).") var labelSmoothing: Float?
    @Option(help: "Clip the gradient norm to this.") var clip: Double?
    @Option(help: "Batch size (default \(S.defaults.batchSize)).") var batchSize: Int?
    @Option(help: "Answer position: \(PredictionPosition.allCases.map(\.rawValue).joined(separator: " or ")) (default \(S.defaults.predPos)).") var predPos: String?
    @Option(help: "What the loss trains: answer (the answer's tokens, teacher-forced when there are several) or sequence (every next token, language modelling; needs --pred-pos inp_len) (default \(S.defaults.targets)).") var targets: String?
    @Option(help: "Pad to this length; 0 pads to the longest in each batch (\(TaskPreset.help(\.maxLen))).") var maxLen: Int?
    @Flag(help: "Cut sequences longer than max_len instead of failing.") var truncate = false
    @Option(help: "Move each training example right by a random 0...N leading pad columns, so every position is trained and only relative order is fixed (needs last_token).") var positionShift: Int?
    @Option(help: ArgumentHelp("Looping-inspired regularizer (Saunshi et al. 2025): adds −lambda · Σ cos(block i·k + j, block (i+1)·k + j) over consecutive groups of k blocks and their six weight matrices, pulling the model towards k blocks looped n_layer/k times. "
                               + LoopingRegularizer.parameters.map { "\($0.key): \($0.help)" + ($0.defaultValue.isEmpty ? "" : ", default \($0.defaultValue)") }.joined(separator: "; ") + ".",
                               valueName: "k=K,lambda=L")) var loopingRegularizer: String?

    @Flag(inversion: .prefixedNo, help: "Use the hop curriculum (\(TaskPreset.help { $0.usesCurriculum ? "on" : "off" })).") var curriculum: Bool?
    @Option(help: "First curriculum stage (default \(S.defaults.firstHop)).") var firstHop: Int?
    @Option(help: "Last curriculum stage (default \(CurriculumConfig().lastHop)).") var lastHop: Int?
    @Option(help: "Stage k ends when k-hop test accuracy exceeds this (default \(S.defaults.threshold)).") var threshold: Double?
    @Option(help: "No stage change before this many epochs (default \(S.defaults.forceGrokEpochs)).") var forceGrokEpochs: Int?
    @Option(help: "Per-stage learning rate decay gamma: stage k's rate is lr · gamma^(k − 2).") var lrDecay: Double?
    @Option(help: "Floor of the decayed rate (default \(S.defaults.minLr)).") var minLr: Double?

    @Option(help: "Evaluate every N epochs (default \(S.defaults.evalEveryEpochs)).") var evalEveryEpochs: Int?
    @Option(help: "Also evaluate every N steps.") var evalEverySteps: Int?
    @Option(help: "Evaluation batch size (default \(S.defaults.evalBatchSize)).") var evalBatchSize: Int?
    @Option(help: "Test file name without .json (default \(S.defaults.testFile)).") var testFile: String?
    @Option(help: "Checkpoint every N epochs.") var checkpointEveryEpochs: Int?
    @Option(help: "Write checkpoints/latest every M minutes of wall time, so a run killed without warning loses at most that much; 0 turns it off (default \(S.defaults.checkpointEveryMinutes)).") var checkpointEveryMinutes: Double?
    @Option(help: "Also write checkpoints/latest every N steps.") var checkpointEverySteps: Int?
    @Option(help: "When the loss becomes NaN or infinite: \(DivergencePolicy.allCases.map(\.rawValue).joined(separator: " or ")) (roll back to checkpoints/latest with the learning rate halved, at most \(Trainer.maxRollbacks) times) (default \(S.defaults.onDivergence)).") var onDivergence: String?
    @Option(help: "Log the training loss every N steps (default \(S.defaults.logEverySteps)).") var logEverySteps: Int?
    @Option(help: "Stop after N steps in all.") var maxSteps: Int?
    @Option(help: "Stop after N epochs in all.") var maxEpochs: Int?
    @Option(help: "Stop after N minutes of training in all.") var maxMinutes: Double?
    @Option(help: "Random seed (default \(S.defaults.seed)).") var seed: UInt64?
    @Option(help: "Backend: cpu[:threads=N] or reference (default \(S.defaults.backend)).") var backend: String?

    /// The flags given, as config-file keys and values (`attn_dropout: 0`): laid over the config
    /// file or the resumed run by the same `RunSettings.overlaid(with:source:)` as a config file.
    var given: [String: Any] {
        var given: [String: Any] = [:]
        for child in Mirror(reflecting: self).children {
            // A property wrapper's storage is labelled `_name`.
            guard let label = child.label?.dropFirst(), let value = (child.value as? GivenSetting)?.givenValue else { continue }
            given[RunSettings.snakeCase(String(label))] = value
        }
        return given
    }
}

/// An option or flag whose value overrides a setting when it was given.
private protocol GivenSetting {
    var givenValue: Any? { get }
}

extension Option: GivenSetting {
    /// The value of an optional option; nil when it was not given.
    fileprivate var givenValue: Any? { unwrapped(wrappedValue) }
}

extension Flag: GivenSetting {
    /// The value of an optional flag (`--curriculum`, `--no-curriculum`); a plain flag (`--truncate`)
    /// overrides only when given, with true.
    fileprivate var givenValue: Any? {
        if Mirror(reflecting: wrappedValue).displayStyle == .optional { return unwrapped(wrappedValue) }
        return wrappedValue as? Bool == true ? true : nil
    }
}

/// The contents of an optional (nil for none); any other value as it is.
private func unwrapped(_ value: Any) -> Any? {
    let mirror = Mirror(reflecting: value)
    guard mirror.displayStyle == .optional else { return value }
    return mirror.children.first?.value
}
