import Foundation
import RecurrentDepth

/// Count, mean, median, std, min and max of the iterations used per example (the Halting
/// report's `iterations_stats_per_type` entries).
public struct IterationStats: Codable, Equatable, Sendable {
    public var count: Int
    public var mean: Double
    public var median: Double
    public var std: Double
    public var min: Double
    public var max: Double

    public init(count: Int, mean: Double, median: Double, std: Double, min: Double, max: Double) {
        (self.count, self.mean, self.median, self.std, self.min, self.max) = (count, mean, median, std, min, max)
    }
}

/// Figures of inference-time recurrence, from plain values: Analysis reads the Halting package's
/// JSON by its keys and never needs its Swift types.
public enum RecurrenceFigures {
    /// Accuracy (percent) by hop count (rows, ascending) × recurrence (columns). A type's hop count
    /// comes from its name (`hopCount(ofType:)`); when several types share one (`2hop_train`,
    /// `2hop_test`) the test type is used. Returns the types left out.
    public static func sweepHeatmap(accuracy: [Int: [String: Double]], title: String = "Accuracy by hop count and inference recurrence")
        -> (heatmap: Heatmap, rows: [(hops: Int, type: String)], skipped: [String]) {
        let types = Set(accuracy.values.flatMap(\.keys))
        var chosen: [Int: String] = [:]
        var skipped: [String] = []
        for type in types.sorted() {
            guard let k = hopCount(ofType: type) else { skipped.append(type); continue }
            if let current = chosen[k] {
                let better = type.hasSuffix("test") && !current.hasSuffix("test")
                skipped.append(better ? current : type)
                if better { chosen[k] = type }
            } else {
                chosen[k] = type
            }
        }
        let rows = chosen.keys.sorted().map { (hops: $0, type: chosen[$0]!) }
        let rs = accuracy.keys.sorted()
        let values: [[Double?]] = rows.map { row in rs.map { accuracy[$0]?[row.type] } }
        let heatmap = Heatmap(title: title, xLabel: "Inference recurrence r", yLabel: "Hop count",
                              columns: rs.map(String.init), rows: rows.map { "\($0.hops)-hop" }, values: values,
                              colorLabel: "Accuracy (%)", colorDomain: 0...100, valueDecimals: 0)
        return (heatmap, rows, skipped.sorted())
    }

    /// Fraction of examples halting at each iteration, one bar series per type.
    public static func iterationsHistogram(_ iterations: [String: [Int]], order: [String]? = nil,
                                           title: String = "Iterations used under adaptive halting") -> BarChart {
        let types = order ?? iterations.keys.sorted { (hopCount(ofType: $0) ?? .max, $0) < (hopCount(ofType: $1) ?? .max, $1) }
        let all = types.flatMap { iterations[$0] ?? [] }
        let low = all.min() ?? 1, high = Swift.max(all.max() ?? 1, low)
        let bins = Array(low...high)
        let series = types.enumerated().map { i, type -> BarSeries in
            let counts = iterations[type] ?? []
            let n = Double(Swift.max(counts.count, 1))
            return BarSeries(label: displayLabel(forSplit: type), values: bins.map { b in Double(counts.filter { $0 == b }.count) / n },
                             color: Palette.color(i))
        }
        return BarChart(title: title, xLabel: "Iterations used", yLabel: "Fraction of examples", categories: bins.map(String.init), series: series)
    }

    /// When only the statistics are known: mean iterations per type, whiskers from min to max.
    public static func iterationsSummary(_ stats: [String: IterationStats], title: String = "Iterations used under adaptive halting") -> BarChart {
        let types = stats.keys.sorted { (hopCount(ofType: $0) ?? .max, $0) < (hopCount(ofType: $1) ?? .max, $1) }
        let series = BarSeries(label: "mean iterations (whiskers: min–max)", values: types.map { stats[$0]!.mean }, color: Palette.color(0),
                               low: types.map { stats[$0]!.min }, high: types.map { stats[$0]!.max })
        return BarChart(title: title, xLabel: "Test type", yLabel: "Iterations", categories: types.map(displayLabel(forSplit:)), series: [series])
    }
}

