import Foundation
import XCTest
import LoopCLI

/// `loop reproduce memorization` end to end on its smoke preset: every graph and model trained and
/// scored on recall and composition, the report and its figure, and a second call that trains nothing.
final class MemorizationCLITests: CLITestCase {
    func testSmokeStudyScoresRecallAndCompositionOnEveryGraph() throws {
        let arguments = ["reproduce", "memorization", "--preset", "smoke", "--seeds", "1", "--out", path("study"), "--plain"]
        let (status, message) = LoopCLI.run(arguments)
        XCTAssertEqual(status, 0, message)

        let outcome = try json("study/results.json")
        let results = outcome["results"] as! [String: Any]
        XCTAssertEqual(results["study"] as? String, "memorization")
        let graphs = results["tasks"] as! [[String: Any]]
        XCTAssertEqual(graphs.map { $0["task"] as! String }, ["graph-50", "graph-200", "graph-800"])
        for graph in graphs {
            let name = graph["task"] as! String
            for arm in graph["arms"] as! [[String: Any]] {
                let seed = (arm["seeds"] as! [[String: Any]])[0]
                let accuracy = seed["accuracy"] as! [String: Double]
                // Recall (both kinds of atomic fact), trained and held-out composition were all scored.
                for type in ["id_atomic", "ood_atomic", "train_inferred", "test_inferred_iid", "test_inferred_ood"] {
                    XCTAssertNotNil(accuracy[type], "\(name) \(arm["name"]!) \(type)")
                }
                let own = try json("study/\(name)/\(arm["name"] as! String)/seed-1/result.json")
                XCTAssertEqual(own["accuracy"] as? [String: Double], accuracy)
            }
        }
        XCTAssertEqual((outcome["goals"] as! [[String: Any]]).count, 1 + graphs.count)
        let report = try String(contentsOf: root.appendingPathComponent("study/report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("## Recall and composition by graph size"), report)
        for graph in ["graph-50", "graph-200", "graph-800"] { XCTAssertTrue(report.contains("## \(graph)"), graph) }
        let svg = try String(contentsOf: root.appendingPathComponent("study/figures/recall-and-composition.svg"), encoding: .utf8)
        XCTAssertTrue(svg.contains("<svg"))

        let result = root.appendingPathComponent("study/graph-800/looped/seed-1/result.json").path
        let before = try FileManager.default.attributesOfItem(atPath: result)[.modificationDate] as! Date
        let (again, message2) = LoopCLI.run(arguments)
        XCTAssertEqual(again, 0, message2)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: result)[.modificationDate] as! Date, before)
    }
}
