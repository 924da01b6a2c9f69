/// The reference's run for one of its two tasks: the training settings, the model's dropout rates
/// and `c_scale`, and the recurrence schedule. This is the one place these defaults live; `loop
/// train --task NAME` starts from them and a library user gets the same run from
/// `preset.training`, `preset.modelConfig(vocabSize:)` and `preset.makeSchedule()`. How such a run
/// is evaluated during training follows from the schedule: at its r for a fixed one (the
/// `Trainer`'s default), with the reference's length-aware halting rule for a dynamic one (the
/// Halting package's `referenceTrainingEvaluator(for:)`).
public struct TaskPreset: Equatable, Sendable {
    public var name: String
    public var training: TrainingConfig
    public var embeddingDropout: Float
    public var attentionDropout: Float
    public var residualDropout: Float
    public var cScale: Float
    /// The schedule as `ScheduleRegistry.builtIn` reads it (`name:key=value,…`).
    public var schedule: String

    public init(name: String, training: TrainingConfig, embeddingDropout: Float, attentionDropout: Float,
                residualDropout: Float, cScale: Float, schedule: String) {
        self.name = name
        self.training = training
        self.embeddingDropout = embeddingDropout
        self.attentionDropout = attentionDropout
        self.residualDropout = residualDropout
        self.cScale = cScale
        self.schedule = schedule
    }

    /// Depth extrapolation: `TrainingConfig.extrapolation` (padding to 50, the hop curriculum),
    /// GPT-2's dropout on attention and residual branches but none on the embedding (the
    /// reference's `--dropout` flag), every block starting as the identity (`c_scale` 0), and
    /// dynamic recurrence, Poisson(4) in [2, 8].
    public static let extrapolation = TaskPreset(name: "extrapolation", training: .extrapolation, embeddingDropout: 0,
                                                 attentionDropout: 0.1, residualDropout: 0.1, cScale: 0, schedule: "dynamic")

    /// Systematicity: `TrainingConfig.systematicity` (padding to the longest, label smoothing, no
    /// curriculum), GPT-2's dropout of 0.1 everywhere, `c_scale` 1, and a fixed recurrence, which
    /// the user sets (`fixed:r=N`; the schedule's default r is 4).
    public static let systematicity = TaskPreset(name: "systematicity", training: .systematicity, embeddingDropout: 0.1,
                                                 attentionDropout: 0.1, residualDropout: 0.1, cScale: 1, schedule: "fixed")

    public static let all = [extrapolation, systematicity]

    /// The preset called `name`; another name is an error listing the presets.
    public static func named(_ name: String) throws -> TaskPreset {
        guard let preset = all.first(where: { $0.name == name }) else {
            throw RecurrentDepthError.invalidTrainingConfig("unknown task '\(name)': expected \(all.map(\.name).joined(separator: " or "))")
        }
        return preset
    }

    /// The schedule, made by the built-in table.
    public func makeSchedule() throws -> any RecurrenceSchedule { try ScheduleRegistry.builtIn.make(schedule) }

    /// `ModelConfig`'s shape defaults with this task's dropout rates and `c_scale`, the schedule's
    /// maximum as the stored recurrence, and a position table that covers the fixed padding.
    public func modelConfig(vocabSize: Int) throws -> ModelConfig {
        var config = ModelConfig(vocabSize: vocabSize, embeddingDropout: embeddingDropout, attentionDropout: attentionDropout,
                                 residualDropout: residualDropout, cScale: cScale)
        config.recurrence = try makeSchedule().maximum
        if case let .fixed(n) = training.padding { config.positions = max(n, config.positions) }
        return config
    }
}
