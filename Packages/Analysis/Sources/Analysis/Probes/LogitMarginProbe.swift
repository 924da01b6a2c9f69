import Foundation
import KnowledgeGraph
import RecurrentDepth
import TensorKit

/// The margin of one split: examples seen, mean first-hit iteration (1-based; nil when no example
/// ever ranks its target first) and the mean margin per iteration — the reference's keys.
public struct SplitMargins: Codable, Equatable, Sendable {
    public var count: Int
    public var avgTFirst: Double?
    public var margin: [Double]

    enum CodingKeys: String, CodingKey {
        case count
        case avgTFirst = "avg_t_first"
        case margin
    }

    /// `avg_t_first` is always written, `null` when no example hits (the reference writes NaN,
    /// which JSON cannot hold), so every split has the same three keys.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(count, forKey: .count)
        try c.encode(avgTFirst, forKey: .avgTFirst)
        try c.encode(margin, forKey: .margin)
    }

    public init(count: Int, avgTFirst: Double?, margin: [Double]) {
        self.count = count
        self.avgTFirst = avgTFirst
        self.margin = margin
    }
}

/// Sums margins and first hits over batches.
public struct MarginAccumulator {
    public let iterations: Int
    public private(set) var count = 0
    var sums: [Double]
    var firstHitSum = 0.0
    var hits = 0

    public init(iterations: Int) {
        self.iterations = iterations
        sums = Array(repeating: 0, count: iterations)
    }

    /// Margins are averaged over every example; the first-hit iteration over those that have one.
    public var result: SplitMargins {
        SplitMargins(count: count, avgTFirst: hits == 0 ? nil : firstHitSum / Double(hits),
                     margin: sums.map { count == 0 ? 0 : $0 / Double(max(count, 1)) })
    }

    /// Runs `model` for `iterations` steps on `input` and adds each example's margin at every step
    /// (target logit − best other logit at `input.positions`) and its first argmax hit.
    public mutating func add(_ model: RecurrentGPT2, input: ModelInput, targets: [Int32]) throws {
        let observer = MarginObserver(targets: targets, iterations: iterations)
        _ = try withoutGrad { try model.run(input, recurrence: iterations, observer: observer) }
        count += input.batchSize
        for t in 0..<iterations { sums[t] += observer.sums[t] }
        for first in observer.firstHit where first >= 0 {
            firstHitSum += Double(first + 1)
            hits += 1
        }
    }
}

/// Reads the monitored logits after every recurrence step through the model's observer seam.
final class MarginObserver: RecurrenceObserver {
    var readsMonitoredPositionsOnly: Bool { true }
    let targets: [Int32]
    var sums: [Double]
    var firstHit: [Int]

    init(targets: [Int32], iterations: Int) {
        self.targets = targets
        sums = Array(repeating: 0, count: iterations)
        firstHit = Array(repeating: -1, count: targets.count)
    }

    func recurrenceDidFinish(_ step: RecurrenceStep) -> Set<Int> {
        let logits = step.monitoredLogits()
        let v = logits.shape[1]
        logits.scalars.withUnsafeBufferPointer { p in
            for (row, example) in step.examples.enumerated() {
                let target = Int(targets[example])
                let base = row * v
                var best = -Float.infinity, argmax = 0
                var bestOther = -Float.infinity
                for j in 0..<v {
                    let x = p[base + j]
                    if x > best { best = x; argmax = j }
                    if j != target && x > bestOther { bestOther = x }
                }
                sums[step.index] += Double(p[base + target] - bestOther)
                if argmax == target && firstHit[example] < 0 { firstHit[example] = step.index }
            }
        }
        return []
    }
}

/// `logit-margin`: per recurrence step, the mean of (target logit − best other logit) at the
/// monitored position, per test split, and the mean first iteration at which the target is the
/// argmax ("Loop, Think & Generalize", the margin analysis). Its JSON has the reference's shape.
public struct LogitMarginProbe: RegisteredProbe {
    public static let description = ComponentDescription(
        name: "logit-margin",
        summary: "mean logit margin (target − best other) per recurrence step and mean first-hit iteration, per test split; margin-vs-iteration figure",
        parameters: [
            ParameterSpec("splits", default: "", "test types to measure, comma-separated (default: every type of the test file)"),
            ParameterSpec("iterations", default: "", "recurrence steps to run (default: the max-iterations option)"),
            ParameterSpec("position", default: "pred_pos", "pred_pos (where the model answers) or first_pad (min(input_length, T−1), the reference script's)"),
            ParameterSpec("sample", default: "0", "examples per split, drawn with a fixed seed (0: all)"),
            ParameterSpec("title", default: "Margin vs recurrent iteration", "figure title"),
        ])

    public var name: String { Self.description.name }
    public var splits: [String]
    public var iterations: Int?
    public var position: MonitoredPosition
    public var sampleSize: Int
    public var title: String

