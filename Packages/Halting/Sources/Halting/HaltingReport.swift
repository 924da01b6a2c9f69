import Foundation
import KnowledgeGraph
import RecurrentDepth

/// A value in a report's `config`: JSON numbers, strings and booleans.
public enum ReportValue: Codable, Equatable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case string(String)
    case bool(Bool)

    /// A Float parameter as the number it was written as (0.001, not 0.0010000000474974513).
    public static func float(_ value: Float) -> ReportValue { .double(Double("\(value)") ?? Double(value)) }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int.self) { self = .int(v) }
        else if let v = try? c.decode(Double.self) { self = .double(v) }
        else { self = .string(try c.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .int(v): try c.encode(v)
        case let .double(v): try c.encode(v)
        case let .string(v): try c.encode(v)
        case let .bool(v): try c.encode(v)
        }
    }

    public var description: String {
        switch self {
        case let .int(v): return String(v)
        case let .double(v): return String(v)
        case let .string(v): return v
        case let .bool(v): return String(v)
        }
    }
}

/// count/mean/median/std/min/max of the iterations used, as numpy computes them (`std` is the
/// population standard deviation, numpy's default; the median of an even count is the mean of the
/// middle two).
public struct IterationStatistics: Codable, Equatable {
    public var count: Int
    public var mean: Double
    public var median: Double
    public var std: Double
    public var min: Int
    public var max: Int

    public init(count: Int, mean: Double, median: Double, std: Double, min: Int, max: Int) {
        self.count = count
        self.mean = mean
        self.median = median
        self.std = std
        self.min = min
        self.max = max
    }

    public init(_ iterations: [Int]) {
        guard !iterations.isEmpty else { self.init(count: 0, mean: 0, median: 0, std: 0, min: 0, max: 0); return }
        let n = Double(iterations.count)
        let mean = Double(iterations.reduce(0, +)) / n
        let sorted = iterations.sorted(), mid = sorted.count / 2
        let median = sorted.count % 2 == 1 ? Double(sorted[mid]) : Double(sorted[mid - 1] + sorted[mid]) / 2
        let variance = iterations.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        self.init(count: iterations.count, mean: mean, median: median, std: variance.squareRoot(), min: sorted[0], max: sorted[sorted.count - 1])
    }
}

/// One test type's result.
public struct HaltingTypeResult: Equatable {
    public var type: String
    public var correct: Int
    public var statistics: IterationStatistics
    /// How many examples each halt driver stopped, when the policy records drivers.
    public var drivers: [HaltDriver: Int]?

    public init(type: String, correct: Int, statistics: IterationStatistics, drivers: [HaltDriver: Int]? = nil) {
        self.type = type
        self.correct = correct
        self.statistics = statistics
        self.drivers = drivers
    }

    public var count: Int { statistics.count }
    /// Percent, as the reference reports it.
    public var accuracy: Double { count == 0 ? 0 : 100 * Double(correct) / Double(count) }
    public var meanIterations: Double { statistics.mean }
}

/// An evaluation report, written as JSON with the reference's keys (`accuracy_per_type` in percent,
/// `avg_iterations_per_type`, `iterations_stats_per_type`, `config`) so existing plotting scripts
/// read it; `halt_drivers_per_type` is added when the policy records halt drivers.
public struct HaltingReport: Codable, Equatable {
    /// In the split's order of types.
    public var results: [HaltingTypeResult]
    public var config: [String: ReportValue]

    public init(results: [HaltingTypeResult], config: [String: ReportValue]) {
        self.results = results
        self.config = config
    }

    public subscript(type: String) -> HaltingTypeResult? { results.first { $0.type == type } }

