import Foundation
import XCTest
import KnowledgeGraph
import Analysis
import FixtureSupport

/// Writes every kind of figure with realistic data and checks each is well-formed SVG with its
/// JSON beside it. With `ANALYSIS_FIGURES` set to a folder, they are written there to look at.
final class ExampleFiguresTests: XCTestCase {
    func testEveryProbeWritesItsFiguresAndData() throws {
        let folder = ProcessInfo.processInfo.environment["ANALYSIS_FIGURES"].map { URL(fileURLWithPath: $0) } ?? temporaryFolder()
        let c = try FixtureCase("learned-r3"), d = try FixtureCase("nope-inject-r4"), e = try FixtureCase("sinusoidal-r2")
        var context = try c.context(iterations: 12)
        context.models = [ProbeModel(name: "r3", label: "R=3 (learned)", folder: c.folder), ProbeModel(name: "r4", label: "R=4 (NoPE, injection)", folder: d.folder),
                          ProbeModel(name: "r2", label: "R=2 (sinusoidal)", folder: e.folder)]
        context.examples = Split(name: "test", examples: try c.split(type: "2hop_test").examples + d.split(type: "5hop_test").examples
                                 + e.split(type: "10hop_test").examples)
        var outputs = [try LogitMarginProbe().run(context), try LogitLensProbe(iterations: 6).run(context)]

        let run = temporaryFolder()
        var lines: [String] = []
        for step in stride(from: 50, through: 60_000, by: 50) {
            func sigmoid(_ center: Double, _ width: Double, floor: Double) -> Double { floor + (1 - floor) / (1 + exp(-(Double(step) - center) / width)) }
            let accuracy = ["train_inferred": sigmoid(1500, 300, floor: 0.01), "test_inferred_iid": sigmoid(12_000, 2000, floor: 0.02),
                            "test_inferred_ood": sigmoid(45_000, 3000, floor: 0.02) * 0.97]
            let object: [String: Any] = ["kind": "eval", "step": step, "epoch": step / 20, "lr": 1e-3, "accuracy": accuracy, "elapsed": 1.0]
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
        }
        try lines.joined(separator: "\n").write(to: run.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        outputs.append(try GrokkingProbe().run(ProbeContext(runFolder: run)))

        var accuracy: [String: [String: Double]] = [:]
        for r in [1, 2, 4, 6, 8, 12, 16, 24, 32] {
            var row: [String: Double] = ["atomic": min(100, 60 + Double(r) * 10)]
            for k in 2...10 { row["\(k)hop_test"] = max(0, min(100, 100 - abs(Double(r) - Double(k) * 1.5) * 12 - (r > 2 * k ? Double(r - 2 * k) * 3 : 0))) }
            accuracy[String(r)] = row
        }
        var iterations: [String: [Int]] = [:]
        for k in [2, 4, 8] { iterations["\(k)hop_test"] = (0..<200).map { i in k + 1 + (i % 5) - 2 + (i % 17 == 0 ? 4 : 0) } }
        let sweep = try JSONSerialization.data(withJSONObject: ["accuracy_per_recurrence": accuracy])
        let report = try JSONSerialization.data(withJSONObject: ["iterations_per_example": iterations])
        try sweep.write(to: run.appendingPathComponent("sweep.json"))
        try report.write(to: run.appendingPathComponent("halting.json"))
        outputs.append(try RecurrenceSweepProbe().run(ProbeContext(runFolder: run)))
        let stats = ["2hop_test": IterationStats(count: 750, mean: 3.1, median: 3, std: 0.6, min: 2, max: 6),
                     "5hop_test": IterationStats(count: 750, mean: 6.4, median: 6, std: 1.1, min: 4, max: 12)]
        outputs.append(ProbeOutput(name: "halting-summary", json: try AnalysisJSON.encode(stats),
                                   figures: [try Figure(name: "halting-iterations-summary", bars: RecurrenceFigures.iterationsSummary(stats))]))

        var names: [String] = []
        for output in outputs {
            let files = try output.write(to: folder)
            for svgFile in files where svgFile.pathExtension == "svg" {
                names.append(svgFile.deletingPathExtension().lastPathComponent)
                let svg = try ParsedSVG(String(contentsOf: svgFile, encoding: .utf8))
                XCTAssertEqual(svg.texts(class: "title").count, 1, svgFile.lastPathComponent)
                XCTAssertEqual(svg.texts(class: "x-label").count, 1, svgFile.lastPathComponent)
                XCTAssertFalse(svg.elements(class: "tick").isEmpty, svgFile.lastPathComponent)
                let data = svgFile.deletingPathExtension().appendingPathExtension("json")
                XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(contentsOf: data)), data.lastPathComponent)
            }
        }
        XCTAssertEqual(names, ["logit-margin-grid", "logit-lens-probability", "logit-lens-rank", "grokking-curves",
                               "recurrence-sweep-heatmap", "halting-iterations", "halting-iterations-summary"])
    }
}
