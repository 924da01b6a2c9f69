import Foundation
import RecurrentDepth

/// A run's `metrics.jsonl`, read whole.
public struct MetricsLog {
    public let path: String
    public let records: [MetricsRecord]

    public init(path: String, records: [MetricsRecord]) {
        self.path = path
        self.records = records
    }

    /// Reads every line as a `MetricsRecord`; an empty log, a missing file and a line that is not a
    /// record are errors naming the file (and the line).
    public static func read(from url: URL) throws -> MetricsLog {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw AnalysisError.missingFile(url.path) }
        let decoder = JSONDecoder()
        var records: [MetricsRecord] = []
        for (i, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) { continue }
            do { records.append(try decoder.decode(MetricsRecord.self, from: Data(line))) } catch let error as DecodingError {
                throw AnalysisError.notAMetricsLog(url.path, line: i + 1, reason: Self.describe(error))
            } catch {
                throw AnalysisError.notAMetricsLog(url.path, line: i + 1, reason: "\(error)")
            }
        }
        guard !records.isEmpty else { throw AnalysisError.emptyMetricsLog(url.path) }
        return MetricsLog(path: url.path, records: records)
    }

    /// Evaluation records (optionally of one evaluator), in log order.
    public func evaluations(evaluator: String? = nil) -> [MetricsRecord] {
        records.filter { $0.kind == "eval" && $0.accuracy != nil && (evaluator == nil || $0.evaluator == evaluator) }
    }

    /// Every type with an accuracy in some evaluation, in order of first appearance.
    public func evaluatedTypes(evaluator: String? = nil) -> [String] {
        var seen = Set<String>(), out: [String] = []
        for record in evaluations(evaluator: evaluator) {
            for type in (record.accuracy ?? [:]).keys.sorted() where seen.insert(type).inserted { out.append(type) }
        }
        return out
    }

    /// The accuracy of `split` at every evaluation that reports it.
    public func curve(_ split: String, evaluator: String? = nil) -> AccuracyCurve {
        var curve = AccuracyCurve(split: split, step: [], epoch: [], accuracy: [])
        for record in evaluations(evaluator: evaluator) {
            guard let a = record.accuracy?[split] else { continue }
            curve.step.append(record.step)
            curve.epoch.append(record.epoch)
            curve.accuracy.append(a)
        }
        return curve
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case let .keyNotFound(key, _): return "missing key '\(key.stringValue)'"
        case let .typeMismatch(_, c), let .valueNotFound(_, c):
            return "wrong type at '\(c.codingPath.map(\.stringValue).joined(separator: "."))'"
        case .dataCorrupted: return "not valid JSON"
        @unknown default: return "\(error)"
        }
    }
}

/// Accuracy (0...1) of one split at successive evaluations.
public struct AccuracyCurve: Codable, Equatable, Sendable {
    public var split: String
    public var step: [Int]
    public var epoch: [Int]
    public var accuracy: [Double]

    public init(split: String, step: [Int], epoch: [Int], accuracy: [Double]) {
        self.split = split
        self.step = step
        self.epoch = epoch
        self.accuracy = accuracy
    }

    /// The index of the first evaluation from which accuracy stays ≥ `threshold` for `patience`
    /// evaluations in a row (or until the log ends), nil if there is none.
    public func saturation(threshold: Double, patience: Int = 1) -> Int? {
        let n = accuracy.count, k = max(1, patience)
        for i in 0..<n where accuracy[i] >= threshold {
            if accuracy[i..<min(n, i + k)].allSatisfy({ $0 >= threshold }) { return i }
        }
        return nil
    }
}

/// A checkpoint of a run, where its trainer state says it was written.
public struct RunCheckpoint: Codable, Equatable, Sendable {
    public var name: String
    public var step: Int
    public var epoch: Int
    public var path: String

    /// The checkpoints under `run/checkpoints/*` that have a `trainer_state.json` (a `latest` that
    /// duplicates a named checkpoint's step is dropped), by step.
    public static func list(in run: URL) -> [RunCheckpoint] {
        struct Position: Decodable { var step: Int; var epoch: Int }
        let folder = run.appendingPathComponent("checkpoints")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var found: [RunCheckpoint] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let state = folder.appendingPathComponent(name).appendingPathComponent(Trainer.stateFile)
            guard let data = FileManager.default.contents(atPath: state.path),
                  let p = try? JSONDecoder().decode(Position.self, from: data) else { continue }
            found.append(RunCheckpoint(name: name, step: p.step, epoch: p.epoch, path: folder.appendingPathComponent(name).path))
        }
        let named = Set(found.filter { $0.name != "latest" }.map(\.step))
        return found.filter { $0.name != "latest" || !named.contains($0.step) }.sorted { ($0.step, $0.name) < ($1.step, $1.name) }
    }

    /// The checkpoint closest in steps to `step` (the earlier on a tie).
    public static func nearest(to step: Int, in checkpoints: [RunCheckpoint]) -> RunCheckpoint? {
        checkpoints.min { (abs($0.step - step), $0.step) < (abs($1.step - step), $1.step) }
    }
}