    enum CodingKeys: String, CodingKey {
        case accuracyPerType = "accuracy_per_type"
        case avgIterationsPerType = "avg_iterations_per_type"
        case iterationsStatsPerType = "iterations_stats_per_type"
        case haltDriversPerType = "halt_drivers_per_type"
        case config
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Dictionary(uniqueKeysWithValues: results.map { ($0.type, $0.accuracy) }), forKey: .accuracyPerType)
        try c.encode(Dictionary(uniqueKeysWithValues: results.map { ($0.type, $0.meanIterations) }), forKey: .avgIterationsPerType)
        try c.encode(Dictionary(uniqueKeysWithValues: results.map { ($0.type, $0.statistics) }), forKey: .iterationsStatsPerType)
        if results.contains(where: { $0.drivers != nil }) {
            let drivers = results.map { r in
                (r.type, Dictionary(uniqueKeysWithValues: HaltDriver.allCases.map { ($0.rawValue, r.drivers?[$0] ?? 0) }))
            }
            try c.encode(Dictionary(uniqueKeysWithValues: drivers), forKey: .haltDriversPerType)
        }
        try c.encode(config, forKey: .config)
    }

    /// Reads a report back (types come out sorted by name: JSON objects keep no order).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let accuracy = try c.decode([String: Double].self, forKey: .accuracyPerType)
        let stats = try c.decode([String: IterationStatistics].self, forKey: .iterationsStatsPerType)
        let drivers = try c.decodeIfPresent([String: [String: Int]].self, forKey: .haltDriversPerType)
        config = try c.decodeIfPresent([String: ReportValue].self, forKey: .config) ?? [:]
        results = accuracy.keys.sorted().map { type in
            let s = stats[type] ?? IterationStatistics([])
            let d = drivers?[type].map { Dictionary(uniqueKeysWithValues: $0.compactMap { k, v in HaltDriver(rawValue: k).map { ($0, v) } }) }
            return HaltingTypeResult(type: type, correct: Int((accuracy[type]! * Double(s.count) / 100).rounded()), statistics: s, drivers: d)
        }
    }

    /// Pretty-printed JSON with sorted keys.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    public func write(to url: URL) throws {
        do { try jsonData().write(to: url, options: .atomic) } catch {
            throw HaltingError.writeFailed(url.path, reason: error.localizedDescription)
        }
    }

    /// A plain-text table: type, count, accuracy %, mean/median/std/min/max iterations.
    public func table() -> String {
        var lines = ["type                  count  accuracy%   mean  median    std  min  max"]
        for r in results {
            let s = r.statistics
            lines.append(pad(r.type, 20) + lpad(String(r.count), 7) + lpad(fixed(r.accuracy, 2), 11) + lpad(fixed(s.mean, 2), 7)
                         + lpad(fixed(s.median, 1), 8) + lpad(fixed(s.std, 2), 7) + lpad(String(s.min), 5) + lpad(String(s.max), 5))
        }
        return lines.joined(separator: "\n")
    }
}

/// Evaluates `split` one test type at a time (in the split's order of types) with `evaluator` —
/// an `AdaptiveEvaluator` for a halting policy (its halt drivers are counted too), or any other,
/// such as RecurrentDepth's `FixedRecurrenceEvaluator` — and reports accuracy and iterations.
/// `config` entries are added to (and override) the ones the report fills in itself.
public func evaluateHalting(_ model: RecurrentGPT2, split: Split, evaluator: Evaluator, batchSize: Int, padding: Padding,
                            truncate: Bool = false, predictionPosition: PredictionPosition,
                            config: [String: ReportValue] = [:]) throws -> HaltingReport {
    guard batchSize >= 1 else { throw HaltingError.invalidSetting("batch size must be at least 1, got \(batchSize)") }
    let adaptive = evaluator as? AdaptiveEvaluator
    var results: [HaltingTypeResult] = []
    // Each example is read where training reads it, though types are batched apart.
    let typePadding = predictionPosition.evaluationPadding(padding, split: split)
    for (type, group) in split.groupedByType() {
        let batcher = try Batcher(examples: group.examples, batchSize: batchSize, padding: typePadding, truncate: truncate)
        var iterations: [Int] = [], correct = 0
        var drivers: [HaltDriver: Int]?
        for batch in batcher.batches() {
            let input = ModelInput(batch, predictionPosition: predictionPosition)
            let answers: [Int32]
            if let adaptive {
                let result = try adaptive.inference.run(input, model: model)
                answers = result.answers
                iterations += result.iterations
                if let d = result.drivers {
                    var counts = drivers ?? [:]
                    for driver in d { counts[driver, default: 0] += 1 }
                    drivers = counts
                }
            } else {
                let result = try evaluator.answer(input, model: model)
                answers = result.answers
                iterations += result.iterations
            }
            for i in 0..<batch.size where answers[i] == batch.labels[i] { correct += 1 }
        }
        results.append(HaltingTypeResult(type: type, correct: correct, statistics: IterationStatistics(iterations), drivers: drivers))
    }
    var settings: [String: ReportValue] = [
        "evaluator": .string(evaluator.name), "batch_size": .int(batchSize), "pred_pos": .string(predictionPosition.rawValue),
        "split": .string(split.name), "halting_version": .string(HaltingVersion.current),
    ]
    switch padding {
    case let .fixed(n): settings["max_len"] = .int(n)
    case .longest: settings["padding"] = .string("longest")
    }
    if let adaptive {
        settings["halting"] = .string(adaptive.inference.policy.name)
        for (key, value) in adaptive.inference.policy.parameters { settings[key] = value }
        settings["max_iters"] = .int(adaptive.inference.maxIterations)
    }
    settings.merge(config) { $1 }
    return HaltingReport(results: results, config: settings)
}

func fixed(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s }