    public init(splits: [String] = [], iterations: Int? = nil, position: MonitoredPosition = .predictionPosition,
                sampleSize: Int = 0, title: String = "Margin vs recurrent iteration") {
        self.splits = splits
        self.iterations = iterations
        self.position = position
        self.sampleSize = sampleSize
        self.title = title
    }

    public init(parameters p: Parameters) throws {
        self.init(splits: p.list("splits"), iterations: try p.optionalNumber("iterations", in: 1...100_000),
                  position: MonitoredPosition(rawValue: try p.choice("position", among: MonitoredPosition.allCases.map(\.rawValue)))!,
                  sampleSize: try p.optionalNumber("sample", in: 0...Int.max) ?? 0, title: p.string("title"))
    }

    public struct Meta: Codable, Equatable, Sendable {
        public var iters: Int
        public var batchSize: Int
        public var sampleSize: Int
        public var position: MonitoredPosition
        public var modelOrder: [String]
        public var splitOrder: [String]

        enum CodingKeys: String, CodingKey {
            case iters, position
            case batchSize = "batch_size", sampleSize = "sample_size", modelOrder = "model_order", splitOrder = "split_order"
        }
    }

    public struct ModelMargins: Codable, Equatable, Sendable {
        public var label: String
        public var checkpointPath: String?
        public var predictionPosition: PredictionPosition
        public var splits: [String: SplitMargins]

        enum CodingKeys: String, CodingKey {
            case label, splits
            case checkpointPath = "checkpoint_path", predictionPosition = "prediction_position"
        }
    }

    public struct Result: Codable, Equatable, Sendable {
        public var meta: Meta
        public var models: [String: ModelMargins]
    }

    public func measure(_ context: ProbeContext) throws -> Result {
        let models = try context.requireModels(probe: name)
        let chosen = try context.selectSplits(splits, probe: name)
        let iters = iterations ?? context.options.maxIterations
        guard iters >= 1 else { throw AnalysisError.invalidParameter("iterations", probe: name, value: String(iters), reason: "must be at least 1") }
        var result = Result(meta: Meta(iters: iters, batchSize: context.options.batchSize, sampleSize: sampleSize, position: position,
                                       modelOrder: models.map(\.name), splitOrder: chosen.map(\.type)), models: [:])
        for probeModel in models {
            let model = try probeModel.load()
            var entry = ModelMargins(label: probeModel.label, checkpointPath: probeModel.folder?.path,
                                     predictionPosition: context.evaluationSettings(for: probeModel).position, splits: [:])
            for (type, split) in chosen {
                var accumulator = MarginAccumulator(iterations: iters)
                try forEachBatch(of: sample(split, sampleSize), model: probeModel, context: context, position: position) { input, labels in
                    try accumulator.add(model, input: input, targets: labels)
                }
                entry.splits[type] = accumulator.result
            }
            result.models[probeModel.name] = entry
        }
        return result
    }

    /// Margin against iteration, one line per split, the mean first-hit iteration dashed in the
    /// split's colour, the zero line; one panel per model sharing both axes.
    public func figures(for result: Result) throws -> [Figure] {
        let colors = Dictionary(result.meta.splitOrder.enumerated().map { ($0.element, Palette.color($0.offset)) }, uniquingKeysWith: { a, _ in a })
        let xs = (1...max(result.meta.iters, 1)).map(Double.init)
        var panels: [ChartPanel] = []
        for key in result.meta.modelOrder {
            guard let model = result.models[key] else { continue }
            var panel = ChartPanel(title: model.label, series: [], lines: [
                ReferenceLine(axis: .y, value: 0, color: "#000000", dashed: false, role: "zero"),
            ])
            for split in result.meta.splitOrder {
                guard let m = model.splits[split] else { continue }
                panel.series.append(LineSeries(label: displayLabel(forSplit: split), x: xs, y: m.margin, color: colors[split]!))
                if let t = m.avgTFirst {
                    panel.lines.append(ReferenceLine(axis: .x, value: t, color: colors[split]!, dashed: true,
                                                     label: nil, role: "first-hit:\(displayLabel(forSplit: split))"))
                }
            }
            panels.append(panel)
        }
        let legend = result.meta.splitOrder.map { LegendEntry(label: displayLabel(forSplit: $0), color: colors[$0]!) } + [
            LegendEntry(label: "Avg. first-hit iteration t*", color: "#000000", style: .dashed),
            LegendEntry(label: "Decision boundary (margin = 0)", color: "#000000"),
        ]
        let position = result.meta.position == .firstPad ? "first pad position" : "prediction position"
        let chart = LineChart(title: title, xLabel: "Recurrent iteration (t)",
                              yLabel: "Average logit margin (target − top competitor)", xDomain: 1...Double(max(result.meta.iters, 2)),
                              panels: panels, columns: min(2, max(panels.count, 1)), legend: legend)
        var c = chart
        c.title = title + " (\(position))"
        return [try Figure(name: "logit-margin-grid", chart: c)]
    }
}
