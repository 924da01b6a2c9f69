import Foundation
import RecurrentDepth
import TensorKit

/// The logit lens on a recurrent-depth model: the hidden state after every block of every
/// recurrence step, read out through `ln_f` and the tied unembedding as if the pass ended there.
public enum LogitLens {
    /// Logits `[B, V]` at `input.positions` after layer `l` of step `t`, as `[t][l]`. The last layer
    /// of step t is the model's answer after t + 1 steps.
    public static func trace(_ model: RecurrentGPT2, input: ModelInput, iterations: Int) throws -> [[Tensor]] {
        let observer = TraceObserver(iterations: iterations, layers: model.blocks.count)
        _ = try withoutGrad { try model.run(input, recurrence: iterations, observer: observer) }
        return observer.logits.map { $0.map { $0! } }
    }

    final class TraceObserver: RecurrenceObserver {
        var readsMonitoredPositionsOnly: Bool { true }
        var logits: [[Tensor?]]
        init(iterations: Int, layers: Int) { logits = Array(repeating: Array(repeating: nil, count: layers), count: iterations) }
        var observesLayers: Bool { true }
        func layerDidFinish(_ step: RecurrenceStep) { logits[step.index][step.layer!] = step.monitoredLogits() }
        func recurrenceDidFinish(_ step: RecurrenceStep) -> Set<Int> { [] }
    }
}

/// The lens of one split: the target's mean probability, mean rank (1 = the argmax) and the
/// fraction of examples where it is the argmax, each as `[step][layer]`.
public struct SplitLens: Codable, Equatable, Sendable {
    public var count: Int
    public var iterations: Int
    public var layers: Int
    public var targetProbability: [[Double]]
    public var targetRank: [[Double]]
    public var top1: [[Double]]

    enum CodingKeys: String, CodingKey {
        case count, iterations, layers, top1
        case targetProbability = "target_probability", targetRank = "target_rank"
    }
}

/// Sums the lens over batches.
public struct LensAccumulator {
    public let iterations: Int
    public let layers: Int
    public private(set) var count = 0
    var probability: [[Double]]
    var rank: [[Double]]
    var top1: [[Double]]

    public init(iterations: Int, layers: Int) {
        self.iterations = iterations
        self.layers = layers
        let zero = Array(repeating: Array(repeating: 0.0, count: layers), count: iterations)
        (probability, rank, top1) = (zero, zero, zero)
    }

    public var result: SplitLens {
        let n = Double(max(count, 1))
        func mean(_ m: [[Double]]) -> [[Double]] { m.map { $0.map { $0 / n } } }
        return SplitLens(count: count, iterations: iterations, layers: layers, targetProbability: mean(probability),
                         targetRank: mean(rank), top1: mean(top1))
    }

    public mutating func add(_ model: RecurrentGPT2, input: ModelInput, targets: [Int32]) throws {
        let observer = LensObserver(targets: targets, iterations: iterations, layers: layers)
        _ = try withoutGrad { try model.run(input, recurrence: iterations, observer: observer) }
        count += input.batchSize
        for t in 0..<iterations {
            for l in 0..<layers {
                probability[t][l] += observer.probability[t][l]
                rank[t][l] += observer.rank[t][l]
                top1[t][l] += observer.top1[t][l]
            }
        }
    }

    /// Softmax probability (in Double, max-subtracted) and 1-based rank of `target` in one row.
    static func probabilityAndRank(_ row: UnsafeBufferPointer<Float>, target: Int) -> (Double, Int) {
        let x = row[target]
        var greater = 0, top = -Float.infinity
        for v in row { if v > x { greater += 1 }; top = max(top, v) }
        var z = 0.0
        for v in row { z += Foundation.exp(Double(v - top)) }
        return (Foundation.exp(Double(x - top)) / z, greater + 1)
    }
}

final class LensObserver: RecurrenceObserver {
    var readsMonitoredPositionsOnly: Bool { true }
    let targets: [Int32]
    var probability: [[Double]], rank: [[Double]], top1: [[Double]]

    init(targets: [Int32], iterations: Int, layers: Int) {
        self.targets = targets
        let zero = Array(repeating: Array(repeating: 0.0, count: layers), count: iterations)
        (probability, rank, top1) = (zero, zero, zero)
    }

    var observesLayers: Bool { true }

    func layerDidFinish(_ step: RecurrenceStep) {
        let logits = step.monitoredLogits()
        let v = logits.shape[1]
        let (t, l) = (step.index, step.layer!)
        logits.scalars.withUnsafeBufferPointer { p in
            for (row, example) in step.examples.enumerated() {
                let (prob, r) = LensAccumulator.probabilityAndRank(UnsafeBufferPointer(rebasing: p[(row * v)..<((row + 1) * v)]),
                                                                   target: Int(targets[example]))
                probability[t][l] += prob
                rank[t][l] += Double(r)
                if r == 1 { top1[t][l] += 1 }
            }
        }
    }

    func recurrenceDidFinish(_ step: RecurrenceStep) -> Set<Int> { [] }
}

