import Foundation
import KnowledgeGraph
import RecurrentDepth

/// A measurement of what a trained model (or a run) does, with the figures that show it.
///
/// A probe reads what its context offers — models through the forward pass's per-step seam
/// (`RecurrenceObserver`), the run's metrics log, other tools' JSON — and returns a `Result` that
/// is written as JSON; `figures(for:)` draws from that result alone, so a figure can be redrawn
/// from saved JSON without measuring again. A probe from another package conforms to this (and to
/// `RegisteredProbe` to be built by name) and needs nothing else from here.
public protocol Probe {
    associatedtype Result: Codable
    /// The registry name, the term researchers use (`logit-margin`); also the result file's stem.
    var name: String { get }
    func measure(_ context: ProbeContext) throws -> Result
    func figures(for result: Result) throws -> [Figure]
}

extension Probe {
    public func figures(for result: Result) throws -> [Figure] { [] }

    /// Measures, encodes the result and draws its figures.
    public func run(_ context: ProbeContext) throws -> ProbeOutput {
        let result = try measure(context)
        return ProbeOutput(name: name, json: try AnalysisJSON.encode(result), figures: try figures(for: result))
    }
}

/// A probe the registry can build from a name and `key=value` parameters.
public protocol RegisteredProbe: Probe {
    /// Name, parameters with defaults, and a one-line summary (what `loop list` shows).
    static var description: ComponentDescription { get }
    /// The probe from its parameters: every declared key, given or at its default.
    init(parameters: Parameters) throws
}

/// A figure: the SVG and, beside it, the data it plots as JSON. Written as `name.svg` and `name.json`.
public struct Figure {
    public var name: String
    public var svg: String
    public var data: Data

    public init(name: String, svg: String, data: Data) {
        self.name = name
        self.svg = svg
        self.data = data
    }

    public init(name: String, chart: LineChart) throws { self.init(name: name, svg: chart.svg(), data: try AnalysisJSON.encode(chart)) }
    public init(name: String, heatmap: Heatmap) throws { self.init(name: name, svg: heatmap.svg(), data: try AnalysisJSON.encode(heatmap)) }
    public init(name: String, bars: BarChart) throws { self.init(name: name, svg: bars.svg(), data: try AnalysisJSON.encode(bars)) }
}

/// What a probe run produced: its result as JSON and its figures.
public struct ProbeOutput {
    public var name: String
    public var json: Data
    public var figures: [Figure]

    public init(name: String, json: Data, figures: [Figure]) {
        self.name = name
        self.json = json
        self.figures = figures
    }

    /// Writes `name.json` and every figure's `.svg` and `.json` into `folder` (created if needed),
    /// each file atomically (a temporary sibling renamed into place). Returns the files written.
    @discardableResult
    public func write(to folder: URL) throws -> [URL] {
        var files: [(String, Data)] = [(name + ".json", json)]
        for figure in figures {
            files.append((figure.name + ".svg", Data(figure.svg.utf8)))
            files.append((figure.name + ".json", figure.data))
        }
        var seen = Set<String>()
        for (file, _) in files where !seen.insert(file).inserted {
            throw AnalysisError.writeFailed(folder.appendingPathComponent(file).path, reason: "two outputs of probe '\(name)' share this file name")
        }
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw AnalysisError.writeFailed(folder.path, reason: error.localizedDescription)
        }
        return try files.map { file, data in
            let url = folder.appendingPathComponent(file)
            try AnalysisJSON.writeAtomically(data, to: url)
            return url
        }
    }
}

/// A model a probe looks at: a checkpoint folder, or a model already in memory.
public struct ProbeModel {
    /// Key in results (`r6`), unique in a context.
    public var name: String
    /// Panel title in figures (`R=6`).
    public var label: String
    public var folder: URL?
    private let preloaded: RecurrentGPT2?

    public init(name: String, label: String? = nil, folder: URL) {
        self.name = name
        self.label = label ?? name
        self.folder = folder
        preloaded = nil
    }

    public init(name: String, label: String? = nil, model: RecurrentGPT2) {
        self.name = name
        self.label = label ?? name
        folder = nil
        preloaded = model
    }

    public func load() throws -> RecurrentGPT2 {
        if let preloaded { return preloaded }
        return try Checkpoint.readModel(from: folder!)
    }

    /// The training config saved beside a trainer's checkpoint, if there is one.
    public func trainingConfig() -> TrainingConfig? {
        guard let folder else { return nil }
        let file = folder.appendingPathComponent(Trainer.configFile)
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        return try? Checkpoint.decodeJSON(TrainingConfig.self, from: file)
    }
}

