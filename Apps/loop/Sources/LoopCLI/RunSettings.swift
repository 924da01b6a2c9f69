import Foundation
import Yams
import TensorKit
import KnowledgeGraph
import RecurrentDepth
import Halting

/// Everything that defines a training run, as `loop train` flags and as a config file (JSON or
/// YAML; keys are the flag names with `_` for `-`). Flags override the file; the resolved settings
/// are saved in the run as `run.json`, which `--resume` reads back.
struct RunSettings: Codable, Equatable {
    var data = ""
    /// `extrapolation` or `systematicity`: picks the reference's defaults for what is not set.
    var task = "extrapolation"
    // Model
    var d = 128
    var layers = 2
    var heads = 4
    var positions: Int?
    var pos = "learned"
    var injection = false
    var cScale: Float?
    var embdDropout: Float?
    var attnDropout: Float = 0.1
    var residDropout: Float = 0.1
    // Recurrence
    var schedule = "dynamic"
    /// Halting policy used by evaluation during training; default: fixed r for fixed schedules,
    /// the reference's length-aware entropy+KL rule at the schedule's maximum for others.
    var evalHalting: String?
    var gradientSteps: Int?
    // Optimization
    var lr = 1e-4
    var weightDecay: Double?
    var warmup = 2000
    var epochs = 100_001
    var labelSmoothing: Float?
    var clip: Double?
    var batchSize = 128
    var predPos = "last_token"
    /// Fixed padding length; 0 pads to the longest sequence of each batch. Default per task (50 / longest).
    var maxLen: Int?
    var truncate = false
    // Curriculum (extrapolation)
    var curriculum: Bool?
    var firstHop = 2
    var lastHop: Int?
    var threshold = 0.95
    var forceGrokEpochs = 0
    var lrDecay: Double?
    var minLr = 0.0
    // Evaluation, checkpoints, limits
    var evalEveryEpochs = 1
    var evalEverySteps: Int?
    var evalBatchSize = 512
    var testFile = "test"
    var checkpointEveryEpochs: Int?
    var logEverySteps = 100
    var maxSteps: Int?
    var maxEpochs: Int?
    var maxMinutes: Double?
    var seed: UInt64 = 0
    var backend = "cpu"

    var isExtrapolation: Bool { task == "extrapolation" }

