import Foundation
import XCTest
import RecurrentDepth
import Analysis
import FixtureSupport

/// Stage detection on synthetic accuracy curves whose stage steps are known.
final class GrokkingTests: XCTestCase {
    /// One metrics-log line as the trainer writes it (a `MetricsRecord` encoded with sorted keys).
    func record(_ fields: [String: Any]) throws -> String {
        let record = try JSONDecoder().decode(MetricsRecord.self, from: JSONSerialization.data(withJSONObject: fields))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(record), as: UTF8.self)
    }

    /// A metrics log: a train record and an eval record every 100 steps; each split's accuracy is
    /// near chance until `rise`, then climbs linearly over 1000 steps to 1 (or stays low when nil).
    func writeRun(rises: [String: Int?], steps: Int = 20_000, checkpointsAt: [Int] = []) throws -> URL {
        let run = temporaryFolder()
        var lines: [String] = []
        for step in stride(from: 100, through: steps, by: 100) {
            var accuracy: [String: Double] = [:]
            for (split, rise) in rises {
                if let rise { accuracy[split] = min(1, max(0.02, Double(step - rise) / 1000)) } else { accuracy[split] = 0.3 }
            }
            lines.append(try record(["kind": "train", "step": step, "epoch": step / 50, "loss": 1.0, "lr": 1e-3, "r": 4.0, "elapsed": Double(step)]))
            lines.append(try record(["kind": "eval", "step": step, "epoch": step / 50, "lr": 1e-3, "accuracy": accuracy,
                                     "evaluator": "fixed(4)", "elapsed": Double(step)]))
        }
        try (lines.joined(separator: "\n") + "\n").write(to: run.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        for step in checkpointsAt {
            let folder = run.appendingPathComponent("checkpoints/epoch-\(step / 50)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try #"{"step": \#(step), "epoch": \#(step / 50), "stage": null}"#.write(to: folder.appendingPathComponent("trainer_state.json"),
                                                                                   atomically: true, encoding: .utf8)
        }
        return run
    }

    func testThreeStagesAtTheirKnownSteps() throws {
        // train reaches 0.99 at rise + 990 → the first evaluation at or after it: 1000 + 990 → 2000.
        let run = try writeRun(rises: ["train_inferred": 1000, "test_inferred_iid": 5000, "test_inferred_ood": 12_000],
                               checkpointsAt: [1500, 2500, 6000, 13_100, 20_000])
        let result = try GrokkingProbe().measure(ProbeContext(runFolder: run))
        XCTAssertEqual(result.stages.map(\.stage), ["memorization", "iid", "ood"])
        XCTAssertEqual(result.stages.map(\.step), [2000, 6000, 13_000])
        XCTAssertEqual(result.stages.map(\.epoch), [40, 120, 260])
        XCTAssertEqual(result.stages.map { $0.checkpoint?.step }, [1500, 6000, 13_100])
        XCTAssertEqual(result.notReached, [])
        XCTAssertEqual(result.curves["test_inferred_ood"]!.step.count, 200)
    }

    func testARunThatNeverGeneralizesOutOfDistributionReportsNoOODStage() throws {
        let run = try writeRun(rises: ["train_inferred": 300, "test_inferred_iid": 2500, "test_inferred_ood": nil])
        let output = try GrokkingProbe().run(ProbeContext(runFolder: run))
        let result = try JSONDecoder().decode(GrokkingProbe.Result.self, from: output.json)
        XCTAssertEqual(result.stages.map(\.stage), ["memorization", "iid"])
        XCTAssertEqual(result.stages.map(\.step), [1300, 3500])
        XCTAssertEqual(result.notReached, ["ood"])
        XCTAssertNil(result.stages.first { $0.stage == "ood" })
        XCTAssertNil(result.stages[0].checkpoint, "no checkpoints in this run")
        // The figure marks only the stages reached.
        let svg = try ParsedSVG(output.figures[0].svg)
        let roles = svg.elements(class: "reference-line").compactMap { svg.attribute($0, "data-role") }
        XCTAssertEqual(roles, ["stage:memorization", "stage:iid"])
    }

    func testThresholdsAndPatienceAreConfigurable() throws {
        let run = try writeRun(rises: ["a": 1000, "b": 4000])
        let registry = ProbeRegistry.builtIn
        let probe = try registry.make("grokking:train=a,iid=b,ood=,memorization_threshold=0.5,iid_threshold=0.9")
        let output = try probe.run(ProbeContext(runFolder: run))
        let result = try JSONDecoder().decode(GrokkingProbe.Result.self, from: output.json)
        XCTAssertEqual(result.stages.map(\.step), [1500, 4900])
        XCTAssertEqual(result.splitOrder, ["a", "b"])

        // A spike that falls back does not count with patience 3.
        let curve = AccuracyCurve(split: "x", step: [1, 2, 3, 4, 5, 6], epoch: [0, 0, 0, 0, 0, 0], accuracy: [0.1, 0.99, 0.2, 0.97, 0.98, 0.99])
        XCTAssertEqual(curve.saturation(threshold: 0.95), 1)
        XCTAssertEqual(curve.saturation(threshold: 0.95, patience: 3), 3)
        XCTAssertNil(curve.saturation(threshold: 0.995))
    }

    func testEmptyMetricsLogIsAClearError() throws {
        let run = temporaryFolder()
        try Data().write(to: run.appendingPathComponent("metrics.jsonl"))
        XCTAssertThrowsError(try GrokkingProbe().run(ProbeContext(runFolder: run))) { error in
            XCTAssertEqual(error as? AnalysisError, .emptyMetricsLog(run.appendingPathComponent("metrics.jsonl").path))
            XCTAssertTrue("\(error)".contains("empty"))
        }
    }

    func testAMetricsLogOfAnotherKindOfRunIsAClearError() throws {
        // A depth-extrapolation run: its evaluations report hop types, not the systematicity splits.
        let run = try writeRun(rises: ["2hop_test": 1000, "3hop_test": 3000])
        XCTAssertThrowsError(try GrokkingProbe().run(ProbeContext(runFolder: run))) { error in
            guard case let .unknownSplit(split, _, available)? = error as? AnalysisError else { return XCTFail("\(error)") }
            XCTAssertEqual(split, "train_inferred")
            XCTAssertEqual(available, ["2hop_test", "3hop_test"])
        }
        // ...while naming its splits works.
        let probe = try ProbeRegistry.builtIn.make("grokking", parameters: ["train": "2hop_test", "iid": "3hop_test", "ood": ""])
        XCTAssertNoThrow(try probe.run(ProbeContext(runFolder: run)))
    }

    func testALogWithoutEvaluationsOrNotAMetricsLogIsAClearError() throws {
        let run = temporaryFolder()
        let file = run.appendingPathComponent("metrics.jsonl")
        try #"{"kind":"train","step":1,"epoch":0,"lr":0.001,"elapsed":1}"#.write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try GrokkingProbe().run(ProbeContext(runFolder: run))) { error in
            XCTAssertEqual(error as? AnalysisError, .noEvaluations(file.path))
        }
        try "{\"kind\":\"train\",\"step\":1,\"epoch\":0,\"lr\":0.001,\"elapsed\":1}\n{\"accuracy_per_type\": {}}\n".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try GrokkingProbe().run(ProbeContext(runFolder: run))) { error in
            guard case let .notAMetricsLog(path, line, _)? = error as? AnalysisError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, file.path)
            XCTAssertEqual(line, 2)
        }
        XCTAssertThrowsError(try GrokkingProbe().run(ProbeContext())) { error in
            XCTAssertEqual(error as? AnalysisError, .missingInput("a run folder (or metrics=PATH)", probe: "grokking"))
        }
    }

    /// The trainer's own log reads: a real (tiny) run's metrics.jsonl and checkpoints.
    func testReadsARealTrainerRun() throws {
        let run = temporaryFolder()
        var lines: [String] = []
        for (i, a) in [0.1, 0.5, 1.0].enumerated() {
            lines.append(try record(["kind": "eval", "step": (i + 1) * 10, "epoch": i + 1, "stage": 2, "lr": 1e-3,
                                     "accuracy": ["2hop_test": a], "count": ["2hop_test": 10], "iterations": ["2hop_test": 4.0],
                                     "evaluator": "fixed(4)", "elapsed": 1.0]))
        }
        try lines.joined(separator: "\n").write(to: run.appendingPathComponent(Trainer.metricsFile), atomically: true, encoding: .utf8)
        let log = try MetricsLog.read(from: run.appendingPathComponent(Trainer.metricsFile))
        XCTAssertEqual(log.records.count, 3)
        XCTAssertEqual(log.records.map(\.stage), [2, 2, 2])
        let probe = GrokkingProbe(rules: [.init(stage: "iid", split: "2hop_test", threshold: 0.95)])
        XCTAssertEqual(try probe.analyze(log).stages.map(\.step), [30])
        XCTAssertThrowsError(try GrokkingProbe(rules: probe.rules, evaluator: "entropy-kl").analyze(log)) { error in
            XCTAssertTrue("\(error)".contains("fixed(4)"), "\(error)")
        }
    }
}
