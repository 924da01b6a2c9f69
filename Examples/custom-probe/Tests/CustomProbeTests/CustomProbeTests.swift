import Foundation
import XCTest
import LoopCLI
import CustomProbe

/// The third-party probe and halting policy work through loop's own commands.
final class CustomProbeTests: XCTestCase {
    func testCustomComponentsRunThroughTheCLI() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("custom-probe-\(UInt64.random(in: 0 ... .max))")
        defer { try? FileManager.default.removeItem(at: root) }
        func loop(_ args: [String]) -> (Int32, String) { LoopCLI.run(args, registry: .withCustomProbe) }
        let data = root.appendingPathComponent("data").path, run = root.appendingPathComponent("run").path
        XCTAssertEqual(loop(["data", "extrapolation", "--entities", "10", "--relations", "2", "--max-hops", "2", "--train-per-hop", "30",
                             "--test-per-hop", "8", "--atomic-sample", "10", "--train-sample", "10", "--out", data]).0, 0)
        XCTAssertEqual(loop(["train", "--data", data, "--out", run, "--d", "16", "--heads", "2", "--schedule", "fixed:r=2",
                             "--max-len", "0", "--no-curriculum", "--max-steps", "5", "--plain"]).0, 0)
        let checkpoint = run + "/checkpoints/final"
        let out = root.appendingPathComponent("eval.json").path
        let (status, message) = loop(["eval", "--checkpoint", checkpoint, "--data", data, "--halting", "patience:k=2,max_iters=6", "--output", out])
        XCTAssertEqual(status, 0, message)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as! [String: Any]
        let iterations = report["avg_iterations_per_type"] as! [String: Double]
        XCTAssertTrue(iterations.values.allSatisfy { $0 >= 2 && $0 <= 6 }, "\(iterations)")
        let figures = root.appendingPathComponent("figures").path
        XCTAssertEqual(loop(["analyze", "--probe", "hidden-norm:iterations=3", "--checkpoint", checkpoint, "--data", data, "--out", figures]).0, 0)
        let result = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: figures + "/hidden-norm.json"))) as! [String: Any]
        let norms = result["norms"] as! [String: [Double]]
        XCTAssertEqual(norms["2hop_test"]?.count, 3)
        XCTAssertTrue(norms.values.allSatisfy { $0.allSatisfy { $0 > 0 } })
        // Unknown names still list what is valid, including the new ones.
        let (bad, text) = loop(["eval", "--checkpoint", checkpoint, "--data", data, "--halting", "patient", "--output", out])
        XCTAssertNotEqual(bad, 0)
        XCTAssertTrue(text.contains("patience"), text)
    }
}