    /// The settings in `file` laid over the defaults; an unknown key is an error naming the valid ones.
    static func load(_ path: String) throws -> RunSettings {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIError("\(path): cannot read the file") }
        let object: Any?
        do {
            object = path.hasSuffix(".json") ? try JSONSerialization.jsonObject(with: Data(text.utf8)) : try Yams.load(yaml: text)
        } catch {
            throw CLIError("\(path): not valid \(path.hasSuffix(".json") ? "JSON" : "YAML"): \(error)")
        }
        guard let given = object as? [String: Any] else { throw CLIError("\(path): expected a mapping of settings at the top level") }
        return try RunSettings().overlaid(with: given, source: path)
    }

    func overlaid(with given: [String: Any], source: String) throws -> RunSettings {
        var base = try JSONSerialization.jsonObject(with: Self.encoder.encode(self)) as! [String: Any]
        let known = Set(base.keys).union(Self.optionalKeys)
        for (key, value) in given {
            guard known.contains(key) else {
                throw CLIError("\(source): unknown setting '\(key)'; valid: \(known.sorted().joined(separator: ", "))")
            }
            base[key] = value
        }
        do {
            return try Self.decoder.decode(RunSettings.self, from: JSONSerialization.data(withJSONObject: base))
        } catch let error as DecodingError {
            throw CLIError("\(source): \(Checkpoint.describe(error))")
        }
    }

    /// Keys of optional settings (absent from an encoding of the defaults).
    static let optionalKeys: Set<String> = ["positions", "c_scale", "embd_dropout", "eval_halting", "gradient_steps", "weight_decay",
                                            "label_smoothing", "clip", "max_len", "curriculum", "last_hop", "lr_decay",
                                            "eval_every_steps", "checkpoint_every_epochs", "max_steps", "max_epochs", "max_minutes"]

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()

    func save(to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Self.encoder.encode(self).write(to: url, options: .atomic)
    }

    // MARK: - Resolving into the packages' types

    func modelConfig(vocabularySize: Int) throws -> ModelConfig {
        guard let positional = PositionalEmbedding(rawValue: pos) else {
            throw CLIError("--pos \(pos): expected one of \(PositionalEmbedding.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let fixedLength = resolvedMaxLen
        let config = ModelConfig(vocabSize: vocabularySize, embeddingSize: d, layers: layers, heads: heads,
                                 positions: positions ?? max(fixedLength, 64), positionalEmbedding: positional,
                                 inputInjection: injection, recurrence: try scheduleInstance().maximum,
                                 embeddingDropout: embdDropout ?? (isExtrapolation ? 0 : 0.1),
                                 attentionDropout: attnDropout, residualDropout: residDropout,
                                 cScale: cScale ?? (isExtrapolation ? 0 : 1))
        let problems = config.problems
        if !problems.isEmpty { throw CLIError("model settings: " + problems.joined(separator: "; ")) }
        return config
    }

    var resolvedMaxLen: Int { maxLen ?? (isExtrapolation ? 50 : 0) }

    func scheduleInstance() throws -> any RecurrenceSchedule { try activeRegistry.schedules.make(schedule) }

    func trainingConfig() throws -> TrainingConfig {
        guard ["extrapolation", "systematicity"].contains(task) else {
            throw CLIError("--task \(task): expected extrapolation or systematicity")
        }
        var c = isExtrapolation ? TrainingConfig.extrapolation : TrainingConfig.systematicity
        c.learningRate = lr
        if let v = weightDecay { c.weightDecay = v }
        c.warmupSteps = warmup
        c.epochs = epochs
        if let v = labelSmoothing { c.labelSmoothing = v }
        c.clipNorm = clip
        c.batchSize = batchSize
        guard let position = PredictionPosition(rawValue: predPos) else {
            throw CLIError("--pred-pos \(predPos): expected last_token or inp_len")
        }
        c.predictionPosition = position
        c.padding = resolvedMaxLen > 0 ? .fixed(resolvedMaxLen) : .longest
        c.truncate = truncate
        c.gradientSteps = gradientSteps
        if curriculum ?? isExtrapolation {
            c.curriculum = CurriculumConfig(firstHop: firstHop, lastHop: lastHop ?? 40, threshold: threshold,
                                            forceGrokEpochs: forceGrokEpochs, learningRateDecay: lrDecay, minimumLearningRate: minLr)
        } else {
            c.curriculum = nil
        }
        c.evaluateEveryEpochs = evalEveryEpochs
        c.evaluateEverySteps = evalEverySteps
        c.evaluationBatchSize = evalBatchSize
        c.testFile = testFile
        c.checkpointEveryEpochs = checkpointEveryEpochs
        c.logEverySteps = logEverySteps
        c.maxSteps = maxSteps
        c.maxEpochs = maxEpochs
        c.maxMinutes = maxMinutes
        c.seed = seed
        let problems = c.problems
        if !problems.isEmpty { throw CLIError("training settings: " + problems.joined(separator: "; ")) }
        return c
    }

    /// How training evaluates: the named halting policy, or the reference's choice for the schedule.
    func evaluator(schedule: any RecurrenceSchedule) throws -> any Evaluator {
        if let evalHalting { return try AdaptiveEvaluator(policy: try activeRegistry.halting.make(evalHalting)) }
        if schedule is FixedRecurrence { return FixedRecurrenceEvaluator(recurrence: schedule.maximum) }
        return try AdaptiveEvaluator.dynamicRecurrenceTraining(maxIterations: schedule.maximum)
    }
}