/// `grokking`: the three stages of "Loop, Think & Generalize" read off a run's metrics log —
/// training accuracy saturates (memorization), then in-distribution test accuracy, then
/// out-of-distribution — with the checkpoint nearest each stage.
public struct GrokkingProbe: RegisteredProbe {
    public static let description = ComponentDescription(
        name: "grokking",
        summary: "accuracy curves from a run's metrics log and the steps where memorization, ID and OOD generalization happen; curves on a log step axis",
        parameters: [
            ParameterSpec("train", default: "train_inferred", "split whose saturation marks memorization (empty: skip the stage)"),
            ParameterSpec("iid", default: "test_inferred_iid", "split whose saturation marks in-distribution generalization (empty: skip)"),
            ParameterSpec("ood", default: "test_inferred_ood", "split whose saturation marks out-of-distribution generalization (empty: skip)"),
            ParameterSpec("splits", default: "", "more splits to draw, comma-separated"),
            ParameterSpec("memorization_threshold", default: "0.99", "training accuracy (0...1) that counts as memorized"),
            ParameterSpec("iid_threshold", default: "0.95", "ID test accuracy (0...1) that counts as generalized"),
            ParameterSpec("ood_threshold", default: "0.95", "OOD test accuracy (0...1) that counts as generalized"),
            ParameterSpec("patience", default: "1", "evaluations in a row that must stay at or above the threshold"),
            ParameterSpec("evaluator", default: "", "only evaluations by this evaluator, e.g. fixed(4) (default: all)"),
            ParameterSpec("metrics", default: "", "metrics log to read (default: RUN/metrics.jsonl)"),
            ParameterSpec("title", default: "Grokking: accuracy over training", "figure title"),
        ])

    /// One stage: which split marks it and the threshold it must reach.
    public struct StageRule: Codable, Equatable, Sendable {
        public var stage: String
        public var split: String
        public var threshold: Double

        public init(stage: String, split: String, threshold: Double) {
            self.stage = stage
            self.split = split
            self.threshold = threshold
        }
    }

    public var name: String { Self.description.name }
    public var rules: [StageRule]
    public var extraSplits: [String]
    public var patience: Int
    public var evaluator: String?
    public var metricsFile: URL?
    public var title: String

    public init(rules: [StageRule] = GrokkingProbe.defaultRules, extraSplits: [String] = [], patience: Int = 1,
                evaluator: String? = nil, metricsFile: URL? = nil, title: String = "Grokking: accuracy over training") {
        self.rules = rules
        self.extraSplits = extraSplits
        self.patience = patience
        self.evaluator = evaluator
        self.metricsFile = metricsFile
        self.title = title
    }

    public static let defaultRules = [
        StageRule(stage: "memorization", split: "train_inferred", threshold: 0.99),
        StageRule(stage: "iid", split: "test_inferred_iid", threshold: 0.95),
        StageRule(stage: "ood", split: "test_inferred_ood", threshold: 0.95),
    ]

    public init(parameters p: Parameters) throws {
        var rules: [StageRule] = []
        for (stage, key, thresholdKey) in [("memorization", "train", "memorization_threshold"), ("iid", "iid", "iid_threshold"),
                                           ("ood", "ood", "ood_threshold")] {
            let split = p.string(key).trimmingCharacters(in: .whitespaces)
            if split.isEmpty { continue }
            rules.append(StageRule(stage: stage, split: split, threshold: try p.optionalNumber(thresholdKey, in: 0...1) ?? 0.95))
        }
        let metrics = p.string("metrics")
        let evaluator = p.string("evaluator")
        self.init(rules: rules, extraSplits: p.list("splits"), patience: try p.optionalNumber("patience", in: 1...1_000_000) ?? 1,
                  evaluator: evaluator.isEmpty ? nil : evaluator, metricsFile: metrics.isEmpty ? nil : URL(fileURLWithPath: metrics),
                  title: p.string("title"))
    }

    /// A stage that was reached: where, and the checkpoint nearest to it.
    public struct Stage: Codable, Equatable, Sendable {
        public var stage: String
        public var split: String
        public var threshold: Double
        public var step: Int
        public var epoch: Int
        public var accuracy: Double
        public var checkpoint: RunCheckpoint?
    }

    public struct Result: Codable, Equatable, Sendable {
        public var metricsLog: String
        public var evaluator: String?
        public var patience: Int
        public var rules: [StageRule]
        public var splitOrder: [String]
        public var curves: [String: AccuracyCurve]
        /// Stages reached, in the order of `rules`.
        public var stages: [Stage]
        /// Stages never reached (by their names).
        public var notReached: [String]

