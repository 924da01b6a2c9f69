import Foundation
import TensorKit
import KnowledgeGraph
import RecurrentDepth
import Halting

/// Everything that defines a training run, as `loop train` flags (`TrainingFlags`) and as a config
/// file (JSON or YAML; keys are the flag names with `_` for `-`). Flags override the file; the
/// resolved settings are saved in the run as `run.json`, which `--resume` reads back.
///
/// Each setting is declared here once, with its default: the packages' own (`TrainingConfig`,
/// `CurriculumConfig`, `ModelConfig`) where they have one, so `loop train --help` shows those.
/// An optional setting is one whose default depends on the task (RecurrentDepth's `TaskPreset`,
/// the reference's run for each task) or on another setting; it is left out of `run.json` when
/// not given.
struct RunSettings: Codable, Equatable {
    /// The packages' defaults the settings start from.
    private enum Defaults {
        static let training = TrainingConfig()
        static let curriculum = CurriculumConfig()
        static let model = ModelConfig(vocabSize: 1)
    }

    /// The settings of a run that sets nothing (what `--help` shows as defaults).
    static let defaults = RunSettings()

    var data = ""
    /// `extrapolation` or `systematicity`: picks the reference's defaults for what is not set.
    var task = TaskPreset.extrapolation.name
    // Model
    var d = Defaults.model.embeddingSize
    var layers = Defaults.model.layers
    var heads = Defaults.model.heads
    /// Default: max(max_len, ModelConfig's n_positions).
    var positions: Int?
    var pos = Defaults.model.positionalEmbedding.rawValue
    var injection = Defaults.model.inputInjection
    var cScale: Float?
    var embdDropout: Float?
    var attnDropout: Float?
    var residDropout: Float?
    // Recurrence
    var schedule: String?
    /// Halting policy used by evaluation during training; default: the reference's for the
    /// schedule (Halting's `referenceTrainingEvaluator(for:)`).
    var evalHalting: String?
    var gradientSteps: Int?
    // Optimization
    var lr = Defaults.training.learningRate
    var weightDecay: Double?
    var warmup = Defaults.training.warmupSteps
    var epochs = Defaults.training.epochs
    var labelSmoothing: Float?
    var clip: Double?
    var batchSize = Defaults.training.batchSize
    var predPos = Defaults.training.predictionPosition.rawValue
    var targets = Defaults.training.targets.rawValue
    /// Fixed padding length; 0 pads to the longest sequence of each batch. Default per task.
    var maxLen: Int?
    var truncate = Defaults.training.truncate
    var positionShift: Int?
    /// The looping-inspired regularizer as `k=K,lambda=L` (`LoopingRegularizer(parsing:)`); none when unset.
    var loopingRegularizer: String?
    // Curriculum (extrapolation)
    var curriculum: Bool?
    var firstHop = Defaults.curriculum.firstHop
    /// Default: CurriculumConfig's.
    var lastHop: Int?
    var threshold = Defaults.curriculum.threshold
    var forceGrokEpochs = Defaults.curriculum.forceGrokEpochs
    var lrDecay: Double?
    var minLr = Defaults.curriculum.minimumLearningRate
    // Evaluation, checkpoints, limits
    var evalEveryEpochs = Defaults.training.evaluateEveryEpochs
    var evalEverySteps: Int?
    var evalBatchSize = Defaults.training.evaluationBatchSize
    var testFile = Defaults.training.testFile
    var checkpointEveryEpochs: Int?
    var checkpointEveryMinutes = Defaults.training.checkpointEveryMinutes ?? 0
    var checkpointEverySteps: Int?
    var onDivergence = (Defaults.training.onDivergence ?? .stop).rawValue
    var logEverySteps = Defaults.training.logEverySteps
    var maxSteps: Int?
    var maxEpochs: Int?
    var maxMinutes: Double?
    var seed = Defaults.training.seed
    var backend = "cpu"

    /// The reference's run for the task; an unknown task is an error naming the valid ones.
    func preset() throws -> TaskPreset {
        do { return try TaskPreset.named(task) } catch { throw CLIError("--task \(task): expected \(TaskPreset.all.map(\.name).joined(separator: " or "))") }
    }

