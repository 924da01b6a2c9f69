import Foundation
import XCTest
import KnowledgeGraph
import TensorKit
import RecurrentDepth
import Analysis
import FixtureSupport
import ModelFixtureSupport

final class LogitLensTests: XCTestCase {
    /// After the last layer of step t the lens reads the model's own answer after t + 1 steps: the
    /// fixture's `logits.r{t+1}` (PyTorch) at the monitored positions, and the model run to that step.
    func testLastLayerOfEachStepIsTheModelsLogitsAfterThatStep() throws {
        for name in FixtureCase.names {
            let c = try FixtureCase(name)
            let model = try Checkpoint.readModel(from: c.folder)
            let input = try c.input
            let steps = try c.recurrence + 2
            let trace = try LogitLens.trace(model, input: input, iterations: steps)
            XCTAssertEqual(trace.count, steps)
            for t in 0..<steps {
                XCTAssertEqual(trace[t].count, model.blocks.count)
                let lens = trace[t][model.blocks.count - 1]
                let full = try c.expected.tensor("logits.r\(t + 1)")   // [B, T, V]
                let (b, T, v) = (full.shape[0], full.shape[1], full.shape[2])
                var rows: [Float] = []
                for (i, p) in input.positions.enumerated() { rows += full.scalars[((i * T + p) * v)..<((i * T + p + 1) * v)] }
                XCTAssertEqual(lens.shape, [b, v])
                assertClose(lens.scalars, rows, rtol: 1e-4, atol: 1e-4, "\(name) lens step \(t) vs logits.r\(t + 1)")
                let run = try withoutGrad { try model.monitoredLogits(input, recurrence: t + 1) }
                assertClose(lens.scalars, run.scalars, rtol: 1e-5, atol: 1e-5, "\(name) lens step \(t) vs the model run to \(t + 1) steps")
            }
        }
    }

    /// Every layer of every step equals the recurrence computed here from the checkpoint's files
    /// alone, in Double (`ReferenceForward`), then read out through `ln_f` and the tied embedding.
    func testEveryLayerMatchesAnIndependentForwardPass() throws {
        for name in FixtureCase.names {
            let c = try FixtureCase(name)
            let model = try Checkpoint.readModel(from: c.folder)
            let input = try c.input
            let reference = try ReferenceForward(folder: c.folder)
            let expected = reference.lens(ids: c.ids, mask: c.attentionMask, positions: input.positions, steps: 3)
            let trace = try LogitLens.trace(model, input: input, iterations: 3)
            for t in 0..<3 {
                for l in 0..<model.blocks.count {
                    assertClose(trace[t][l].scalars, expected[t][l].map(Float.init), rtol: 1e-4, atol: 1e-4, "\(name) step \(t) layer \(l)")
                }
            }
        }
    }

    /// The lens checks its input first: the fixture's batch is valid, and a token outside the
    /// vocabulary is an error naming it and its example.
    func testTheLensRejectsABadInput() throws {
        let c = try FixtureCase("nope-inject-r4")
        let model = try Checkpoint.readModel(from: c.folder)
        var input = try c.input
        XCTAssertNoThrow(try model.validate(input))
        input.ids.ids[2 * c.paddedLength + 1] = 40
        XCTAssertThrowsError(try LogitLens.trace(model, input: input, iterations: 3)) { error in
            XCTAssertEqual("\(error)", "invalid model input: token id 40 of example 2 is outside the vocabulary of 40")
        }
    }

    /// The probe's probability and rank agree with the traced logits.
    func testProbeStatisticsAgreeWithTheTrace() throws {
        let c = try FixtureCase("learned-r3")
        let model = try Checkpoint.readModel(from: c.folder)
        let output = try LogitLensProbe(iterations: 4).run(c.context(batchSize: 3))
        let result = try JSONDecoder().decode(LogitLensProbe.Result.self, from: output.json)
        let lens = result.models["learned-r3"]!.splits["fixture"]!
        XCTAssertEqual(lens.count, 5)
        XCTAssertEqual(lens.layers, 2)
        XCTAssertEqual(lens.targetProbability.count, 4)
        let trace = try LogitLens.trace(model, input: try c.input, iterations: 4)
        for t in 0..<4 {
            for l in 0..<2 {
                let logits = trace[t][l].scalars, v = trace[t][l].shape[1]
                var probability = 0.0, rank = 0.0, top1 = 0.0
                for (i, target) in try c.targets.enumerated() {
                    let row = logits[(i * v)..<((i + 1) * v)].map(Double.init)
                    let m = row.max()!
                    let z = row.reduce(0) { $0 + exp($1 - m) }
                    probability += exp(row[target] - m) / z
                    let r = row.filter { $0 > row[target] }.count + 1
                    rank += Double(r)
                    top1 += r == 1 ? 1 : 0
                }
                XCTAssertEqual(lens.targetProbability[t][l], probability / 5, accuracy: 1e-6)
                XCTAssertEqual(lens.targetRank[t][l], rank / 5, accuracy: 1e-9)
                XCTAssertEqual(lens.top1[t][l], top1 / 5, accuracy: 1e-9)
            }
        }
        XCTAssertEqual(output.figures.map(\.name), ["logit-lens-probability", "logit-lens-rank"])
        let svg = try ParsedSVG(output.figures[0].svg)
        let series = svg.elements(class: "series")
        XCTAssertEqual(series.count, 1)
        XCTAssertEqual(svg.attribute(series[0], "data-points"), "8", "4 steps × 2 layers")
    }
}