/// `recurrence-sweep`: figures of the Halting package's outputs — accuracy by hop count ×
/// inference recurrence (a sweep's `accuracy_per_recurrence`) and the iterations used under
/// adaptive halting (an evaluation report's per-example iterations, or its
/// `iterations_stats_per_type`).
public struct RecurrenceSweepProbe: RegisteredProbe {
    public static let description = ComponentDescription(
        name: "recurrence-sweep",
        summary: "heatmap of accuracy by hop count × inference recurrence, histogram of iterations used under adaptive halting (from Halting's JSON)",
        parameters: [
            ParameterSpec("sweep", default: "", "sweep JSON with accuracy_per_recurrence (default: RUN/sweep.json if present)"),
            ParameterSpec("report", default: "", "halting evaluation report JSON (default: RUN/halting.json if present)"),
            ParameterSpec("title", default: "Accuracy by hop count and inference recurrence", "heatmap title"),
        ])

    public var name: String { Self.description.name }
    public var sweepFile: URL?
    public var reportFile: URL?
    public var title: String

    public init(sweepFile: URL? = nil, reportFile: URL? = nil, title: String = "Accuracy by hop count and inference recurrence") {
        self.sweepFile = sweepFile
        self.reportFile = reportFile
        self.title = title
    }

    public init(parameters p: Parameters) throws {
        let (s, r) = (p.string("sweep"), p.string("report"))
        self.init(sweepFile: s.isEmpty ? nil : URL(fileURLWithPath: s), reportFile: r.isEmpty ? nil : URL(fileURLWithPath: r),
                  title: p.string("title"))
    }

    public struct Result: Codable, Equatable, Sendable {
        /// Percent, `accuracy[r][type]`, as the sweep gave it.
        public var accuracyPerRecurrence: [String: [String: Double]]?
        /// The heatmap's rows: hop count → the type used for it.
        public var hopTypes: [String: String]?
        public var skippedTypes: [String]?
        public var iterationsPerExample: [String: [Int]]?
        public var iterationsStatsPerType: [String: IterationStats]?

        enum CodingKeys: String, CodingKey {
            case accuracyPerRecurrence = "accuracy_per_recurrence", hopTypes = "hop_types", skippedTypes = "skipped_types"
            case iterationsPerExample = "iterations_per_example", iterationsStatsPerType = "iterations_stats_per_type"
        }

        public init(accuracyPerRecurrence: [Int: [String: Double]]? = nil, iterationsPerExample: [String: [Int]]? = nil,
                    iterationsStatsPerType: [String: IterationStats]? = nil) {
            self.accuracyPerRecurrence = accuracyPerRecurrence.map { Dictionary(uniqueKeysWithValues: $0.map { (String($0.key), $0.value) }) }
            self.iterationsPerExample = iterationsPerExample
            self.iterationsStatsPerType = iterationsStatsPerType
            if let a = accuracyPerRecurrence {
                let (_, rows, skipped) = RecurrenceFigures.sweepHeatmap(accuracy: a)
                hopTypes = Dictionary(uniqueKeysWithValues: rows.map { (String($0.hops), $0.type) })
                skippedTypes = skipped
            }
        }
    }

