import Foundation
import XCTest
import LoopCLI

/// `loop reproduce looped-vs-deep` end to end on its smoke preset: the folders, results.json and
/// report.md with every task and model, the figures, and a second call that trains nothing.
final class LoopedVsDeepCLITests: CLITestCase {
    func modified(_ name: String) throws -> Date {
        try FileManager.default.attributesOfItem(atPath: path(name))[.modificationDate] as! Date
    }

    let tasks = ["addition", "induction", "assignment"]
    let arms = ["looped", "deep", "shallow", "deep-lambda-1", "deep-lambda-10"]

    func testSmokeStudyReportsEveryTaskAndModelAndResumesWithoutRetraining() throws {
        let arguments = ["reproduce", "looped-vs-deep", "--preset", "smoke", "--seeds", "1", "--out", path("study"), "--plain"]
        let (status, message) = LoopCLI.run(arguments)
        XCTAssertEqual(status, 0, message)

        let outcome = try json("study/results.json")
        let results = outcome["results"] as! [String: Any]
        XCTAssertEqual(results["blocks"] as? Int, 1)
        XCTAssertEqual(results["loops"] as? Int, 4)
        let taskResults = results["tasks"] as! [[String: Any]]
        XCTAssertEqual(taskResults.map { $0["task"] as! String }, tasks)
        XCTAssertEqual((outcome["goals"] as! [[String: Any]]).count, 4 * tasks.count)
        for task in taskResults {
            let name = task["task"] as! String
            let armResults = task["arms"] as! [[String: Any]]
            XCTAssertEqual(armResults.map { $0["name"] as! String }, arms, name)
            for arm in armResults {
                let seeds = arm["seeds"] as! [[String: Any]]
                XCTAssertEqual(seeds.count, 1)
                let cost = seeds[0]["cost"] as! [String: Any]
                let accuracy = seeds[0]["accuracy"] as! [String: Double]
                // Every held-out test type was scored, and the numbers are those of the seed's own result.json.
                for type in task["types"] as! [String] { XCTAssertNotNil(accuracy[type], "\(name) \(arm["name"]!) \(type)") }
                let own = try json("study/\(name)/\(arm["name"] as! String)/seed-1/result.json")
                XCTAssertEqual(own["accuracy"] as? [String: Double], accuracy)
                XCTAssertEqual(cost["effectiveDepth"] as? Int,
                               arm["name"] as! String == "shallow" ? 1 : 4, "\(name) \(arm["name"]!)")
            }
        }
        let report = try String(contentsOf: root.appendingPathComponent("study/report.md"), encoding: .utf8)
        for heading in tasks.map({ "## \($0)" }) { XCTAssertTrue(report.contains(heading), heading) }
        for label in ["1⊗4 (looped)", "4⊗1 (deep)", "1⊗1 (shallow)", "4⊗1 + regularizer λ 1", "4⊗1 + regularizer λ 10"] {
            XCTAssertTrue(report.contains("| **\(label)** |"), label)
        }
        XCTAssertTrue(report.contains("## The paper's claims beside this run"), report)
        XCTAssertTrue(report.contains("Command: `loop reproduce looped-vs-deep --preset smoke --seeds 1 --out \(path("study"))`"), report)
        XCTAssertFalse(report.contains("Optional("), report)
        for figure in ["accuracy-by-depth.svg", "accuracy-by-model.svg"] {
            let svg = try String(contentsOf: root.appendingPathComponent("study/figures/\(figure)"), encoding: .utf8)
            XCTAssertTrue(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"), figure)
            XCTAssertTrue(report.contains("(figures/\(figure))"), figure)
        }

        // A second call finds every run done: no checkpoint or result is written again.
        let files = tasks.flatMap { task in
            arms.flatMap { ["study/\(task)/\($0)/seed-1/result.json", "study/\(task)/\($0)/seed-1/train/checkpoints/final/model.safetensors"] }
        }
        let before = try files.map(modified)
        let (again, message2) = LoopCLI.run(arguments)
        XCTAssertEqual(again, 0, message2)
        XCTAssertEqual(try files.map(modified), before)
        XCTAssertEqual(try json("study/results.json")["results"] as! NSDictionary, results as NSDictionary)
    }

    func testHelpNamesTheStudyAndBadPresetsAreErrors() {
        let (status, help) = LoopCLI.run(["reproduce", "--help"])
        XCTAssertEqual(status, 0)
        // The help is wrapped to the terminal's width.
        let words = help.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        XCTAssertTrue(words.contains("looped-vs-deep (presets cpu-small, cpu-medium, smoke)"), help)
        let (bad, message) = LoopCLI.run(["reproduce", "looped-vs-deep", "--preset", "huge", "--out", path("x")])
        XCTAssertNotEqual(bad, 0)
        XCTAssertTrue(message.contains("study looped-vs-deep has no preset 'huge'; presets: cpu-small, cpu-medium, smoke"), message)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x")), "a bad preset fails before anything is written")
    }
}
