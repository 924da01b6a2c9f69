import Foundation
import XCTest
import KnowledgeGraph
import TensorKit
import RecurrentDepth
import Analysis
import FixtureSupport
import ModelFixtureSupport

/// The margin probe reproduces the `margins` PyTorch computed for each fixture, at the prediction
/// position and at the reference script's first pad position, to 1e-4.
final class LogitMarginTests: XCTestCase {
    func check(_ name: String, batchSize: Int = 256) throws {
        let c = try FixtureCase(name)
        let margins = try c.margins
        for (position, expected) in [(MonitoredPosition.predictionPosition, margins),
                                     (.firstPad, margins["at_first_pad"] as! [String: Any])] {
            let probe = LogitMarginProbe(position: position)
            let output = try probe.run(c.context(batchSize: batchSize))
            // The JSON has the reference's shape: models → name → splits → split → count, avg_t_first, margin.
            let json = try JSONSerialization.jsonObject(with: output.json) as! [String: Any]
            let meta = json["meta"] as! [String: Any]
            XCTAssertEqual(meta["iters"] as? Int, margins["iterations"] as? Int)
            XCTAssertEqual(meta["model_order"] as? [String], [name])
            XCTAssertEqual(meta["split_order"] as? [String], ["fixture"])
            let split = ((json["models"] as! [String: Any])[name] as! [String: Any])["splits"] as! [String: Any]
            let entry = split["fixture"] as! [String: Any]
            XCTAssertEqual(entry["count"] as? Int, 5)
            let got = entry["margin"] as! [Double], want = expected["mean_margin"] as! [Double]
            XCTAssertEqual(got.count, want.count, "\(name) \(position)")
            for (i, (g, w)) in zip(got, want).enumerated() {
                XCTAssertEqual(g, w, accuracy: 1e-4 * max(1, abs(w)), "\(name) \(position.rawValue) margin at iteration \(i + 1)")
            }
            if let first = expected["mean_first_hit"] as? Double {
                XCTAssertEqual(try XCTUnwrap(entry["avg_t_first"] as? Double, "\(name) \(position)"), first, accuracy: 1e-4)
            } else {
                XCTAssertTrue(entry["avg_t_first"] is NSNull, "\(name) \(position): no example hits, so avg_t_first is null")
            }
        }
    }

    func testLearnedPositions() throws { try check("learned-r3") }
    func testNoPositionsWithInjection() throws { try check("nope-inject-r4") }
    func testSinusoidalNeverHits() throws { try check("sinusoidal-r2") }

    /// Batching does not change the means: batches of 2 give the same numbers as one batch.
    func testSmallBatchesGiveTheSameMeans() throws { try check("learned-r3", batchSize: 2) }

    func testOneDirectAccumulatorMatchesTheProbe() throws {
        let c = try FixtureCase("learned-r3")
        let model = try Checkpoint.readModel(from: c.folder)
        var accumulator = MarginAccumulator(iterations: 5)
        try accumulator.add(model, input: c.input, targets: c.targets.map(Int32.init))
        let want = try c.margins["mean_margin"] as! [Double]
        for (g, w) in zip(accumulator.result.margin, want) { XCTAssertEqual(g, w, accuracy: 1e-4 * max(1, abs(w))) }
        XCTAssertEqual(accumulator.result.avgTFirst!, 1.5, accuracy: 1e-9)
    }

    func testSeveralModelsMakeAGridOfPanels() throws {
        let c = try FixtureCase("learned-r3"), d = try FixtureCase("nope-inject-r4")
        var context = try c.context(iterations: 6)
        context.models = [ProbeModel(name: "a", label: "R=3", folder: c.folder), ProbeModel(name: "b", label: "R=4", folder: d.folder)]
        // The second model reads the same examples (both fixtures share vocabulary size 40 and length 8).
        context.examples = Split(name: "test", examples: try c.split(type: "2hop_test").examples + c.split(type: "3hop_test").examples)
        let probe = LogitMarginProbe(splits: ["3hop_test", "2hop_test"])
        let output = try probe.run(context)
        let result = try JSONDecoder().decode(LogitMarginProbe.Result.self, from: output.json)
        XCTAssertEqual(result.meta.splitOrder, ["3hop_test", "2hop_test"])
        XCTAssertEqual(Set(result.models.keys), ["a", "b"])
        XCTAssertEqual(result.models["a"]!.splits["2hop_test"]!.margin.count, 6)
        let svg = try ParsedSVG(output.figures[0].svg)
        XCTAssertEqual(svg.elements(class: "panel").map { svg.attribute($0, "data-title") }, ["R=3", "R=4"])
        XCTAssertEqual(svg.elements(class: "series").count, 4)
        XCTAssertEqual(Set(svg.elements(class: "series").compactMap { svg.attribute($0, "data-series") }), ["2-hop test", "3-hop test"])
    }

    func testASplitTheDataLacksIsAClearError() throws {
        let c = try FixtureCase("learned-r3")
        let probe = LogitMarginProbe(splits: ["fixture", "9hop_test"])
        XCTAssertThrowsError(try probe.run(c.context())) { error in
            XCTAssertEqual(error as? AnalysisError, .unknownSplit("9hop_test", source: "the given examples", available: ["fixture"]))
            XCTAssertTrue("\(error)".contains("no split '9hop_test'"), "\(error)")
        }
    }

    func testNoCheckpointIsAClearError() throws {
        let c = try FixtureCase("learned-r3")
        var context = try c.context()
        context.models = []
        XCTAssertThrowsError(try LogitMarginProbe().run(context)) { error in
            XCTAssertEqual(error as? AnalysisError, .missingInput("at least one checkpoint", probe: "logit-margin"))
        }
    }
}