/// `logit-lens`: the target's probability and rank after every recurrence step and every layer
/// inside it — where in the loop the answer appears.
public struct LogitLensProbe: RegisteredProbe {
    public static let description = ComponentDescription(
        name: "logit-lens",
        summary: "target probability and rank after every layer of every recurrence step, per test split; lines over block applications",
        parameters: [
            ParameterSpec("splits", default: "", "test types to measure, comma-separated (default: every type of the test file)"),
            ParameterSpec("iterations", default: "", "recurrence steps to run (default: the max-iterations option)"),
            ParameterSpec("position", default: "pred_pos", "pred_pos or first_pad (see logit-margin)"),
            ParameterSpec("sample", default: "0", "examples per split, drawn with a fixed seed (0: all)"),
        ])

    public var name: String { Self.description.name }
    public var splits: [String]
    public var iterations: Int?
    public var position: MonitoredPosition
    public var sampleSize: Int

    public init(splits: [String] = [], iterations: Int? = nil, position: MonitoredPosition = .predictionPosition, sampleSize: Int = 0) {
        self.splits = splits
        self.iterations = iterations
        self.position = position
        self.sampleSize = sampleSize
    }

    public init(parameters p: Parameters) throws {
        self.init(splits: p.list("splits"), iterations: try p.optionalNumber("iterations", in: 1...100_000),
                  position: MonitoredPosition(rawValue: try p.choice("position", among: MonitoredPosition.allCases.map(\.rawValue)))!,
                  sampleSize: try p.optionalNumber("sample", in: 0...Int.max) ?? 0)
    }

    public struct ModelLens: Codable, Equatable, Sendable {
        public var label: String
        public var splits: [String: SplitLens]
    }

    public struct Result: Codable, Equatable, Sendable {
        public var iters: Int
        public var position: MonitoredPosition
        public var modelOrder: [String]
        public var splitOrder: [String]
        public var models: [String: ModelLens]

        enum CodingKeys: String, CodingKey {
            case iters, position, models
            case modelOrder = "model_order", splitOrder = "split_order"
        }
    }

    public func measure(_ context: ProbeContext) throws -> Result {
        let models = try context.requireModels(probe: name)
        let chosen = try context.selectSplits(splits, probe: name)
        let iters = iterations ?? context.options.maxIterations
        var result = Result(iters: iters, position: position, modelOrder: models.map(\.name), splitOrder: chosen.map(\.type), models: [:])
        for probeModel in models {
            let model = try probeModel.load()
            var entry = ModelLens(label: probeModel.label, splits: [:])
            for (type, split) in chosen {
                var accumulator = LensAccumulator(iterations: iters, layers: model.blocks.count)
                try forEachBatch(of: sample(split, sampleSize), model: probeModel, context: context, position: position) { input, labels in
                    try accumulator.add(model, input: input, targets: labels)
                }
                entry.splits[type] = accumulator.result
            }
            result.models[probeModel.name] = entry
        }
        return result
    }

    /// Probability and rank of the target over block applications (step × layers + layer + 1),
    /// one panel per model, one line per split; thin grey lines mark the end of each step.
    public func figures(for result: Result) throws -> [Figure] {
        let colors = Dictionary(result.splitOrder.enumerated().map { ($0.element, Palette.color($0.offset)) }, uniquingKeysWith: { a, _ in a })
        func chart(_ title: String, _ yLabel: String, _ scale: AxisScale, _ domain: ClosedRange<Double>?, _ pick: (SplitLens) -> [[Double]]) -> LineChart {
            var panels: [ChartPanel] = []
            var depth = 1
            for key in result.modelOrder {
                guard let model = result.models[key] else { continue }
                var panel = ChartPanel(title: model.label, series: [])
                for split in result.splitOrder {
                    guard let lens = model.splits[split] else { continue }
                    let values = pick(lens).flatMap { $0 }
                    depth = max(depth, values.count)
                    panel.series.append(LineSeries(label: displayLabel(forSplit: split), x: (1...max(values.count, 1)).map(Double.init),
                                                   y: values, color: colors[split]!, markers: values.count <= 64))
                    if panel.lines.isEmpty, lens.iterations <= 32 {
                        panel.lines = (1...max(lens.iterations, 1)).map {
                            ReferenceLine(axis: .x, value: Double($0 * lens.layers), color: "#bbbbbb", dashed: false, role: "step-end")
                        }
                    }
                }
                panels.append(panel)
            }
            return LineChart(title: title, xLabel: "Block applications (recurrence step × layers; grey lines end each step)", yLabel: yLabel,
                             yScale: scale, xDomain: 1...Double(max(depth, 2)), yDomain: domain, panels: panels,
                             columns: min(2, max(panels.count, 1)), legend: LineChart.seriesLegend(panels))
        }
        return [
            try Figure(name: "logit-lens-probability", chart: chart("Logit lens: target probability", "Mean probability of the target", .linear,
                                                                    -0.02...1.02, \.targetProbability)),
            try Figure(name: "logit-lens-rank", chart: chart("Logit lens: target rank", "Mean rank of the target (1 = argmax)", .log,
                                                             nil, \.targetRank)),
        ]
    }
}
