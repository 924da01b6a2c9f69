import Foundation
import XCTest
import LoopCLI
import RecurrentDepth
import Halting

/// `loop train`'s settings: every flag sets the setting of its name, the defaults are the
/// packages' own, and the help shows them.
final class TrainSettingsTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("loop-settings-\(UInt64.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let (status, message) = LoopCLI.run(["data", "extrapolation", "--entities", "10", "--relations", "2", "--max-hops", "3",
                                             "--train-per-hop", "30", "--test-per-hop", "8", "--atomic-sample", "10",
                                             "--train-sample", "10", "--out", path("data")])
        XCTAssertEqual(status, 0, message)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    func json(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent(name))) as! [String: Any]
    }

    /// Every setting given as a flag, each away from its default, lands in run.json under its key.
    func testEveryFlagSetsTheSettingOfItsName() throws {
        try FileManager.default.copyItem(atPath: path("data/test.json"), toPath: path("data/held_out.json"))
        let expected: [String: Any] = [
            "data": path("data"), "task": "systematicity",
            "d": 8, "layers": 2, "heads": 2, "positions": 40, "pos": "sinusoidal", "injection": true,
            "c_scale": Float(0.5), "embd_dropout": Float(0.05), "attn_dropout": Float(0.02), "resid_dropout": Float(0.03),
            "schedule": "fixed:r=2", "eval_halting": "fixed:r=2", "gradient_steps": 1,
            "lr": 0.002, "weight_decay": 0.2, "warmup": 3, "epochs": 7, "label_smoothing": Float(0.05), "clip": 1.5,
            "batch_size": 16, "pred_pos": "inp_len", "targets": "sequence", "max_len": 12, "truncate": true, "looping_regularizer": "k=1,lambda=0.5",
            "curriculum": true, "first_hop": 3, "last_hop": 3, "threshold": 0.5, "force_grok_epochs": 1, "lr_decay": 0.9, "min_lr": 0.0001,
            "eval_every_epochs": 2, "eval_every_steps": 3, "eval_batch_size": 32, "test_file": "held_out",
            "checkpoint_every_epochs": 3, "checkpoint_every_minutes": 2.5, "checkpoint_every_steps": 4, "on_divergence": "rollback", "log_every_steps": 2, "max_steps": 2, "max_epochs": 5, "max_minutes": 1.5,
            "seed": 7, "backend": "cpu:threads=1",
        ]
        var arguments = ["train", "--out", path("run"), "--plain"]
        for (key, value) in expected.sorted(by: { $0.key < $1.key }) {
            let flag = "--" + key.replacingOccurrences(of: "_", with: "-")
            if let on = value as? Bool { arguments.append(on ? flag : "--no-" + flag.dropFirst(2)) } else { arguments += [flag, "\(value)"] }
        }
        let (status, message) = LoopCLI.run(arguments)
        XCTAssertEqual(status, 0, message)
        let run = try json("run/run.json")
        XCTAssertEqual(Set(run.keys).subtracting(["provenance"]), Set(expected.keys), "the test gives every setting")
        for (key, value) in expected {
            let found = run[key]
            switch value {
            case let v as Float: XCTAssertEqual((found as? Double).map(Float.init), v, key)
            case let v as Double: XCTAssertEqual(found as? Double, v, key)
            case let v as Int: XCTAssertEqual(found as? Int, v, key)
            case let v as Bool: XCTAssertEqual(found as? Bool, v, key)
            default: XCTAssertEqual(found as? String, value as? String, key)
            }
        }
    }

    /// A run that sets only what it must trains with the packages' defaults.
    func testUnsetSettingsTakeThePackagesDefaults() throws {
        let (status, message) = LoopCLI.run(["train", "--data", path("data"), "--out", path("run"), "--d", "8", "--heads", "2",
                                             "--last-hop", "3", "--max-steps", "1", "--plain"])
        XCTAssertEqual(status, 0, message)
        var expected = TrainingConfig.extrapolation
        expected.curriculum?.lastHop = 3
        expected.maxSteps = 1
        let trained = try Checkpoint.decodeJSON(TrainingConfig.self, from: root.appendingPathComponent("run/checkpoints/final/\(Trainer.configFile)"))
        XCTAssertEqual(trained, expected)
        let model = try json("run/checkpoints/final/config.json")
        let defaults = ModelConfig(vocabSize: 1)
        XCTAssertEqual(model["n_layer"] as? Int, defaults.layers)
        XCTAssertEqual(model["positional_embedding_type"] as? String, defaults.positionalEmbedding.rawValue)
        guard case let .fixed(maxLen) = expected.padding else { return XCTFail("the extrapolation task pads to a fixed length") }
        XCTAssertEqual(model["n_positions"] as? Int, max(maxLen, defaults.positions))
    }

    /// `loop train --task T` trains the library's preset for T (`TaskPreset`): its training
    /// settings, its model's dropout and c_scale, its schedule and the reference's evaluator for
    /// that schedule — for systematicity a fixed r, evaluated at that r. run.json names the task
    /// and leaves the preset's settings to it.
    func testEachTaskTrainsTheLibrarysPreset() throws {
        let (status, message) = LoopCLI.run(["data", "systematicity", "--entities", "30", "--relations", "8", "--out-degree", "4",
                                             "--phi", "2", "--test-size", "10", "--small-per-type", "2", "--out", path("sys")])
        XCTAssertEqual(status, 0, message)
        for (preset, data) in [(TaskPreset.extrapolation, "data"), (TaskPreset.systematicity, "sys")] {
            let run = "run-\(preset.name)"
            var arguments = ["train", "--task", preset.name, "--data", path(data), "--out", path(run), "--d", "8", "--heads", "2",
                             "--max-steps", "1", "--eval-every-steps", "1", "--plain"]
            if preset.training.curriculum != nil { arguments += ["--last-hop", "3"] }
            let (status, message) = LoopCLI.run(arguments)
            XCTAssertEqual(status, 0, message)

            let settings = try json("\(run)/run.json")
            XCTAssertEqual(settings["task"] as? String, preset.name)
            for key in ["schedule", "c_scale", "embd_dropout", "attn_dropout", "resid_dropout", "weight_decay", "label_smoothing",
                        "max_len", "curriculum", "eval_halting"] {
                XCTAssertNil(settings[key], "\(preset.name): run.json leaves \(key) to the task")
            }
            var training = preset.training
            training.maxSteps = 1
            training.evaluateEverySteps = 1
            training.curriculum?.lastHop = 3
            let final = root.appendingPathComponent("\(run)/checkpoints/final")
            XCTAssertEqual(try Checkpoint.decodeJSON(TrainingConfig.self, from: final.appendingPathComponent(Trainer.configFile)), training, preset.name)
            let model = try Checkpoint.decodeJSON(ModelConfig.self, from: final.appendingPathComponent("config.json"))
            var expected = try preset.modelConfig(vocabSize: model.vocabSize)
            expected.embeddingSize = 8
            expected.heads = 2
            XCTAssertEqual(model, expected, preset.name)

            let schedule = try preset.makeSchedule()
            let lines = try Data(contentsOf: root.appendingPathComponent("\(run)/metrics.jsonl")).split(separator: UInt8(ascii: "\n"))
            let eval = try XCTUnwrap(try lines.map { try JSONDecoder().decode(MetricsRecord.self, from: Data($0)) }.first { $0.kind == "eval" })
            XCTAssertEqual(eval.evaluator, try referenceTrainingEvaluator(for: schedule).name, preset.name)
        }
        // Systematicity: a fixed r (4 unless set), evaluated at that r.
        XCTAssertEqual(try Checkpoint.decodeJSON(ModelConfig.self, from: root.appendingPathComponent("run-systematicity/checkpoints/final/config.json")).recurrence, 4)
        let lines = try Data(contentsOf: root.appendingPathComponent("run-systematicity/metrics.jsonl")).split(separator: UInt8(ascii: "\n"))
        XCTAssertEqual(try lines.map { try JSONDecoder().decode(MetricsRecord.self, from: Data($0)) }.first { $0.kind == "eval" }?.evaluator, "fixed(4)")
    }

    /// `--looping-regularizer k=K,lambda=L` reaches run.json, the training config and every training
    /// record of metrics.jsonl, and a resumed run keeps it; a k the model's layers cannot take, or a
    /// negative lambda, stops the run before it starts.
    func testLoopingRegularizerReachesRunJSONTheMetricsAndTheResumedRun() throws {
        let common = ["--d", "8", "--heads", "2", "--layers", "4", "--last-hop", "3", "--log-every-steps", "1", "--plain"]
        let (status, message) = LoopCLI.run(["train", "--data", path("data"), "--out", path("run"), "--max-steps", "3",
                                             "--looping-regularizer", "k=2,lambda=10"] + common)
        XCTAssertEqual(status, 0, message)
        XCTAssertEqual(try json("run/run.json")["looping_regularizer"] as? String, "k=2,lambda=10")
        let saved = try Checkpoint.decodeJSON(TrainingConfig.self, from: root.appendingPathComponent("run/checkpoints/final/\(Trainer.configFile)"))
        XCTAssertEqual(saved.loopingRegularizer, try LoopingRegularizer(groupSize: 2, strength: 10))

        let (resumed, resumeMessage) = LoopCLI.run(["train", "--resume", path("run"), "--max-steps", "5", "--plain"])
        XCTAssertEqual(resumed, 0, resumeMessage)
        let lines = try Data(contentsOf: root.appendingPathComponent("run/metrics.jsonl")).split(separator: UInt8(ascii: "\n"))
        let training = try lines.map { try JSONDecoder().decode(MetricsRecord.self, from: Data($0)) }.filter { $0.kind == "train" }
        XCTAssertEqual(training.map(\.step), [1, 2, 3, 4, 5], "the resumed steps are logged too")
        // k = 2 of 4 blocks: one pair of groups, two positions in it, six matrices each, so |term| ≤ λ·12.
        let least = -10.0 * 2 * 6
        for record in training {
            let term = try XCTUnwrap(record.regularizer, "step \(record.step) has no regularizer")
            XCTAssertTrue(term >= least && term <= -least, "step \(record.step): \(term)")
        }

        for (value, mentions) in [("k=3", "4 layers do not divide into groups of k = 3"), ("k=4", "smaller than the model's 4 layers"),
                                  ("k=2,lambda=-1", "lambda must be finite and at least 0"), ("k=2,gamma=1", "no parameter 'gamma'")] {
            let (bad, error) = LoopCLI.run(["train", "--data", path("data"), "--out", path("bad"), "--max-steps", "1",
                                            "--looping-regularizer", value] + common)
            XCTAssertNotEqual(bad, 0, value)
            XCTAssertTrue(error.contains(mentions), "\(value): \(error)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("bad/run.json")), "\(value): refused before the run started")
        }
    }

    /// Flags override the config file, which overrides the defaults; an unknown key names the file.
    func testFlagsOverrideTheConfigFile() throws {
        try Data("lr: 0.002\nwarmup: 5\nd: 8\nheads: 2\nmax_steps: 1\ncurriculum: false\n".utf8).write(to: root.appendingPathComponent("run.yaml"))
        let (status, message) = LoopCLI.run(["train", "--config", path("run.yaml"), "--data", path("data"), "--out", path("run"),
                                             "--lr", "0.003", "--plain"])
        XCTAssertEqual(status, 0, message)
        let run = try json("run/run.json")
        XCTAssertEqual(run["lr"] as? Double, 0.003)
        XCTAssertEqual(run["warmup"] as? Int, 5)
        XCTAssertEqual(run["epochs"] as? Int, TrainingConfig().epochs)
        XCTAssertNil(run["last_hop"], "an optional setting left unset stays out of run.json")
        try Data("lr: 0.002\nwidth: 3\n".utf8).write(to: root.appendingPathComponent("bad.yaml"))
        let (bad, error) = LoopCLI.run(["train", "--config", path("bad.yaml"), "--data", path("data"), "--out", path("bad")])
        XCTAssertNotEqual(bad, 0)
        XCTAssertTrue(error.contains("bad.yaml: unknown setting 'width'; valid: attn_dropout, backend, batch_size"), error)
    }

    /// The help states each default as the packages declare it.
    func testHelpShowsThePackagesDefaults() {
        let (_, help) = LoopCLI.run(["train", "--help"])
        let text = help.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let (e, s) = (TrainingConfig.extrapolation, TrainingConfig.systematicity)
        for line in ["Peak learning rate (default \(TrainingConfig().learningRate))",
                     "Warmup steps (default \(TrainingConfig().warmupSteps))",
                     "Batch size (default \(TrainingConfig().batchSize))",
                     "Model width n_embd (default \(ModelConfig(vocabSize: 1).embeddingSize))",
                     "Last curriculum stage (default \(CurriculumConfig().lastHop))",
                     "Stage k ends when k-hop test accuracy exceeds this (default \(CurriculumConfig().threshold))",
                     "AdamW weight decay (default \(e.weightDecay) extrapolation, \(s.weightDecay) systematicity)",
                     "Label smoothing (default \(e.labelSmoothing) extrapolation, \(s.labelSmoothing) systematicity)",
                     "Use the hop curriculum (default on extrapolation, off systematicity)",
                     "(default dynamic extrapolation, fixed systematicity; see `loop list`)",
                     "Embedding dropout (default 0.0 extrapolation, 0.1 systematicity)"] {
            XCTAssertTrue(text.contains(line), "the help lacks: \(line)\n\(help)")
        }
    }
}
