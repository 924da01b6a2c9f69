import Foundation
import RecurrentDepth

/// `training-curves`: the training loss, the learning rate and the accuracy of each test type over
/// the steps of one or many runs, read from their metrics logs; each run one colour in every figure,
/// so runs (seeds, settings) overlay.
public struct TrainingCurvesProbe: RegisteredProbe {
    public static let description = ComponentDescription(
        name: "training-curves",
        summary: "training loss, learning rate and accuracy per test type over steps, one or many runs (--run, repeated) overlaid",
        parameters: [
            ParameterSpec("splits", default: "", "test types to draw, comma-separated (default: every type evaluated)"),
            ParameterSpec("title", default: "Training curves", "figure title"),
        ])

    /// Values of one metric at successive steps.
    public struct StepSeries: Codable, Equatable, Sendable {
        public var step: [Int]
        public var value: [Double]
    }

    /// One run's curves.
    public struct RunCurves: Codable, Equatable, Sendable {
        /// The run's label in figures: its folder's name, or its path when two runs share a name.
        public var name: String
        public var metricsLog: String
        /// Mean training loss between reports (training records).
        public var loss: StepSeries
        public var learningRate: StepSeries
        /// Accuracy (0...1) of each drawn test type the run evaluated.
        public var accuracy: [AccuracyCurve]

        enum CodingKeys: String, CodingKey { case name, loss, accuracy, metricsLog = "metrics_log", learningRate = "learning_rate" }
    }

    public struct Result: Codable, Equatable, Sendable {
        public var runs: [RunCurves]
        /// The test types drawn, one accuracy panel each.
        public var types: [String]
    }

    public var name: String { Self.description.name }
    public var splits: [String]
    public var title: String

    public init(splits: [String] = [], title: String = "Training curves") {
        self.splits = splits
        self.title = title
    }

    public init(parameters p: Parameters) throws {
        self.init(splits: p.list("splits"), title: p.string("title"))
    }

    public func measure(_ context: ProbeContext) throws -> Result {
        guard !context.runFolders.isEmpty else { throw AnalysisError.missingInput("one or more run folders (--run)", probe: name) }
        let logs = try context.runFolders.map { try MetricsLog.read(from: $0.appendingPathComponent(Trainer.metricsFile)) }
        return try curves(logs, names: Self.labels(context.runFolders))
    }

    /// The curves of `logs` (no files read), labelled `names`.
    public func curves(_ logs: [MetricsLog], names: [String]) throws -> Result {
        var evaluated: [String] = []
        for log in logs { for type in log.evaluatedTypes() where !evaluated.contains(type) { evaluated.append(type) } }
        for split in splits where !evaluated.contains(split) {
            throw AnalysisError.unknownSplit(split, source: "the metrics logs " + logs.map(\.path).joined(separator: ", "), available: evaluated)
        }
        let types = splits.isEmpty ? evaluated : splits
        let runs = zip(logs, names).map { log, name in
            let training = log.records.filter { $0.kind == "train" }
            return RunCurves(name: name, metricsLog: log.path,
                             loss: StepSeries(step: training.filter { $0.loss != nil }.map(\.step), value: training.compactMap(\.loss)),
                             learningRate: StepSeries(step: training.map(\.step), value: training.map(\.lr)),
                             accuracy: types.map { log.curve($0) }.filter { !$0.step.isEmpty })
        }
        return Result(runs: runs, types: types)
    }

    /// Folder names, or the paths where two runs share a name.
    static func labels(_ runs: [URL]) -> [String] {
        let names = runs.map(\.lastPathComponent)
        return Set(names).count == names.count ? names : runs.map(\.path)
    }

    /// `training-curves-loss` (log scale when every loss is positive), `training-curves-lr` and
    /// `training-curves-accuracy` (a panel per test type); a run keeps its colour in all three.
    public func figures(for result: Result) throws -> [Figure] {
        let colors = result.runs.indices.map(Palette.color)
        let legend = zip(result.runs, colors).map { LegendEntry(label: $0.name, color: $1) }
        func series(_ pick: (RunCurves) -> StepSeries) -> [LineSeries] {
            zip(result.runs, colors).map { run, color in
                let s = pick(run)
                return LineSeries(label: run.name, x: s.step.map(Double.init), y: s.value, color: color)
            }
        }
        var figures: [Figure] = []
        let losses = result.runs.flatMap(\.loss.value)
        if !losses.isEmpty {
            var chart = LineChart(title: "\(title): training loss", xLabel: "Optimization step", yLabel: "Training loss",
                                  yScale: losses.allSatisfy { $0 > 0 } ? .log : .linear,
                                  panels: [ChartPanel(title: "", series: series(\.loss))], columns: 1, legend: legend)
            chart.panelWidth = 560
            figures.append(try Figure(name: "training-curves-loss", chart: chart))
        }
        if result.runs.contains(where: { !$0.learningRate.step.isEmpty }) {
            var chart = LineChart(title: "\(title): learning rate", xLabel: "Optimization step", yLabel: "Learning rate",
                                  panels: [ChartPanel(title: "", series: series(\.learningRate))], columns: 1, legend: legend)
            chart.panelWidth = 560
            figures.append(try Figure(name: "training-curves-lr", chart: chart))
        }
        if !result.types.isEmpty {
            let panels = result.types.map { type in
                ChartPanel(title: type, series: zip(result.runs, colors).compactMap { run, color in
                    run.accuracy.first { $0.split == type }.map {
                        LineSeries(label: run.name, x: $0.step.map(Double.init), y: $0.accuracy, color: color, markers: $0.step.count <= 80)
                    }
                })
            }
            let chart = LineChart(title: "\(title): accuracy per test type", xLabel: "Optimization step", yLabel: "Accuracy",
                                  yDomain: -0.02...1.02, panels: panels, columns: min(3, panels.count), legend: legend)
            figures.append(try Figure(name: "training-curves-accuracy", chart: chart))
        }
        return figures
    }
}
