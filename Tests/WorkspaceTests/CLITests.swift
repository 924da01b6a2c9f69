import Foundation
import XCTest
import LoopCLI

/// `loop` end to end on tiny data, in-process: each command's files, their JSON keys, exit
/// statuses and messages.
final class CLITests: CLITestCase {
    func fails(_ arguments: [String], mentioning parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        let (status, message) = LoopCLI.run(arguments)
        XCTAssertNotEqual(status, 0, "loop \(arguments.joined(separator: " ")) should fail", file: file, line: line)
        for part in parts {
            XCTAssertTrue(message.contains(part), "\"\(message)\" should mention \(part)", file: file, line: line)
        }
    }

    func metrics(_ run: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: root.appendingPathComponent(run).appendingPathComponent("metrics.jsonl"))
        return try data.split(separator: UInt8(ascii: "\n")).map { try JSONSerialization.jsonObject(with: Data($0)) as! [String: Any] }
    }

    /// Tiny permutation graph, 2-hop chains only.
    func makeData() {
        loop(["data", "extrapolation", "--entities", "12", "--relations", "3", "--min-hops", "2", "--max-hops", "2",
              "--train-per-hop", "60", "--test-per-hop", "10", "--atomic-sample", "36", "--train-sample", "60",
              "--small-per-type", "2", "--seed", "5", "--out", path("data")])
    }

    var trainFlags: [String] {
        ["--data", path("data"), "--d", "64", "--layers", "2", "--heads", "4", "--schedule", "fixed:r=2", "--lr", "3e-3",
         "--warmup", "20", "--weight-decay", "0.01", "--attn-dropout", "0", "--resid-dropout", "0", "--max-len", "0",
         "--pred-pos", "inp_len", "--batch-size", "32", "--no-curriculum", "--eval-every-epochs", "50", "--plain"]
    }

    func testGenerateTrainResume() throws {
        makeData()
        loop(["data", "validate", path("data")])
        loop(["train", "--out", path("run"), "--max-steps", "450"] + trainFlags)
        let run = try json("run/run.json")
        XCTAssertEqual(run["schedule"] as? String, "fixed:r=2")
        XCTAssertEqual(run["max_steps"] as? Int, 450)
        loop(["train", "--resume", path("run"), "--max-steps", "900", "--plain"])
        let evals = try metrics("run").filter { $0["kind"] as? String == "eval" }
        let first = evals.first!["accuracy"] as! [String: Double], last = evals.last!["accuracy"] as! [String: Double]
        XCTAssertEqual(evals.last!["step"] as? Int, 900 - 900 % 150)
        XCTAssertGreaterThan(last["2hop_train"]!, first["2hop_train"]! + 0.3, "training accuracy rose")
        XCTAssertGreaterThan(last["2hop_train"]!, 0.9)
        for name in ["final", "latest"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: path("run/checkpoints/\(name)/model.safetensors")))
        }
        // Evaluate with two halting policies and a sweep; the reports carry the reference's keys.
        let checkpoint = path("run/checkpoints/final")
        for (name, spec) in [("kl", "entropy-kl:eps_kl=0.01,threshold=3,max_iters=6"), ("conf", "confidence:tau=0.5,max_iters=6")] {
            loop(["eval", "--checkpoint", checkpoint, "--data", path("data"), "--halting", spec, "--output", path("\(name).json")])
            let report = try json("\(name).json")
            for key in ["accuracy_per_type", "avg_iterations_per_type", "iterations_stats_per_type", "config"] {
                XCTAssertNotNil(report[key], "\(name).json lacks \(key)")
            }
            let accuracy = report["accuracy_per_type"] as! [String: Double]
            XCTAssertGreaterThan(accuracy["2hop_train"]!, 50, "\(name): \(accuracy)")
            let stats = (report["iterations_stats_per_type"] as! [String: [String: Any]])["2hop_train"]!
            XCTAssertLessThanOrEqual(stats["max"] as! Int, 6)
        }
        loop(["eval", "--checkpoint", checkpoint, "--data", path("data"), "--recurrence-range", "1...4", "--output", path("sweep.json")])
        let sweep = try json("sweep.json")["accuracy_per_recurrence"] as! [String: [String: Double]]
        XCTAssertEqual(Set(sweep.keys), ["1", "2", "3", "4"])
        // Probes write their JSON and figures.
        loop(["analyze", "--probe", "logit-margin:iterations=4", "--probe", "grokking:train=2hop_train,iid=2hop_test,ood=",
              "--checkpoint", checkpoint, "--data", path("data"), "--run", path("run"), "--out", path("figures")])
        let margin = try json("figures/logit-margin.json")
        XCTAssertNotNil(margin["models"])
        let files = try FileManager.default.contentsOfDirectory(atPath: path("figures"))
        XCTAssertTrue(files.contains { $0.hasSuffix(".svg") }, "\(files)")
        // Bad evaluation requests.
        fails(["eval", "--checkpoint", checkpoint, "--data", path("data"), "--halting", "entropy-k", "--output", path("x.json")],
              mentioning: ["unknown halting policy 'entropy-k'", "entropy-kl"])
        fails(["eval", "--checkpoint", checkpoint, "--data", path("data"), "--halting", "entropy-kl:eps=1", "--output", path("x.json")],
              mentioning: ["'eps'", "eps_kl"])
        fails(["analyze", "--probe", "logit-margin:splits=9hop_test", "--checkpoint", checkpoint, "--data", path("data"), "--out", path("f2")],
              mentioning: ["9hop_test"])
        loop(["data", "extrapolation", "--entities", "30", "--relations", "3", "--min-hops", "2", "--max-hops", "2",
              "--train-per-hop", "20", "--test-per-hop", "5", "--atomic-sample", "5", "--train-sample", "5", "--out", path("bigger")])
        fails(["eval", "--checkpoint", checkpoint, "--data", path("bigger"), "--output", path("x.json")],
              mentioning: ["does not match the data's vocabulary"])
        fails(["eval", "--checkpoint", path("nothing"), "--data", path("data"), "--output", path("x.json")], mentioning: ["nothing", "config.json"])

        // A second run into the same folder is refused, not overwritten.
        fails(["train", "--out", path("run"), "--max-steps", "10"] + trainFlags, mentioning: ["already holds a run", "--resume"])
    }

    func testBadInputsGiveClearErrorsAndNonZeroStatus() throws {
        fails(["data", "validate", path("nowhere")], mentioning: ["nowhere"])
        makeData()
        try Data("[{\"input_text\": \"<e_1><r_1>\",".utf8).write(to: root.appendingPathComponent("data/test.json"))
        fails(["data", "validate", path("data")], mentioning: ["test.json"])
        fails(["train", "--out", path("r1")] + trainFlags + ["--schedule", "spiral"], mentioning: ["unknown schedule 'spiral'", "fixed", "dynamic"])
        fails(["train", "--out", path("r2")] + trainFlags + ["--schedule", "dynamic:mean=x"], mentioning: ["mean=x", "not a number"])
        fails(["train", "--out", path("r3")] + trainFlags + ["--schedule", "fixed:depth=3"], mentioning: ["no parameter 'depth'", "valid: r"])
        fails(["train", "--out", path("r4")] + trainFlags + ["--pos", "rotary"], mentioning: ["rotary", "learned"])
        fails(["train", "--resume", path("r5")], mentioning: ["r5"])
        try Data("d: 64\nwidth: 3\n".utf8).write(to: root.appendingPathComponent("bad.yaml"))
        fails(["train", "--config", path("bad.yaml"), "--out", path("r6"), "--data", path("data")], mentioning: ["bad.yaml", "unknown setting 'width'"])
        fails(["train", "--data", path("missing"), "--out", path("r7")], mentioning: ["missing"])
    }

    func testConfigFileWithFlagOverrides() throws {
        makeData()
        try Data("""
        d: 32
        layers: 1
        heads: 2
        schedule: "fixed:r=1"
        lr: 0.001
        max_len: 0
        curriculum: false
        attn_dropout: 0
        resid_dropout: 0
        max_steps: 3
        """.utf8).write(to: root.appendingPathComponent("run.yaml"))
        loop(["train", "--config", path("run.yaml"), "--data", path("data"), "--out", path("run"), "--max-steps", "5", "--plain"])
        let run = try json("run/run.json")
        XCTAssertEqual(run["d"] as? Int, 32)
        XCTAssertEqual(run["max_steps"] as? Int, 5)
        let config = try json("run/checkpoints/final/config.json")
        XCTAssertEqual(config["n_embd"] as? Int, 32)
        XCTAssertEqual(config["n_layer"] as? Int, 1)
    }

    /// `loop sweep` end to end: a grid × seeds trained as runs, a failing setting listed with why,
    /// status, and the mean ± std report.
    func testSweepRunsEveryPointAndReportsMeanAndStd() throws {
        makeData()
        try Data("""
        name: width
        base:
          d: 8
          layers: 1
          heads: 2
          schedule: "fixed:r=1"
          max_len: 0
          curriculum: false
          max_steps: 2
          backend: "cpu:threads=1"
        grid:
          data: [\(path("data")), \(path("missing"))]
        seeds: [3, 4]
        """.utf8).write(to: root.appendingPathComponent("space.yaml"))
        loop(["sweep", "plan", path("space.yaml")])
        fails(["sweep", "run", path("space.yaml"), "--out", path("sweep"), "--plain"],
              mentioning: ["2 of 4 points failed", "setting-001-seed-3, setting-001-seed-4", "results.md"])
        loop(["sweep", "status", path("sweep")])
        loop(["sweep", "report", path("sweep")])
        let results = try json("sweep/results.json")
        let settings = try XCTUnwrap(results["settings"] as? [[String: Any]])
        XCTAssertEqual(settings.count, 1)
        let summary = try XCTUnwrap(settings.first?["summary"] as? [String: Any])
        XCTAssertEqual(summary["seeds"] as? [Int], [3, 4])
        let metrics = try XCTUnwrap(summary["metrics"] as? [String: [String: Any]])
        XCTAssertEqual(Set(metrics.keys), ["2hop_test", "2hop_train", "atomic_facts"])
        XCTAssertEqual(metrics["2hop_test"]?["n"] as? Int, 2)
        let missing = try XCTUnwrap(results["not_finished"] as? [[String: Any]])
        XCTAssertEqual(missing.map { $0["state"] as? String }, ["failed", "failed"])
        let markdown = try String(contentsOf: root.appendingPathComponent("sweep/results.md"), encoding: .utf8)
        XCTAssertTrue(markdown.contains("| setting | data | n | 2hop_test | 2hop_train | atomic_facts |"), markdown)
        XCTAssertTrue(markdown.contains("- setting-001-seed-3: failed — ") && markdown.contains("missing"), markdown)
        fails(["sweep", "status", path("nowhere")], mentioning: ["nowhere", "sweep.json"])
    }

    /// The demo end to end on the smoke preset (seconds): its own training run, the sweep,
    /// halting, the margin probe and the report with its figures.
    func testDemoTrainsItsOwnModelAndWritesItsReport() throws {
        loop(["demo", "--out", path("demo"), "--preset", "smoke", "--plain"])
        let report = try String(contentsOf: root.appendingPathComponent("demo/report.md"), encoding: .utf8)
        for part in ["| r | atomic_facts | 2hop_test | 3hop_test |", "Adaptive halting (entropy-kl", "figures/logit-margin-grid.svg",
                     "figures/sweep.svg", "figures/heatmap-looped.svg", "**The paper's claim.**"] {
            XCTAssertTrue(report.contains(part), "report.md lacks \(part)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("demo/looped/seed-1/train/checkpoints/final/model.safetensors")))
        let sweep = try json("demo/looped/seed-1/sweep.json")["accuracy_per_recurrence"] as! [String: [String: Double]]
        XCTAssertEqual(Set(sweep.keys), ["1", "2", "3", "4"])
    }

    /// `loop reproduce` over two seeds: a run folder per seed, results.json whose mean and std are
    /// those of the seeds' own sweeps, and a second call that finds everything done and trains nothing.
    func testReproduceAggregatesSeedsAndResumes() throws {
        loop(["reproduce", "extrapolation", "--preset", "smoke", "--seeds", "2", "--out", path("study"), "--plain"])
        let outcome = try json("study/results.json")
        let results = outcome["results"] as! [String: Any]
        let arms = results["arms"] as! [[String: Any]]
        XCTAssertEqual(arms.map { $0["name"] as! String }, ["looped", "fixed-r"])
        XCTAssertEqual((outcome["goals"] as! [[String: Any]]).count, 4)
        // The report's mean ± std at r 2 for 2-hop tests, from the two seeds' sweep.json files.
        let seeds = try (1...2).map { try json("study/looped/seed-\($0)/sweep.json")["accuracy_per_recurrence"] as! [String: [String: Double]] }
        let values = seeds.map { $0["2"]!["2hop_test"]! }
        let mean = (values[0] + values[1]) / 2, std = abs(values[0] - values[1]) / 2.0.squareRoot()
        let report = try String(contentsOf: root.appendingPathComponent("study/report.md"), encoding: .utf8)
        let row = try XCTUnwrap(report.split(separator: "\n").first { $0.hasPrefix("| 2 | ") }, "no r = 2 row")
        XCTAssertEqual(row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }[3], String(format: "%.1f ± %.1f", mean, std))

        let modified = try FileManager.default.attributesOfItem(atPath: path("study/looped/seed-1/train/checkpoints/final/model.safetensors"))[.modificationDate] as! Date
        let (status, output) = LoopCLI.run(["reproduce", "extrapolation", "--preset", "smoke", "--seeds", "2", "--out", path("study"), "--plain"])
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path("study/looped/seed-1/train/checkpoints/final/model.safetensors"))[.modificationDate] as! Date, modified)
        XCTAssertEqual(try json("study/results.json")["results"] as! NSDictionary, results as NSDictionary)
    }

    /// Every study runs on its smoke preset; a study or preset that does not exist is a clear error.
    func testEveryStudyRunsAndBadNamesAreErrors() throws {
        for study in ["composition", "systematicity"] {
            loop(["reproduce", study, "--preset", "smoke", "--seeds", "1", "--out", path(study), "--plain"])
            XCTAssertTrue(FileManager.default.fileExists(atPath: path("\(study)/report.md")), study)
        }
        // Systematicity looks for the grokking stages and aims the bridge lens at their checkpoints.
        for file in ["grokking.json", "grokking-curves.svg", "bridge-lens.json", "bridge-lens-probability.svg", "at-relation/bridge-lens.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: path("systematicity/looped/seed-1/probes/\(file)")), file)
        }
        let lens = try json("systematicity/looped/seed-1/probes/bridge-lens.json")
        XCTAssertEqual((lens["model_order"] as? [String])?.last, "final")
        XCTAssertEqual(lens["split_order"] as? [String], ["test_inferred_iid", "test_inferred_ood"])
        let report = try String(contentsOf: root.appendingPathComponent("systematicity/report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("Grokking stages (`grokking:"), report)
        XCTAssertTrue(report.contains("schedule `fixed:r=4`") && report.contains("no curriculum"), report)
        XCTAssertFalse(report.contains("Optional("), report)
        let (status, message) = LoopCLI.run(["reproduce", "grokking", "--out", path("x")])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(message.contains("no study 'grokking'; studies: composition, extrapolation, systematicity"), message)
        let (status2, message2) = LoopCLI.run(["reproduce", "composition", "--preset", "huge", "--out", path("x")])
        XCTAssertNotEqual(status2, 0)
        XCTAssertTrue(message2.contains("study composition has no preset 'huge'; presets: cpu-small, cpu-medium, smoke"), message2)
    }

    /// The searches behind the presets stay runnable: every space file in Apps/loop/Searches plans.
    func testEverySearchBehindThePresetsPlans() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = repository.appendingPathComponent("Apps/loop/Searches")
        let spaces = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertFalse(spaces.isEmpty)
        for space in spaces { loop(["sweep", "plan", folder.appendingPathComponent(space).path]) }   // a bad key or value fails here
    }

    /// `--version` names every package at the version its CHANGELOG last released, so a release
    /// that bumps one but not the other fails here.
    func testVersionMatchesEachChangelog() throws {
        let (status, message) = LoopCLI.run(["--version"])
        XCTAssertEqual(status, 0)
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let changelogs = [("loop", "Apps/loop"), ("TensorKit", "Packages/TensorKit"), ("KnowledgeGraph", "Packages/KnowledgeGraph"),
                          ("RecurrentDepth", "Packages/RecurrentDepth"), ("Halting", "Packages/Halting"), ("Analysis", "Packages/Analysis")]
        for (name, folder) in changelogs {
            let text = try String(contentsOf: repository.appendingPathComponent(folder + "/CHANGELOG.md"), encoding: .utf8)
            // The first "## X.Y.Z" heading (an "Unreleased" one above it is skipped).
            let released = text.split(separator: "\n").lazy.compactMap { line -> String? in
                let words = line.split(separator: " ")
                guard words.count >= 2, words[0] == "##", words[1].split(separator: ".").count == 3,
                      words[1].allSatisfy({ $0.isNumber || $0 == "." }) else { return nil }
                return String(words[1])
            }.first
            let version = try XCTUnwrap(released, "\(folder)/CHANGELOG.md has no released version heading")
            XCTAssertTrue(message.contains("\(name) \(version)\n") || message.hasSuffix("\(name) \(version)"),
                          "--version does not say \(name) \(version):\n\(message)")
        }
    }
}
