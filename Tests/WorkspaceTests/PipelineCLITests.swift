import Foundation
import XCTest
import LoopCLI

/// `loop` as a part of a pipeline: standard output holds only the result (JSON that parses, CSV,
/// a table, the training summary), and progress and notices go to standard error.
final class PipelineCLITests: CLITestCase {
    func run(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> (stdout: String, stderr: String) {
        let result = try loopCapturing(arguments)
        XCTAssertEqual(result.status, 0, "loop \(arguments.joined(separator: " ")) failed: \(result.message)", file: file, line: line)
        return (result.stdout, result.stderr)
    }

    func parsesAsJSON(_ text: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try XCTUnwrap(object as? [String: Any], "\(what): \(text.prefix(200))", file: file, line: line)
    }

    func testResultsOnStandardOutputLogsOnStandardError() throws {
        loop(["data", "extrapolation", "--entities", "12", "--relations", "3", "--min-hops", "2", "--max-hops", "2",
              "--train-per-hop", "40", "--test-per-hop", "10", "--atomic-sample", "36", "--train-sample", "40",
              "--small-per-type", "2", "--seed", "5", "--out", path("data")])
        // Training: progress, evaluations and the header on standard error; the summary alone on standard output.
        let train = try run(["train", "--data", path("data"), "--out", path("run"), "--d", "32", "--layers", "1", "--heads", "4",
                             "--schedule", "fixed:r=2", "--max-len", "0", "--pred-pos", "inp_len", "--batch-size", "32",
                             "--no-curriculum", "--max-steps", "20", "--plain"])
        XCTAssertTrue(train.stdout.hasPrefix("stopped at max steps (20)"), train.stdout)
        XCTAssertEqual(train.stdout.split(separator: "\n").count, 2, train.stdout)
        XCTAssertTrue(train.stderr.contains("training ") && train.stderr.contains("eval step"), train.stderr)
        XCTAssertFalse(train.stdout.contains("eval step"))

        // eval --json and --output -: the report, parsing as JSON; the table on standard error.
        let checkpoint = path("run/checkpoints/final")
        for flags in [["--json"], ["--output", "-"], ["--json", "--output", path("eval.json")]] {
            let eval = try run(["eval", "--checkpoint", checkpoint, "--data", path("data")] + flags)
            let report = try parsesAsJSON(eval.stdout, "eval \(flags)")
            XCTAssertNotNil(report["accuracy_per_type"] as? [String: Double], "\(flags)")
            XCTAssertTrue(eval.stderr.contains("accuracy%"), "the table: \(eval.stderr)")
        }
        XCTAssertNotNil(try json("eval.json")["accuracy_per_type"])
        let table = try run(["eval", "--checkpoint", checkpoint, "--data", path("data"), "--output", path("table.json")])
        XCTAssertTrue(table.stdout.hasPrefix("type "), table.stdout)
        XCTAssertEqual(table.stderr, "wrote \(path("table.json"))\n")

        // list --json: every registry table, each entry with its parameters.
        let list = try parsesAsJSON(try run(["list", "--json"]).stdout, "list --json")
        XCTAssertEqual(Set(list.keys), ["backends", "schedules", "halting_policies", "probes"])
        let probes = try XCTUnwrap(list["probes"] as? [[String: Any]])
        XCTAssertTrue(probes.contains { $0["name"] as? String == "training-curves" })
        let kl = try XCTUnwrap((list["halting_policies"] as? [[String: Any]])?.first { $0["name"] as? String == "entropy-kl" })
        XCTAssertTrue((kl["parameters"] as? [[String: String]])?.contains { $0["key"] == "eps_kl" && $0["default"] != nil } ?? false, "\(kl)")

        // generate --output -: the JSON report.
        let generated = try run(["generate", "--checkpoint", path("run"), "--data", path("data"), "--split", "test", "--count", "3", "--output", "-"])
        XCTAssertNotNil(try parsesAsJSON(generated.stdout, "generate --output -")["sequences"] ?? nil)

        // export-metrics: CSV on standard output, nothing on standard error.
        let csv = try run(["export-metrics", path("run")])
        XCTAssertTrue(csv.stdout.hasPrefix("run,kind,step,stage,split,type,metric,value\n"), csv.stdout)
        XCTAssertEqual(csv.stderr, "")

        // analyze: the files written are notices.
        let analyze = try run(["analyze", "--probe", "training-curves", "--run", path("run"), "--out", path("figures")])
        XCTAssertEqual(analyze.stdout, "")
        XCTAssertTrue(analyze.stderr.contains("training-curves-accuracy.svg"), analyze.stderr)
    }

    func testSweepStatusJSON() throws {
        loop(["data", "extrapolation", "--entities", "12", "--relations", "3", "--min-hops", "2", "--max-hops", "2",
              "--train-per-hop", "40", "--test-per-hop", "10", "--atomic-sample", "36", "--train-sample", "40",
              "--small-per-type", "2", "--seed", "5", "--out", path("data")])
        let space = """
        base: {data: \(path("data")), d: 32, layers: 1, heads: 4, max_len: 0, pred_pos: inp_len, batch_size: 32, curriculum: false, max_steps: 6}
        grid: {lr: [0.001, 0.003]}
        seeds: [1]
        """
        try space.write(to: root.appendingPathComponent("space.yaml"), atomically: true, encoding: .utf8)
        let plan = try run(["sweep", "plan", path("space.yaml"), "--out", path("sweep")])
        XCTAssertTrue(plan.stdout.hasPrefix("index"), plan.stdout)
        XCTAssertTrue(plan.stderr.hasPrefix("wrote "), plan.stderr)
        let sweep = try run(["sweep", "run", path("space.yaml"), "--out", path("sweep"), "--index", "0", "--plain"])
        XCTAssertEqual(sweep.stdout, "", "a single point's progress is all log")
        let status = try parsesAsJSON(try run(["sweep", "status", path("sweep"), "--json"]).stdout, "sweep status --json")
        let points = try XCTUnwrap(status["points"] as? [[String: Any]])
        XCTAssertEqual(points.map { $0["state"] as? String }, ["done", "not_started"])
        XCTAssertEqual(points.map { $0["setting"] as? String }, ["lr=0.001", "lr=0.003"])
        XCTAssertEqual(status["counts"] as? [String: Int], ["done": 1, "running": 0, "interrupted": 0, "failed": 0, "not_started": 1])
    }
}