    /// `accuracy_per_recurrence` of a sweep JSON: `{"r": {type: percent}}`.
    public static func readSweep(_ data: Data, source: String) throws -> [Int: [String: Double]] {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw AnalysisError.unreadableFile(source, reason: "not a JSON object")
        }
        guard let raw = object["accuracy_per_recurrence"] as? [String: Any] else {
            throw AnalysisError.unreadableFile(source, reason: "no 'accuracy_per_recurrence' object: not a recurrence sweep (keys: \(object.keys.sorted().joined(separator: ", ")))")
        }
        var out: [Int: [String: Double]] = [:]
        for (key, value) in raw {
            guard let r = Int(key), let types = value as? [String: Any] else {
                throw AnalysisError.unreadableFile(source, reason: "accuracy_per_recurrence.\(key): expected {type: percent} under an integer r")
            }
            out[r] = try types.mapValues { v in
                guard let n = v as? NSNumber else { throw AnalysisError.unreadableFile(source, reason: "accuracy_per_recurrence.\(key): a value is not a number") }
                return n.doubleValue
            }
        }
        guard !out.isEmpty else { throw AnalysisError.unreadableFile(source, reason: "accuracy_per_recurrence is empty") }
        return out
    }

    /// The iterations of a halting evaluation report: per-example lists (`iterations_per_example`
    /// or `iterations_per_type`, {type: [Int]}) when present, and `iterations_stats_per_type`.
    public static func readReport(_ data: Data, source: String) throws -> (perExample: [String: [Int]]?, stats: [String: IterationStats]?) {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw AnalysisError.unreadableFile(source, reason: "not a JSON object")
        }
        var perExample: [String: [Int]]?
        for key in ["iterations_per_example", "iterations_per_type"] {
            if let lists = object[key] as? [String: Any] {
                let converted = lists.compactMapValues { ($0 as? [NSNumber])?.map(\.intValue) }
                if converted.count == lists.count { perExample = converted; break }
            }
        }
        var stats: [String: IterationStats]?
        if let raw = object["iterations_stats_per_type"] {
            let data = try JSONSerialization.data(withJSONObject: raw)
            do { stats = try AnalysisJSON.decode([String: IterationStats].self, from: data) } catch {
                throw AnalysisError.unreadableFile(source, reason: "iterations_stats_per_type: each type needs count, mean, median, std, min, max")
            }
        }
        if perExample == nil && stats == nil {
            throw AnalysisError.unreadableFile(source, reason: "no per-example iterations and no 'iterations_stats_per_type': not a halting evaluation report")
        }
        return (perExample, stats)
    }

    public func measure(_ context: ProbeContext) throws -> Result {
        func locate(_ given: URL?, default file: String) throws -> URL? {
            if let given {
                guard FileManager.default.fileExists(atPath: given.path) else { throw AnalysisError.missingFile(given.path) }
                return given
            }
            guard let run = try context.singleRun(probe: name) else { return nil }
            let url = run.appendingPathComponent(file)
            return FileManager.default.fileExists(atPath: url.path) ? url : nil
        }
        let sweep = try locate(sweepFile, default: "sweep.json"), report = try locate(reportFile, default: "halting.json")
        guard sweep != nil || report != nil else {
            throw AnalysisError.missingInput("a sweep JSON (sweep=PATH) or a halting report (report=PATH)", probe: name)
        }
        let accuracy = try sweep.map { try Self.readSweep(Data(contentsOf: $0), source: $0.path) }
        let iterations = try report.map { try Self.readReport(Data(contentsOf: $0), source: $0.path) }
        return Result(accuracyPerRecurrence: accuracy, iterationsPerExample: iterations?.perExample, iterationsStatsPerType: iterations?.stats)
    }

    public func figures(for result: Result) throws -> [Figure] {
        var figures: [Figure] = []
        if let raw = result.accuracyPerRecurrence {
            let accuracy = Dictionary(uniqueKeysWithValues: raw.compactMap { k, v in Int(k).map { ($0, v) } })
            figures.append(try Figure(name: "recurrence-sweep-heatmap", heatmap: RecurrenceFigures.sweepHeatmap(accuracy: accuracy, title: title).heatmap))
        }
        if let perExample = result.iterationsPerExample {
            figures.append(try Figure(name: "halting-iterations", bars: RecurrenceFigures.iterationsHistogram(perExample)))
        } else if let stats = result.iterationsStatsPerType {
            figures.append(try Figure(name: "halting-iterations", bars: RecurrenceFigures.iterationsSummary(stats)))
        }
        return figures
    }
}