/// Settings shared by every probe of one invocation.
public struct ProbeOptions {
    public var batchSize: Int
    /// Where the answer is read; nil takes the checkpoint's training config, else `last_token`.
    public var predictionPosition: PredictionPosition?
    /// How batches are padded; nil takes the checkpoint's training config, else the longest input.
    public var padding: Padding?
    /// Cut inputs longer than a fixed padding instead of failing.
    public var truncate: Bool
    /// Recurrence steps a per-step probe runs (the reference's margin script: `--iters`).
    public var maxIterations: Int
    /// The dataset file whose types are the splits probes evaluate.
    public var testFile: String

    public init(batchSize: Int = 256, predictionPosition: PredictionPosition? = nil, padding: Padding? = nil,
                truncate: Bool = false, maxIterations: Int = 16, testFile: String = "test") {
        self.batchSize = batchSize
        self.predictionPosition = predictionPosition
        self.padding = padding
        self.truncate = truncate
        self.maxIterations = maxIterations
        self.testFile = testFile
    }
}

/// Everything a probe may read. Each probe takes what it needs and says clearly what is missing.
public struct ProbeContext {
    public var models: [ProbeModel]
    public var dataset: Dataset?
    /// Examples to evaluate instead of the dataset's `options.testFile` (tests, in-memory data).
    public var examples: Split?
    /// Training runs' folders (`metrics.jsonl`, `checkpoints/…`), in the order given.
    public var runFolders: [URL]
    public var options: ProbeOptions

    /// The run a probe of one run reads: the first of `runFolders` (`singleRun(probe:)` refuses several).
    public var runFolder: URL? { runFolders.first }

    public init(models: [ProbeModel] = [], dataset: Dataset? = nil, examples: Split? = nil, runFolder: URL? = nil,
                runFolders: [URL] = [], options: ProbeOptions = ProbeOptions()) {
        self.models = models
        self.dataset = dataset
        self.examples = examples
        self.runFolders = (runFolder.map { [$0] } ?? []) + runFolders
        self.options = options
    }

    /// The one run folder of a probe that reads a single run (nil without one); several are an error.
    public func singleRun(probe: String) throws -> URL? {
        guard runFolders.count <= 1 else {
            throw AnalysisError.invalidParameter("run", probe: probe, value: runFolders.map(\.path).joined(separator: ", "),
                                                 reason: "this probe reads one run; give one run folder")
        }
        return runFolders.first
    }

    /// The examples probes evaluate, with a name for messages.
    public func evaluationSplit(probe: String) throws -> (split: Split, source: String) {
        if let examples { return (examples, "the given examples") }
        guard let dataset else { throw AnalysisError.missingInput("a dataset (or examples) to evaluate", probe: probe) }
        return (try dataset.split(options.testFile), "\(options.testFile).json of \(dataset.directory.path)")
    }

    /// The test types named, in that order, or all of them when `names` is empty; a name the data
    /// lacks is an error listing what it has.
    public func selectSplits(_ names: [String], probe: String) throws -> [(type: String, split: Split)] {
        let (split, source) = try evaluationSplit(probe: probe)
        let groups = split.groupedByType()
        if names.isEmpty { return groups }
        let byType = Dictionary(groups.map { ($0.type, $0.split) }, uniquingKeysWith: { a, _ in a })
        return try names.map { name in
            guard let s = byType[name] else { throw AnalysisError.unknownSplit(name, source: source, available: groups.map(\.type)) }
            return (name, s)
        }
    }

    /// Padding and prediction position for `model`: the options', else its training config's, else
    /// the longest input and `last_token`.
    public func evaluationSettings(for model: ProbeModel) -> (padding: Padding, position: PredictionPosition) {
        let training = (options.padding == nil || options.predictionPosition == nil) ? model.trainingConfig() : nil
        let padding: Padding = options.padding ?? training?.padding ?? .longest
        return (padding, options.predictionPosition ?? training?.predictionPosition ?? .lastToken)
    }

    public func requireModels(probe: String) throws -> [ProbeModel] {
        guard !models.isEmpty else { throw AnalysisError.missingInput("at least one checkpoint", probe: probe) }
        var seen = Set<String>()
        for m in models where !seen.insert(m.name).inserted {
            throw AnalysisError.invalidParameter("checkpoint", probe: probe, value: m.name, reason: "two checkpoints share this name")
        }
        return models
    }
}

/// JSON as this package writes it: pretty, sorted keys, non-finite numbers as strings.
public enum AnalysisJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try encoder.encode(value)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try decoder.decode(type, from: data)
    }

    /// Writes to a temporary sibling, then renames it over `url`.
    public static func writeAtomically(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UInt64.random(in: 0 ... .max)).tmp")
        do {
            try data.write(to: temporary)
            // rename(2) replaces the destination in one step: a reader sees the old file or the new.
            guard rename(temporary.path, url.path) == 0 else {
                throw AnalysisError.writeFailed(url.path, reason: String(cString: strerror(errno)))
            }
        } catch let error as AnalysisError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw AnalysisError.writeFailed(url.path, reason: error.localizedDescription)
        }
    }
}