    /// The settings in `file` laid over the defaults; an unknown key is an error naming the valid ones.
    static func load(_ path: String) throws -> RunSettings {
        var mapping = try readMapping(path, of: "settings")
        // What `run.json` records about the run's making, not a setting.
        mapping.removeValue(forKey: RunProvenance.key)
        return try RunSettings().overlaid(with: mapping, source: path)
    }

    /// The top-level mapping of a JSON file (`.json`) or a YAML one (any other name): what a config
    /// file, `run.json` and a sweep's search space are read with. `what` names the mapping's contents in errors.
    static func readMapping(_ path: String, of what: String) throws -> [String: Any] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIError("\(path): cannot read the file") }
        return try parseMapping(text, path: path, of: what)
    }

    /// The top-level mapping of `text`, parsed as `readMapping` parses the file at `path`.
    static func parseMapping(_ text: String, path: String, of what: String) throws -> [String: Any] {
        let object: Any?
        do {
            object = path.hasSuffix(".json") ? try JSONSerialization.jsonObject(with: Data(text.utf8)) : try YAMLDocument.load(text)
        } catch {
            throw CLIError("\(path): not valid \(path.hasSuffix(".json") ? "JSON" : "YAML"): \(error)")
        }
        guard let mapping = object as? [String: Any] else { throw CLIError("\(path): expected a mapping of \(what) at the top level") }
        return mapping
    }

    /// These settings with `given` (config-file keys and values) laid over them; an unknown key is
    /// an error naming `source` and the valid keys.
    func overlaid(with given: [String: Any], source: String) throws -> RunSettings {
        var base = try mapping()
        for (key, value) in given {
            guard Self.keys.contains(key) else {
                throw CLIError("\(source): unknown setting '\(key)'; valid: \(Self.keys.sorted().joined(separator: ", "))")
            }
            base[key] = value
        }
        do {
            return try Self.decoder.decode(RunSettings.self, from: Self.json(base, given: given, source: source))
        } catch let error as DecodingError {
            throw CLIError("\(source): \(Checkpoint.describe(error))")
        }
    }

    /// `mapping` as JSON; a value JSON cannot hold (YAML's `.inf`, `.nan`, a timestamp, binary
    /// data) is an error naming `source` and the key of `given` it came from.
    private static func json(_ mapping: [String: Any], given: [String: Any], source: String) throws -> Data {
        func unwritable(_ key: String) -> Bool {
            let one = [key: given[key]!]
            return !JSONSerialization.isValidJSONObject(one) || (try? JSONSerialization.data(withJSONObject: one)) == nil
        }
        if let key = given.keys.sorted().first(where: unwritable) {
            throw CLIError("\(source): setting '\(key)' has the value \(given[key]!), which is not a finite number, a string or a boolean")
        }
        return try JSONSerialization.data(withJSONObject: mapping)
    }

    /// Every setting's key (config file, `run.json`): the property names in snake case, as the encoder writes them.
    static let keys: Set<String> = Set(Mirror(reflecting: RunSettings()).children.compactMap { $0.label.map(RunSettings.snakeCase) })

    /// `camelCase` → `camel_case`, as `JSONEncoder.KeyEncodingStrategy.convertToSnakeCase` writes the names here.
    static func snakeCase(_ name: String) -> String {
        name.reduce(into: "") { out, c in out += c.isUppercase ? "_" + c.lowercased() : String(c) }
    }

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

    /// Writes the settings as `url` (`run.json`), with what the run was computed with when given.
    func save(to url: URL, provenance: RunProvenance? = nil) throws {
        var data = try Self.encoder.encode(self)
        if let provenance {
            var mapping = try mapping()
            mapping[RunProvenance.key] = try JSONSerialization.jsonObject(with: Self.encoder.encode(provenance))
            data = try JSONSerialization.data(withJSONObject: mapping, options: [.prettyPrinted, .sortedKeys])
        }
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try DurableWrite.write(data, to: url)
        } catch {
            throw CLIError("\(url.path): cannot write: \(error)", status: ExitStatus.ioError)
        }
    }

    /// These settings as `run.json` holds them: each key and its value (an unset optional is absent).
    func mapping() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Self.encoder.encode(self)) as! [String: Any]
    }

    /// Fails, as training would before its first step, when the settings do not resolve into a
    /// schedule, an evaluator, a training config and a model (the data and backend are not checked).
    func check() throws {
        let schedule = try scheduleInstance()
        _ = try trainingConfig()
        _ = try evaluator(schedule: schedule)
        _ = try modelConfig(vocabularySize: 1)
    }

    // MARK: - Resolving into the packages' types

    /// The task's model (`TaskPreset.modelConfig`) with the settings given laid over it.
    func modelConfig(vocabularySize: Int) throws -> ModelConfig {
        guard let positional = PositionalEmbedding(rawValue: pos) else {
            throw CLIError("--pos \(pos): expected one of \(PositionalEmbedding.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let preset = try preset()
        var config = try preset.modelConfig(vocabSize: vocabularySize)
        config.embeddingSize = d
        config.layers = layers
        config.heads = heads
        config.positions = try positions ?? max(resolvedMaxLen(), Defaults.model.positions)
        config.positionalEmbedding = positional
        config.inputInjection = injection
        config.recurrence = try scheduleInstance().maximum
        if let v = embdDropout { config.embeddingDropout = v }
        if let v = attnDropout { config.attentionDropout = v }
        if let v = residDropout { config.residualDropout = v }
        if let v = cScale { config.cScale = v }
        let problems = config.problems
        if !problems.isEmpty { throw CLIError("model settings: " + problems.joined(separator: "; ")) }
        return config
    }

    func resolvedMaxLen() throws -> Int { try maxLen ?? preset().maxLen }

    func scheduleInstance() throws -> any RecurrenceSchedule { try activeRegistry.schedules.make(schedule ?? preset().schedule) }

    func trainingConfig() throws -> TrainingConfig {
        let preset = try preset()
        var c = preset.training
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
        guard let targets = Targets(rawValue: targets) else {
            throw CLIError("--targets \(targets): expected \(Targets.allCases.map(\.rawValue).joined(separator: " or "))")
        }
        c.targets = targets
        let maxLength = try resolvedMaxLen()
        c.padding = maxLength > 0 ? .fixed(maxLength) : .longest
        c.truncate = truncate
        c.gradientSteps = gradientSteps
        c.positionShift = positionShift
        c.loopingRegularizer = try loopingRegularizer.map { text in
            let regularizer = try LoopingRegularizer(parsing: text)
            // Checked against the model's layers here, so that a bad k fails before the run folder is written.
            try regularizer.check(layers: layers)
            return regularizer
        }
        if curriculum ?? preset.usesCurriculum {
            c.curriculum = CurriculumConfig(firstHop: firstHop, lastHop: lastHop ?? Defaults.curriculum.lastHop, threshold: threshold,
                                            forceGrokEpochs: forceGrokEpochs, learningRateDecay: lrDecay, minimumLearningRate: minLr)
        } else {
            c.curriculum = nil
        }
        c.evaluateEveryEpochs = evalEveryEpochs
        c.evaluateEverySteps = evalEverySteps
        c.evaluationBatchSize = evalBatchSize
        c.testFile = testFile
        c.checkpointEveryEpochs = checkpointEveryEpochs
        c.checkpointEveryMinutes = checkpointEveryMinutes
        c.checkpointEverySteps = checkpointEverySteps
        guard let policy = DivergencePolicy(rawValue: onDivergence) else {
            throw CLIError("on_divergence '\(onDivergence)': expected \(DivergencePolicy.allCases.map(\.rawValue).joined(separator: " or "))")
        }
        c.onDivergence = policy
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
        return try referenceTrainingEvaluator(for: schedule)
    }
}

/// The task presets as `loop train` shows them.
extension TaskPreset {
    /// The padding length; 0 pads to the longest sequence of each batch.
    var maxLen: Int {
        if case let .fixed(n) = training.padding { return n }
        return 0
    }

    var usesCurriculum: Bool { training.curriculum != nil }

    /// `default A extrapolation, B systematicity` for the help of a setting whose default is the task's.
    static func help<T>(_ value: (TaskPreset) -> T) -> String {
        "default " + all.map { "\(value($0)) \($0.name)" }.joined(separator: ", ")
    }
}
