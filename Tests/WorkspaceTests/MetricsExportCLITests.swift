import Foundation
import XCTest
import LoopCLI

/// A run's metrics in the usual tools: TensorBoard reads its event files (with the `tensorboard`
/// Python package, when installed), `loop export-metrics` flattens it to CSV, and the
/// training-curves probe overlays runs.
final class MetricsExportCLITests: CLITestCase {
    func makeData() {
        loop(["data", "extrapolation", "--entities", "12", "--relations", "3", "--min-hops", "2", "--max-hops", "2",
              "--train-per-hop", "40", "--test-per-hop", "10", "--atomic-sample", "36", "--train-sample", "40",
              "--small-per-type", "2", "--seed", "5", "--out", path("data")])
    }

    func train(_ run: String, steps: Int, seed: Int = 1) {
        loop(["train", "--data", path("data"), "--out", path(run), "--d", "32", "--layers", "1", "--heads", "4", "--schedule", "fixed:r=2",
              "--max-len", "0", "--pred-pos", "inp_len", "--batch-size", "32", "--no-curriculum", "--max-steps", "\(steps)",
              "--log-every-steps", "5", "--seed", "\(seed)", "--plain"])
    }

    /// RFC 4180 rows: quoted fields may hold commas, doubled quotes and line breaks.
    func csvRows(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" { if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false } } else { field.append(c) }
            } else if c == "\"" { quoted = true }
            else if c == "," { row.append(field); field = "" }
            else if c == "\n" { row.append(field); rows.append(row); row = []; field = "" }
            else { field.append(c) }
        }
        return rows
    }

    func metricsRecords(_ run: String) throws -> [[String: Any]] {
        try Data(contentsOf: root.appendingPathComponent(run).appendingPathComponent("metrics.jsonl")).split(separator: UInt8(ascii: "\n"))
            .map { try JSONSerialization.jsonObject(with: Data($0)) as! [String: Any] }
    }

    /// Every numeric field of every record is a row, with its value; a run name with a comma is quoted.
    func testExportMetricsFlattensEveryNumber() throws {
        makeData()
        train("a,b", steps: 20)
        train("c", steps: 10, seed: 2)
        let (status, message) = LoopCLI.run(["export-metrics", path("a,b"), path("c"), "--csv", "--output", path("m.csv")])
        XCTAssertEqual(status, 0, message)
        let rows = csvRows(try String(contentsOf: root.appendingPathComponent("m.csv"), encoding: .utf8))
        XCTAssertEqual(rows.first, ["run", "kind", "step", "stage", "split", "type", "metric", "value"])
        XCTAssertTrue(rows.dropFirst().allSatisfy { $0.count == 8 }, "every row has 8 fields (the comma in 'a,b' is quoted)")
        for run in ["a,b", "c"] {
            let records = try metricsRecords(run)
            let ownKeys = ["loss", "lr", "r", "regularizer", "epoch", "elapsed"], typeKeys = ["accuracy", "count", "iterations", "perplexity"]
            let numbers = records.map { r in ownKeys.filter { r[$0] != nil }.count + typeKeys.map { (r[$0] as? [String: Any])?.count ?? 0 }.reduce(0, +) }
            let runRows = rows.filter { $0[0] == path(run) }
            XCTAssertEqual(runRows.count, numbers.reduce(0, +), run)
            let train = try XCTUnwrap(records.first { $0["kind"] as? String == "train" })
            let loss = try XCTUnwrap(runRows.first { $0[1] == "train" && $0[6] == "loss" })
            XCTAssertEqual(loss[2], "\(train["step"] as! Int)")
            XCTAssertEqual(Double(loss[7]), train["loss"] as? Double, "the value reads back exactly")
            let eval = try XCTUnwrap(records.first { $0["kind"] as? String == "eval" })
            let accuracy = eval["accuracy"] as! [String: Double]
            for (type, value) in accuracy {
                let row = try XCTUnwrap(runRows.first { $0[1] == "eval" && $0[2] == "\(eval["step"] as! Int)" && $0[5] == type && $0[6] == "accuracy" })
                XCTAssertEqual(row[4], "test")
                XCTAssertEqual(Double(row[7]), value)
            }
        }
        // Bad input: a folder without a log names the file.
        let missing = LoopCLI.run(["export-metrics", path("nowhere")])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.message.contains(path("nowhere/metrics.jsonl")), missing.message)
    }

    /// TensorBoard's own reader (EventAccumulator) finds every number of the log under its tag, at
    /// its step, once, across the files of a run trained and then resumed.
    func testTensorBoardReadsTheEvents() throws {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", "import tensorboard"]
        python.standardError = FileHandle.nullDevice
        do { try python.run(); python.waitUntilExit() } catch {
            throw XCTSkip("python3 is not available, so TensorBoard cannot read the events back (RecurrentDepth's TensorBoardEventFileTests still check the format)")
        }
        guard python.terminationStatus == 0 else {
            throw XCTSkip("python3 has no tensorboard package (pip install tensorboard; .ci/run installs it), so TensorBoard cannot read the events back "
                          + "(RecurrentDepth's TensorBoardEventFileTests still check the format)")
        }
        makeData()
        train("run", steps: 20)
        loop(["train", "--resume", path("run"), "--max-steps", "40", "--plain"])
        let files = try FileManager.default.contentsOfDirectory(atPath: path("run")).filter { $0.hasPrefix("events.out.tfevents.") }
        XCTAssertEqual(files.count, 2, "one file per process")
        // What TensorBoard must show: the CSV export's rows, by the documented tag of each.
        let (status, message) = LoopCLI.run(["export-metrics", path("run"), "--output", path("m.csv")])
        XCTAssertEqual(status, 0, message)
        var expected: [String: [[Double]]] = [:]
        for row in csvRows(try String(contentsOf: root.appendingPathComponent("m.csv"), encoding: .utf8)).dropFirst() {
            let tag = row[1] == "train" ? "train/\(row[6])" : ([ "eval", row[4], row[5], row[6]].filter { !$0.isEmpty }).joined(separator: "/")
            expected[tag, default: []].append([Double(row[2])!, Double(row[7])!])
        }
        XCTAssertNotNil(expected["eval/test/2hop_test/accuracy"])
        try JSONSerialization.data(withJSONObject: expected).write(to: root.appendingPathComponent("expected.json"))
        let script = """
        import json, math, sys
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        run, expected = sys.argv[1], json.load(open(sys.argv[2]))
        accumulator = EventAccumulator(run, size_guidance={"scalars": 0})
        accumulator.Reload()
        tags = set(accumulator.Tags()["scalars"])
        problems = [f"tag {t} missing" for t in expected if t not in tags]
        for tag, points in expected.items():
            if tag not in tags: continue
            got = [(e.step, e.value) for e in accumulator.Scalars(tag)]
            if [s for s, _ in got] != [int(s) for s, _ in points]:
                problems.append(f"{tag}: steps {[s for s, _ in got]} != {[int(s) for s, _ in points]}")
            for (step, value), (_, want) in zip(got, points):
                if not math.isclose(value, want, rel_tol=1e-6, abs_tol=1e-30):
                    problems.append(f"{tag} at {step}: {value} != {want}")
        extra = tags - set(expected) - {"train/stage"}
        if extra: problems.append(f"unexpected tags {sorted(extra)}")
        print("\\n".join(problems) if problems else f"ok: {sum(len(p) for p in expected.values())} scalars in {len(expected)} tags")
        sys.exit(1 if problems else 0)
        """
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        reader.arguments = ["python3", "-c", script, path("run"), path("expected.json")]
        let pipe = Pipe()
        reader.standardOutput = pipe
        reader.standardError = FileHandle.nullDevice
        try reader.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        reader.waitUntilExit()
        XCTAssertEqual(reader.terminationStatus, 0, output)
        XCTAssertTrue(output.hasPrefix("ok: "), output)
    }

    /// Two runs overlay: the probe's JSON has both, and each figure draws both.
    func testTrainingCurvesOverlayRuns() throws {
        makeData()
        train("seed-1", steps: 10)
        train("seed-2", steps: 10, seed: 2)
        loop(["analyze", "--probe", "training-curves", "--run", path("seed-1"), "--run", path("seed-2"), "--out", path("figures")])
        let result = try json("figures/training-curves.json")
        XCTAssertEqual((result["runs"] as? [[String: Any]])?.map { $0["name"] as? String }, ["seed-1", "seed-2"])
        for figure in ["loss", "lr", "accuracy"] {
            let svg = try String(contentsOf: root.appendingPathComponent("figures/training-curves-\(figure).svg"), encoding: .utf8)
            XCTAssertTrue(svg.contains(#"data-series="seed-1""#) && svg.contains(#"data-series="seed-2""#), figure)
        }
        let (status, message) = LoopCLI.run(["analyze", "--probe", "grokking:train=2hop_train,iid=2hop_test,ood=", "--run", path("seed-1"),
                                             "--run", path("seed-2"), "--out", path("f2")])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(message.contains("reads one run"), message)
    }
}