        enum CodingKeys: String, CodingKey {
            case evaluator, patience, rules, curves, stages
            case metricsLog = "metrics_log", splitOrder = "split_order", notReached = "not_reached"
        }
    }

    public func measure(_ context: ProbeContext) throws -> Result {
        let file: URL
        if let metricsFile { file = metricsFile } else {
            guard let run = try context.singleRun(probe: name) else { throw AnalysisError.missingInput("a run folder (or metrics=PATH)", probe: name) }
            file = run.appendingPathComponent(Trainer.metricsFile)
        }
        let log = try MetricsLog.read(from: file)
        let checkpoints = try context.singleRun(probe: name).map(RunCheckpoint.list) ?? RunCheckpoint.list(in: file.deletingLastPathComponent())
        return try analyze(log, checkpoints: checkpoints)
    }

    /// The stages of `log` (no files read; `checkpoints` are the run's, for the nearest one).
    public func analyze(_ log: MetricsLog, checkpoints: [RunCheckpoint] = []) throws -> Result {
        guard !log.evaluations(evaluator: evaluator).isEmpty else {
            if let evaluator, !log.evaluations().isEmpty {
                let names = Array(Set(log.evaluations().compactMap(\.evaluator))).sorted()
                throw AnalysisError.invalidParameter("evaluator", probe: name, value: evaluator,
                                                     reason: "no evaluation in \(log.path) is by it; it has \(names.joined(separator: ", "))")
            }
            throw AnalysisError.noEvaluations(log.path)
        }
        let available = log.evaluatedTypes(evaluator: evaluator)
        var order: [String] = []
        for split in rules.map(\.split) + extraSplits where !order.contains(split) { order.append(split) }
        for split in order where !available.contains(split) {
            throw AnalysisError.unknownSplit(split, source: "the metrics log \(log.path)", available: available)
        }
        var result = Result(metricsLog: log.path, evaluator: evaluator, patience: patience, rules: rules, splitOrder: order,
                            curves: [:], stages: [], notReached: [])
        for split in order { result.curves[split] = log.curve(split, evaluator: evaluator) }
        for rule in rules {
            let curve = result.curves[rule.split]!
            if let i = curve.saturation(threshold: rule.threshold, patience: patience) {
                result.stages.append(Stage(stage: rule.stage, split: rule.split, threshold: rule.threshold, step: curve.step[i],
                                           epoch: curve.epoch[i], accuracy: curve.accuracy[i],
                                           checkpoint: RunCheckpoint.nearest(to: curve.step[i], in: checkpoints)))
            } else {
                result.notReached.append(rule.stage)
            }
        }
        return result
    }

    static func stageLabel(_ stage: String) -> String {
        switch stage {
        case "memorization": return "memorization"
        case "iid": return "ID generalization"
        case "ood": return "OOD generalization"
        default: return stage
        }
    }

    /// Accuracy curves on a log step axis, each reached stage a dashed line in its split's colour.
    public func figures(for result: Result) throws -> [Figure] {
        let colors = Dictionary(result.splitOrder.enumerated().map { ($0.element, Palette.color($0.offset)) }, uniquingKeysWith: { a, _ in a })
        var panel = ChartPanel(title: "", series: [])
        for split in result.splitOrder {
            guard let c = result.curves[split] else { continue }
            panel.series.append(LineSeries(label: split, x: c.step.map(Double.init), y: c.accuracy, color: colors[split]!,
                                           markers: c.step.count <= 80))
        }
        for stage in result.stages {
            panel.lines.append(ReferenceLine(axis: .x, value: Double(max(stage.step, 1)), color: colors[stage.split] ?? "#000000", dashed: true,
                                             label: Self.stageLabel(stage.stage) + " (\(AxisMapping.compact(Double(stage.step))))",
                                             role: "stage:\(stage.stage)"))
        }
        var legend = LineChart.seriesLegend([panel])
        if !result.stages.isEmpty { legend.append(LegendEntry(label: "stage reached (first evaluation at threshold)", color: "#444444", style: .dashed)) }
        let steps = result.curves.values.flatMap(\.step).filter { $0 > 0 }
        let x0 = Double(steps.min() ?? 1), x1 = Double(max(steps.max() ?? 10, (steps.min() ?? 1) + 1))
        let chart = LineChart(title: title, xLabel: "Optimization step (log scale)", yLabel: "Accuracy", xScale: .log,
                              xDomain: x0...x1, yDomain: -0.02...1.02, panels: [panel], columns: 1, legend: legend)
        var c = chart
        c.panelWidth = 560
        c.panelHeight = 300
        return [try Figure(name: "grokking-curves", chart: c)]
    }
}
