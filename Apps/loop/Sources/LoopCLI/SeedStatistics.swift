import Foundation
import RecurrentDepth

/// One finished run's metrics, as the aggregation takes them: which setting, which seed.
public struct SeedResult: Equatable {
    /// Names the setting; runs with the same label are seeds of one setting.
    public var setting: String
    public var seed: UInt64
    /// Metric name → value (`loop sweep` gives accuracy % per test type).
    public var metrics: [String: Double]

    public init(setting: String, seed: UInt64, metrics: [String: Double]) {
        self.setting = setting
        self.seed = seed
        self.metrics = metrics
    }
}

/// The mean, the sample standard deviation (n − 1 in the denominator; nil for fewer than two
/// values) and the number of values.
public struct MeanStd: Codable, Equatable {
    public var mean: Double
    public var std: Double?
    public var n: Int

    public init(mean: Double, std: Double?, n: Int) {
        self.mean = mean
        self.std = std
        self.n = n
    }

    /// The statistics of `values` (at least one).
    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "MeanStd of no values")
        n = values.count
        mean = values.reduce(0, +) / Double(n)
        let m = mean
        std = n < 2 ? nil : (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(n - 1)).squareRoot()
    }

    /// `93.3 ± 1.2`, or `93.3` when there is no deviation to give.
    public func formatted(digits: Int = 1) -> String {
        let format = "%.\(digits)f"
        return String(format: format, mean) + (std.map { " ± " + String(format: format, $0) } ?? "")
    }

    enum CodingKeys: String, CodingKey { case mean, std, n }

    // A missing deviation is written as null, so every row of results.json has the same keys.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mean, forKey: .mean)
        try container.encode(std, forKey: .std)
        try container.encode(n, forKey: .n)
    }
}

/// One setting's metrics over its seeds.
public struct SettingSummary: Codable, Equatable {
    public var setting: String
    /// The seeds aggregated, in the order given.
    public var seeds: [UInt64]
    /// Metric → its statistics over the seeds that have it (`n` may be below `seeds.count`).
    public var metrics: [String: MeanStd]

    public init(setting: String, seeds: [UInt64], metrics: [String: MeanStd]) {
        self.setting = setting
        self.seeds = seeds
        self.metrics = metrics
    }
}

/// Mean ± std over seeds: what `loop sweep report` computes, for any command that reports runs
/// per setting.
public enum SeedStatistics {
    /// One summary per setting, in the order the settings first appear; each metric over the
    /// results that have it. A pure function of its input.
    public static func summarize(_ results: [SeedResult]) -> [SettingSummary] {
        var order: [String] = []
        var grouped: [String: [SeedResult]] = [:]
        for result in results {
            if grouped[result.setting] == nil { order.append(result.setting) }
            grouped[result.setting, default: []].append(result)
        }
        return order.map { setting in
            let runs = grouped[setting]!
            var values: [String: [Double]] = [:]
            for run in runs { for (metric, value) in run.metrics { values[metric, default: []].append(value) } }
            return SettingSummary(setting: setting, seeds: runs.map(\.seed), metrics: values.mapValues(MeanStd.init))
        }
    }

    /// A Markdown table: a row per summary, the `keys` columns first (by default the setting's
    /// label), then the number of seeds, then each metric (all metrics, sorted, unless given) as
    /// `mean ± std`, with `(n k)` where fewer seeds than the row's have the metric.
    public static func markdownTable(_ summaries: [SettingSummary], metrics: [String]? = nil, keyHeaders: [String] = ["setting"],
                                     keys: ((SettingSummary) -> [String])? = nil, digits: Int = 1) -> String {
        let columns = metrics ?? Set(summaries.flatMap(\.metrics.keys)).sorted()
        let keys = keys ?? { [$0.setting] }
        func row(_ cells: [String]) -> String { "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |" }
        var lines = [row(keyHeaders + ["n"] + columns),
                     "|" + (keyHeaders.map { _ in "---" } + Array(repeating: "---:", count: columns.count + 1)).joined(separator: "|") + "|"]
        for summary in summaries {
            let cells = columns.map { metric -> String in
                guard let stats = summary.metrics[metric] else { return "—" }
                return stats.formatted(digits: digits) + (stats.n < summary.seeds.count ? " (n \(stats.n))" : "")
            }
            lines.append(row(keys(summary) + ["\(summary.seeds.count)"] + cells))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The last evaluation in a run's metrics log (`RUN/metrics.jsonl`), nil when it has none.
    public static func lastEvaluation(inRun runFolder: URL) throws -> MetricsRecord? {
        let file = runFolder.appendingPathComponent(Trainer.metricsFile)
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        let decoder = JSONDecoder()
        for (number, line) in data.split(separator: UInt8(ascii: "\n")).enumerated().reversed() {
            let record: MetricsRecord
            do { record = try decoder.decode(MetricsRecord.self, from: Data(line)) } catch {
                throw CLIError("\(file.path): line \(number + 1) is not a metrics record: \(error)")
            }
            if record.kind == "eval" { return record }
        }
        return nil
    }

    /// The accuracy per test type (%) of a run's last evaluation: the metrics `loop sweep` aggregates.
    public static func finalAccuracy(inRun runFolder: URL) throws -> [String: Double]? {
        try lastEvaluation(inRun: runFolder)?.accuracy?.mapValues { $0 * 100 }
    }
}
