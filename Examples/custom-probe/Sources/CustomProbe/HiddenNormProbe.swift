import Foundation
import KnowledgeGraph
import RecurrentDepth
import TensorKit
import Analysis

/// `hidden-norm`: the mean L2 norm of the hidden state at the monitored position after every
/// recurrence step, per test type — does the residual stream settle or keep growing as the loop
/// runs? Written against Analysis's `RegisteredProbe` and RecurrentDepth's observer seam only.
public struct HiddenNormProbe: RegisteredProbe {
    public static let description = ComponentDescription(
        name: "hidden-norm",
        summary: "mean L2 norm of the monitored hidden state after each recurrence step, per test type",
        parameters: [ParameterSpec("iterations", default: "8", "recurrence steps to run")])

    public struct Result: Codable {
        /// type → norm per step (index 0 is after step 1).
        public var norms: [String: [Double]]
    }

    let iterations: Int

    public init(parameters: Parameters) throws {
        iterations = try parameters.number("iterations", in: 1...1000)
    }

    public var name: String { Self.description.name }

    /// Sums the norms of the monitored rows after each step.
    final class NormObserver: RecurrenceObserver {
        /// Reads the monitored rows only, so the pass may skip the columns they do not read.
        var readsMonitoredPositionsOnly: Bool { true }
        var sums: [Double]
        init(steps: Int) { sums = Array(repeating: 0, count: steps) }
        func recurrenceDidFinish(_ step: RecurrenceStep) -> Set<Int> {
            let rows = step.model.rows(of: step.hidden, at: step.positions)
            let d = rows.shape[1], values = rows.scalars
            for r in 0..<rows.shape[0] {
                let row = values[(r * d)..<((r + 1) * d)]
                sums[step.index] += Double(row.reduce(Float(0)) { $0 + $1 * $1 }).squareRoot()
            }
            return []
        }
    }

    public func measure(_ context: ProbeContext) throws -> Result {
        guard let probeModel = try context.requireModels(probe: name).first else { return Result(norms: [:]) }
        let model = try probeModel.load()
        let (padding, position) = context.evaluationSettings(for: probeModel)
        var norms: [String: [Double]] = [:]
        for (type, split) in try context.selectSplits([], probe: name) {
            let observer = NormObserver(steps: iterations)
            let batcher = try Batcher(examples: split.examples, batchSize: context.options.batchSize, padding: padding,
                                      truncate: context.options.truncate)
            for batch in batcher.batches() {
                _ = try withoutGrad { try model.run(ModelInput(batch, predictionPosition: position), recurrence: iterations, observer: observer) }
            }
            norms[type] = observer.sums.map { $0 / Double(max(split.count, 1)) }
        }
        return Result(norms: norms)
    }
}
