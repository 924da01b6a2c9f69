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
            let expected = c.expected
            let steps = c.json["recurrence"] as! Int + 2
            let input = try c.input
            let trace = try LogitLens.trace(model, input: input, iterations: steps)
            XCTAssertEqual(trace.count, steps)
            for t in 0..<steps {
                XCTAssertEqual(trace[t].count, model.blocks.count)
                let lens = trace[t][model.blocks.count - 1]
                let full = try expected.tensor("logits.r\(t + 1)")   // [B, T, V]
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

    /// Every intermediate layer equals the block stack applied by hand up to that layer, then read out.
    func testIntermediateLayersMatchAManualForwardPass() throws {
        let c = try FixtureCase("nope-inject-r4")
        let model = try Checkpoint.readModel(from: c.folder)
        let input = try c.input
        let trace = try LogitLens.trace(model, input: input, iterations: 3)
        try withoutGrad {
            let embedded = model.embed(input.ids)
            var h = embedded
            for t in 0..<3 {
                if model.config.inputInjection && t > 0 { h = h + embedded }
                for (l, block) in model.blocks.enumerated() {
                    h = block(h, mask: input.mask, dropout: nil)
                    let manual = model.readout(model.rows(of: h, at: input.positions))
                    assertClose(trace[t][l].scalars, manual.scalars, rtol: 1e-5, atol: 1e-5, "step \(t) layer \(l)")
                }
            }
            _ = try model.validate(input)
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
                for (i, target) in c.targets.enumerated() {
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
