import Foundation
import XCTest
import LoopCLI

/// What `loop train` promises when things go wrong (RELIABILITY.md): kills at any instant lose
/// nothing, run folders never mix, exit statuses say how a run ended, divergence never overwrites
/// a good checkpoint, failed writes stop cleanly, and the numbers do not depend on the thread count.
/// Signals, `kill -9` and file-size limits need a real process: the tests start this test binary
/// again, running only `testChildProcessEntry`, which runs `loop` with the arguments it is given.
final class ReliabilityCLITests: CLITestCase {
    static let childArguments = "LOOP_CHILD_ARGUMENTS"
    static let childFileLimit = "LOOP_CHILD_FILE_LIMIT"

    /// The child process's entry point: `loop` with the arguments in LOOP_CHILD_ARGUMENTS (JSON),
    /// under a file-size limit of LOOP_CHILD_FILE_LIMIT bytes when given; exits with loop's status.
    func testChildProcessEntry() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let json = environment[Self.childArguments] else { throw XCTSkip("runs only as the child process of the tests below") }
        if let limit = environment[Self.childFileLimit].flatMap(UInt.init) {
            signal(SIGXFSZ, SIG_IGN)  // a write past the limit fails with EFBIG instead of killing the process
            var bound = rlimit(rlim_cur: rlim_t(limit), rlim_max: rlim_t(limit))
            setrlimit(Int32(RLIMIT_FSIZE.rawValue), &bound)
        }
        LoopCLI.main(registry: .standard, arguments: try JSONDecoder().decode([String].self, from: Data(json.utf8)))
        exit(0)
    }

    /// Starts `loop arguments` as a child process (stdout and stderr to files in the test folder).
    func spawn(_ arguments: [String], fileLimit: Int? = nil) throws -> Process {
        #if !os(Linux)
        throw XCTSkip("the child process runs the test binary directly, as on Linux")
        #endif
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["WorkspaceTests.ReliabilityCLITests/testChildProcessEntry"]
        var environment = ProcessInfo.processInfo.environment
        environment[Self.childArguments] = String(decoding: try JSONEncoder().encode(arguments), as: UTF8.self)
        if let fileLimit { environment[Self.childFileLimit] = String(fileLimit) }
        process.environment = environment
        FileManager.default.createFile(atPath: path("child-stderr"), contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: path("child-stderr"))
        try process.run()
        return process
    }

    func childStderr() -> String { (try? String(contentsOfFile: path("child-stderr"), encoding: .utf8)) ?? "" }

    /// Waits until `file` exists (the child has reached that point), at most 60 s.
    func waitFor(_ file: String, _ process: Process) {
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: file) && process.isRunning && Date() < deadline { usleep(5_000) }
    }

    func makeData(_ name: String = "data") {
        loop(["data", "extrapolation", "--entities", "12", "--relations", "3", "--min-hops", "2", "--max-hops", "2",
              "--train-per-hop", "60", "--test-per-hop", "10", "--atomic-sample", "36", "--train-sample", "60",
              "--small-per-type", "2", "--seed", "5", "--out", path(name)])
    }

    /// A model small enough for hundreds of steps a second; dropout on, so that its generator's
    /// state matters on resume.
    var trainFlags: [String] {
        ["--data", path("data"), "--d", "32", "--layers", "1", "--heads", "2", "--schedule", "dynamic:mean=2,min=1,max=3",
         "--eval-halting", "fixed:r=2", "--lr", "3e-3", "--warmup", "10", "--max-len", "0", "--pred-pos", "inp_len",
         "--batch-size", "16", "--no-curriculum", "--eval-every-epochs", "7", "--log-every-steps", "9", "--plain"]
    }

    /// metrics.jsonl without `elapsed` (wall time), one dictionary per record.
    func records(_ run: String) throws -> [NSDictionary] {
        let data = try Data(contentsOf: root.appendingPathComponent(run).appendingPathComponent("metrics.jsonl"))
        return try data.split(separator: UInt8(ascii: "\n")).map {
            var record = try JSONSerialization.jsonObject(with: Data($0)) as! [String: Any]
            record["elapsed"] = nil
            return record as NSDictionary
        }
    }

    func bytes(_ file: String) throws -> Data { try Data(contentsOf: root.appendingPathComponent(file)) }

    func testRunFolderHoldingAnyRunStateIsRefusedUnlessResumeOrOverwrite() throws {
        makeData()
        // A run killed before its first checkpoint leaves metrics but no checkpoint.
        try FileManager.default.createDirectory(at: root.appendingPathComponent("run"), withIntermediateDirectories: true)
        try Data("{\"kind\":\"train\",\"step\":999,\"epoch\":0,\"lr\":0,\"elapsed\":1}\n".utf8).write(to: root.appendingPathComponent("run/metrics.jsonl"))
        let (status, message) = LoopCLI.run(["train", "--out", path("run"), "--max-steps", "20"] + trainFlags)
        XCTAssertEqual(status, 64, message)
        for part in [path("run"), "metrics.jsonl", "--resume", "--overwrite"] { XCTAssertTrue(message.contains(part), "\(message) lacks \(part)") }
        XCTAssertEqual(try records("run").count, 1, "the refused run wrote nothing")
        loop(["train", "--out", path("run"), "--max-steps", "20", "--overwrite"] + trainFlags)
        XCTAssertFalse(try records("run").contains { $0["step"] as? Int == 999 }, "the old run's records are gone")
        XCTAssertEqual(try records("run").first?["step"] as? Int, 9, "the first record is the new run's")
        XCTAssertNotEqual(LoopCLI.run(["train", "--out", path("run"), "--max-steps", "20"] + trainFlags).status, 0)
        XCTAssertEqual(LoopCLI.run(["train", "--resume", path("run"), "--overwrite"]).status, 64, "--resume and --overwrite contradict")
    }

    /// A run killed before its first checkpoint (run.json and log lines, no checkpoint) starts again
    /// on --resume and ends as a run never killed.
    func testResumeBeforeTheFirstCheckpointStartsAgain() throws {
        makeData()
        loop(["train", "--out", path("whole"), "--max-steps", "40"] + trainFlags)
        loop(["train", "--out", path("run"), "--max-steps", "40"] + trainFlags)
        try FileManager.default.removeItem(at: root.appendingPathComponent("run/checkpoints"))
        loop(["train", "--resume", path("run")])
        XCTAssertEqual(try records("run"), try records("whole"))
        XCTAssertEqual(try bytes("run/checkpoints/final/model.safetensors"), try bytes("whole/checkpoints/final/model.safetensors"))
    }

    func testExitStatusesForBadInputAndInternalErrors() throws {
        makeData()
        XCTAssertEqual(LoopCLI.run(["train", "--out", path("r1")] + trainFlags + ["--schedule", "spiral"]).status, 64)
        XCTAssertEqual(LoopCLI.run(["train", "--data", path("missing"), "--out", path("r2")]).status, 64)
        XCTAssertEqual(LoopCLI.run(["train", "--bogus-flag"]).status, 64)
        struct Unexpected: Error {}
        XCTAssertEqual(LoopCLI.exitStatus(for: Unexpected()), 70)
    }

    /// SIGINT and SIGTERM write a checkpoint, exit 128 + signal and say how to resume; the resumed
    /// run finishes with status 0.
    func testSignalsExitWith128PlusSignalAndTheRunResumes() throws {
        makeData()
        for (signal, status) in [(SIGINT, Int32(130)), (SIGTERM, 143)] {
            let run = path("run-\(signal)")
            let child = try spawn(["train", "--out", run, "--max-steps", "1000000"] + trainFlags)
            waitFor(run + "/metrics.jsonl", child)
            kill(child.processIdentifier, signal)
            child.waitUntilExit()
            XCTAssertEqual(child.terminationStatus, status, childStderr())
            XCTAssertTrue(childStderr().contains("resume with: loop train --resume \(run)"), childStderr())
            let state = try json("run-\(signal)/checkpoints/latest/trainer_state.json")
            loop(["train", "--resume", run, "--max-steps", String((state["step"] as! Int) + 5)])
        }
    }

    /// A sweep's point (a Slurm array task, `loop sweep run --index`) stopped by SIGTERM exits 143
    /// after its checkpoint; run again, as a requeued task is, it resumes from there, and after a
    /// `kill -9` from its last periodic checkpoint: each attempt continues the steps, none restarts.
    func testSweepPointResumesAfterSIGTERMAndAfterKill9() throws {
        makeData()
        let space = path("space.yaml")
        try Data("""
        base: {data: "\(path("data"))", d: 32, layers: 1, heads: 2, schedule: "fixed:r=2", lr: 3e-3, warmup: 10, max_len: 0,
               pred_pos: inp_len, batch_size: 16, curriculum: false, eval_every_epochs: 1000, max_steps: 2500,
               log_every_steps: 9, checkpoint_every_steps: 23}
        seeds: 1
        """.utf8).write(to: URL(fileURLWithPath: space))
        let task = ["sweep", "run", space, "--out", path("sweep"), "--index", "0", "--plain"]
        let point = "sweep/setting-000-seed-1"
        func latestStep() throws -> Int { try json(point + "/checkpoints/latest/trainer_state.json")["step"] as! Int }
        func trainSteps() throws -> [Int] { try records(point).filter { $0["kind"] as? String == "train" }.map { $0["step"] as! Int } }
        /// Starts the task and waits until it has written a checkpoint past `step`.
        func startPast(_ step: Int) throws -> Process {
            let child = try spawn(task)
            let deadline = Date().addingTimeInterval(60)
            while ((try? latestStep()) ?? 0) <= step && child.isRunning && Date() < deadline { usleep(5_000) }
            return child
        }

        let terminated = try startPast(0)
        kill(terminated.processIdentifier, SIGTERM)
        terminated.waitUntilExit()
        XCTAssertEqual(terminated.terminationStatus, 143, childStderr())
        XCTAssertTrue(childStderr().contains("resume with: loop sweep run \(space) --out \(path("sweep")) --index 0"), childStderr())
        let stopped = try latestStep()
        XCTAssertEqual(try SweepFolder(at: root.appendingPathComponent("sweep")).status().first?.state, .interrupted("at step \(stopped)"))

        let killed = try startPast(stopped)
        XCTAssertTrue(childStderr().contains("resuming at step \(stopped)"), childStderr())
        kill(killed.processIdentifier, SIGKILL)
        killed.waitUntilExit()
        let checkpointed = try latestStep()
        XCTAssertGreaterThan(checkpointed, stopped)

        loop(task)
        XCTAssertEqual(try SweepFolder(at: root.appendingPathComponent("sweep")).status().first?.state.name, "done")
        XCTAssertEqual(try trainSteps(), Array(stride(from: 9, through: 2500, by: 9)),
                       "every logged step once, in order: no attempt started again from step 0 or repeated steps")
    }

    /// A run killed with SIGKILL at random instants and resumed each time ends exactly as the
    /// uninterrupted run: weights, optimizer state and every metrics record but wall time.
    func testKill9SoakEndsIdenticalToAnUninterruptedRun() throws {
        makeData()
        let steps = 2500, kills = 5
        let flags = trainFlags + ["--max-steps", String(steps), "--checkpoint-every-steps", "23"]
        loop(["train", "--out", path("whole")] + flags)
        var generator = SystemRandomNumberGenerator()
        var survived = 0
        for _ in 0..<kills {
            let started = FileManager.default.fileExists(atPath: path("killed/run.json"))
            let metrics = path("killed/metrics.jsonl")
            let size = { (try? FileManager.default.attributesOfItem(atPath: metrics)[.size] as? Int) ?? nil }
            let sizeBefore = size()
            let child = try spawn(started ? ["train", "--resume", path("killed")] : ["train", "--out", path("killed")] + flags)
            // Once the child is training (its log has changed), at a random instant of the next 0.4 s.
            let deadline = Date().addingTimeInterval(60)
            while size() == sizeBefore && child.isRunning && Date() < deadline { usleep(2_000) }
            usleep(UInt32.random(in: 0...400_000, using: &generator))
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            if child.terminationReason == .uncaughtSignal { survived += 1 }
        }
        XCTAssertGreaterThan(survived, 0, "no child was killed mid-run: \(childStderr())")
        loop(["train", "--resume", path("killed")])
        for file in ["model.safetensors", "optimizer.safetensors"] {
            XCTAssertEqual(try bytes("killed/checkpoints/final/\(file)"), try bytes("whole/checkpoints/final/\(file)"), file)
        }
        XCTAssertEqual(try records("killed"), try records("whole"))
    }

    /// A kill in the middle of writing a checkpoint (seen: the write's temporary folder is still
    /// there) leaves the previous checkpoint whole: the run resumes from it, the half-written one
    /// is deleted, and the run ends exactly as an uninterrupted one. A checkpoint every step makes
    /// writing most of the run's time, so a few random kills land inside one.
    func testKillInTheMiddleOfACheckpointWriteResumesFromThePreviousOne() throws {
        makeData()
        let flags = trainFlags + ["--max-steps", "400", "--checkpoint-every-steps", "1", "--d", "64"]
        loop(["train", "--out", path("whole")] + flags)
        let checkpoints = root.appendingPathComponent("killed/checkpoints")
        let temporaries = { ((try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? []).filter { $0.hasSuffix(".tmp") } }
        var generator = SystemRandomNumberGenerator()
        var caughtMidWrite = false
        let latestStep = { (try? self.json("killed/checkpoints/latest/trainer_state.json"))?["step"] as? Int }
        for attempt in 0..<40 where !caughtMidWrite {
            let stepBefore = latestStep()
            let child = try spawn(attempt == 0 ? ["train", "--out", path("killed")] + flags : ["train", "--resume", path("killed")])
            // Once the child has written a checkpoint of its own, at a random instant of the next 30 ms.
            let deadline = Date().addingTimeInterval(60)
            while latestStep() == stepBefore && child.isRunning && Date() < deadline { usleep(1_000) }
            usleep(UInt32.random(in: 0...30_000, using: &generator))
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            guard child.terminationReason == .uncaughtSignal else { break }  // finished before the kill
            caughtMidWrite = !temporaries().isEmpty
        }
        XCTAssertTrue(caughtMidWrite, "no kill landed inside a checkpoint write")
        loop(["train", "--resume", path("killed")])
        XCTAssertEqual(temporaries(), [], "the half-written checkpoint was not deleted on resume")
        for file in ["model.safetensors", "optimizer.safetensors"] {
            XCTAssertEqual(try bytes("killed/checkpoints/final/\(file)"), try bytes("whole/checkpoints/final/\(file)"), file)
        }
        XCTAssertEqual(try records("killed"), try records("whole"))
    }

    /// Without being asked, a run writes checkpoints/latest every few minutes of wall time (here
    /// made 0.3 s), so a `kill -9` loses at most that much.
    func testPeriodicCheckpointByWallTimeSurvivesKill9() throws {
        makeData()
        let child = try spawn(["train", "--out", path("run"), "--max-steps", "1000000", "--checkpoint-every-minutes", "0.005"] + trainFlags)
        waitFor(path("run/metrics.jsonl"), child)
        usleep(1_200_000)
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        let state = try json("run/checkpoints/latest/trainer_state.json")
        XCTAssertGreaterThan(state["step"] as! Int, 0)
        loop(["train", "--resume", path("run"), "--max-steps", String((state["step"] as! Int) + 5)])
    }

    /// A NaN loss stops the run with status 65 and leaves the last checkpoint as it was; weights
    /// gone infinite are never written, even when a checkpoint falls due before the loss shows it.
    func testDivergenceStopsWithoutOverwritingTheLastGoodCheckpoint() throws {
        makeData()
        loop(["train", "--out", path("run"), "--max-steps", "30"] + trainFlags)
        let good = try bytes("run/checkpoints/latest/model.safetensors")
        let (status, message) = LoopCLI.run(["train", "--resume", path("run"), "--max-steps", "60", "--lr", "1e39", "--checkpoint-every-steps", "1"])
        XCTAssertEqual(status, 65, message)
        XCTAssertTrue(message.contains("NaN or infinite") || message.contains("loss became"), message)
        XCTAssertTrue(message.contains("checkpoints/latest"), message)
        XCTAssertEqual(try bytes("run/checkpoints/latest/model.safetensors"), good)
    }

    /// With --on-divergence rollback, each divergence goes back to checkpoints/latest with the
    /// learning rate halved, recorded in the metrics and the checkpoint's state.
    func testRollbackOnDivergenceHalvesTheLearningRate() throws {
        makeData()
        loop(["train", "--out", path("run"), "--max-steps", "30"] + trainFlags)
        let (status, message) = LoopCLI.run(["train", "--resume", path("run"), "--max-steps", "60", "--lr", "1e39", "--on-divergence", "rollback"])
        XCTAssertEqual(status, 65, "1e39 diverges at every halving, until the rollbacks run out: \(message)")
        let rollbacks = try records("run").filter { $0["kind"] as? String == "rollback" }
        XCTAssertEqual(rollbacks.count, 5)
        XCTAssertTrue(rollbacks.allSatisfy { $0["step"] as? Int == 30 }, "\(rollbacks)")
        let rates = rollbacks.map { $0["lr"] as! Double }
        for (a, b) in zip(rates, rates.dropFirst()) { XCTAssertEqual(b / a, 0.5, accuracy: 1e-12) }
        let state = try json("run/checkpoints/latest/trainer_state.json")
        XCTAssertEqual(state["learningRateScale"] as? Double ?? state["learning_rate_scale"] as? Double, 1.0 / 32)
        XCTAssertEqual(state["rollbacks"] as? Int, 5)
    }

    /// A checkpoint write that fails (here a file-size limit) stops the run with status 74; the
    /// previous checkpoint is intact and the run resumes from it.
    func testFailedWriteExits74AndThePreviousCheckpointResumes() throws {
        makeData()
        loop(["train", "--out", path("run"), "--max-steps", "30"] + trainFlags)
        let good = try bytes("run/checkpoints/latest/model.safetensors")
        let child = try spawn(["train", "--resume", path("run"), "--max-steps", "60", "--checkpoint-every-steps", "5"], fileLimit: good.count / 2)
        child.waitUntilExit()
        XCTAssertEqual(child.terminationStatus, 74, childStderr())
        XCTAssertTrue(childStderr().contains("cannot write"), childStderr())
        XCTAssertEqual(try bytes("run/checkpoints/latest/model.safetensors"), good)
        loop(["train", "--resume", path("run"), "--max-steps", "60"])
        XCTAssertEqual(try json("run/checkpoints/final/trainer_state.json")["step"] as? Int, 60)
    }

    /// The same seed computes the same metrics and weights on 1, 2 and 4 threads; run.json records
    /// what the run was computed with.
    func testSameSeedSameNumbersOnAnyThreadCountAndProvenanceRecorded() throws {
        makeData()
        for threads in [1, 2, 4] {
            loop(["train", "--out", path("t\(threads)"), "--max-steps", "120", "--backend", "cpu:threads=\(threads)"] + trainFlags)
        }
        for threads in [2, 4] {
            XCTAssertEqual(try bytes("t\(threads)/checkpoints/final/model.safetensors"), try bytes("t1/checkpoints/final/model.safetensors"), "\(threads) threads")
            XCTAssertEqual(try records("t\(threads)"), try records("t1"), "\(threads) threads")
        }
        let provenance = try json("t1/run.json")["provenance"] as! [String: Any]
        XCTAssertEqual(provenance["loop_version"] as? String, LoopCLI.version)
        let commit = provenance["git_commit"] as! String
        XCTAssertTrue(commit == "unknown" || commit.count == 40, commit)
        XCTAssertNotNil(provenance["cpu_features"] as? [String])
        let hash = provenance["dataset_hash"] as! String
        XCTAssertTrue(hash.hasPrefix("fnv1a64:"), hash)
        // Another dataset, another hash.
        try Data("[]".utf8).write(to: root.appendingPathComponent("data/valid.json"))
        loop(["train", "--out", path("other"), "--max-steps", "1"] + trainFlags)
        XCTAssertNotEqual(try json("other/run.json")["provenance"].map { ($0 as! [String: Any])["dataset_hash"] as! String }, hash)
    }
}
