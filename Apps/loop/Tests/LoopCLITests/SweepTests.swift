import Foundation
import XCTest
import LoopCLI
import RecurrentDepth

/// `loop sweep`: search spaces expand into points, mean ± std is computed right, and a sweep
/// trains its points as `loop train` runs, skipping finished ones and resuming interrupted ones.
final class SweepTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("loop-sweep-\(UInt64.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        Interruption.reset()
        try? FileManager.default.removeItem(at: root)
    }

    func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try Data(text.utf8).write(to: root.appendingPathComponent(name))
        return path(name)
    }

    func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    // MARK: - Search spaces

    func testGridIsTheProductOfItsListsTimesTheSeeds() throws {
        let sweep = try Sweep(contentsOf: write("grid.yaml", """
        base: {data: data, d: 8, heads: 2, max_steps: 5, lr: 0.5}
        grid:
          lr: [0.001, 0.002, 0.003]
          d: [8, 16]
        seeds: 2
        """))
        XCTAssertEqual(sweep.points.count, 3 * 2 * 2)
        XCTAssertEqual(sweep.settingCount, 6)
        XCTAssertEqual(sweep.seeds, [1, 2])
        XCTAssertEqual(sweep.varied, ["d", "lr"])
        XCTAssertEqual(sweep.points.map(\.index), Array(0..<12))
        XCTAssertEqual(sweep.points.prefix(3).map(\.folder), ["setting-000-seed-1", "setting-000-seed-2", "setting-001-seed-1"])
        XCTAssertEqual(sweep.points.last?.folder, "setting-005-seed-2")
        // Keys in alphabetical order, the last varying fastest; the grid overrides the base.
        XCTAssertEqual(sweep.points.filter { $0.seed == 1 }.map(\.label),
                       ["d=8 lr=0.001", "d=8 lr=0.002", "d=8 lr=0.003", "d=16 lr=0.001", "d=16 lr=0.002", "d=16 lr=0.003"])
        let point = sweep.points[7]
        XCTAssertEqual(point.setting, 3)
        XCTAssertEqual(point.value("d") as? Int, 16)
        XCTAssertEqual(point.value("lr") as? Double, 0.001)
        XCTAssertEqual(point.value("max_steps") as? Int, 5)
        XCTAssertEqual(point.value("seed") as? Int, 2)
        XCTAssertNil(point.value("eval_halting"), "an optional setting left unset stays unset")

        // Without grid: or random:, the base once per seed; without seeds:, the base's seed.
        XCTAssertEqual(try Sweep(contentsOf: write("seeds.yaml", "base: {data: data}\nseeds: [4, 9, 2]\n")).points.map(\.folder),
                       ["setting-000-seed-4", "setting-000-seed-9", "setting-000-seed-2"])
        let single = try Sweep(contentsOf: write("single.json", "{\"base\": {\"data\": \"data\", \"lr\": 0.001}}"))
        XCTAssertEqual(single.points.map(\.seed), [TrainingConfig().seed])
        XCTAssertEqual(single.points.first?.label, "base")
    }

    func testRandomSamplesAreReproducibleFromTheirSeed() throws {
        func space(samples: Int, seed: Int) -> String {
            """
            base: {data: data, d: 8, heads: 2}
            random:
              samples: \(samples)
              seed: \(seed)
              lr: {min: 1e-4, max: 1e-2, log: true}
              warmup: {min: 0, max: 10}
              attn_dropout: {min: 0.0, max: 0.2}
              pos: [learned, sinusoidal, none]
            seeds: [1, 2]
            """
        }
        let sweep = try Sweep(contentsOf: write("a.yaml", space(samples: 40, seed: 7)))
        XCTAssertEqual(sweep.points.count, 80)
        XCTAssertEqual(sweep, try Sweep(contentsOf: path("a.yaml")), "the same file draws the same settings")
        let settings = sweep.points.filter { $0.seed == 1 }
        let lr = settings.map { $0.value("lr") as! Double }, warmup = settings.map { $0.value("warmup") as! Int }
        let dropout = settings.map { $0.value("attn_dropout") as! Double }, pos = settings.map { $0.value("pos") as! String }
        XCTAssertTrue(lr.allSatisfy { (1e-4...1e-2).contains($0) }, "\(lr)")
        XCTAssertTrue(lr.allSatisfy { Double(String(format: "%.4g", $0)) == $0 }, "4 significant digits: \(lr)")
        XCTAssertGreaterThan(lr.filter { $0 < 1e-3 }.count, 8, "log-uniform: about half below the geometric mean")
        XCTAssertGreaterThan(lr.filter { $0 > 1e-3 }.count, 8)
        XCTAssertTrue(warmup.allSatisfy { (0...10).contains($0) })
        XCTAssertGreaterThan(Set(warmup).count, 5)
        XCTAssertTrue(dropout.allSatisfy { (0...0.2).contains($0) })
        XCTAssertEqual(Set(pos), ["learned", "sinusoidal", "none"])
        // Both seeds of a setting share it.
        XCTAssertEqual(sweep.points[0].label, sweep.points[1].label)

        let other = try Sweep(contentsOf: write("b.yaml", space(samples: 40, seed: 8)))
        XCTAssertNotEqual(other.points.map(\.label), sweep.points.map(\.label))
        let more = try Sweep(contentsOf: write("c.yaml", space(samples: 50, seed: 7)))
        XCTAssertEqual(Array(more.points.prefix(80)).map(\.label), sweep.points.map(\.label), "more samples keep the earlier ones")
    }

    func testSpaceErrorsNameTheFileTheKeyAndTheProblem() throws {
        let cases: [(String, [String])] = [
            ("grdi: {d: [8]}\n", ["unknown key 'grdi'", "base, grid, name, random, seeds"]),
            ("base: {data: d, width: 3}\n", ["base: unknown setting 'width'", "valid: attn_dropout"]),
            ("base: {data: d}\ngrid: {lr: 0.001}\n", ["grid.lr: expected a non-empty list"]),
            ("base: {data: d}\ngrid: {lr: [0.001, fast]}\n", ["grid.lr[1]", "wrong type at lr"]),
            ("base: {data: d}\ngrid: {widht: [1]}\n", ["grid: unknown setting 'widht'"]),
            ("base: {data: d}\ngrid: {seed: [1, 2]}\n", ["grid.seed", "seeds:"]),
            ("base: {data: d, d: 8}\ngrid: {heads: [2, 3]}\n", ["setting 1 (heads=3)", "multiple of n_head"]),
            ("base: {data: d}\ngrid: {schedule: [\"fixed:r=2\", spiral]}\n", ["setting 1 (schedule=spiral)", "unknown schedule 'spiral'"]),
            ("base: {d: 8, heads: 2}\n", ["no 'data'"]),
            ("base: {data: d}\ngrid: {lr: [0.1]}\nrandom: {samples: 2, lr: [0.1]}\n", ["grid: or random:, not both"]),
            ("base: {data: d}\nseeds: 0\n", ["seeds: 0"]),
            ("base: {data: d}\nseeds: [1, 1]\n", ["seeds: 1 is listed twice"]),
            ("base: {data: d}\nseeds: [1, -2]\n", ["seeds[1]", "non-negative"]),
            ("base: {data: d, seed: 3}\nseeds: 2\n", ["base.seed", "seeds:"]),
            ("base: {data: d}\nrandom: {lr: [0.1]}\n", ["random.samples"]),
            ("base: {data: d}\nrandom: {samples: 2, lr: {min: 0.1, max: 0.01}}\n", ["random.lr: min (0.1) exceeds max (0.01)"]),
            ("base: {data: d}\nrandom: {samples: 2, lr: {min: 0, max: 0.1, log: true}}\n", ["random.lr", "log range needs min > 0"]),
            ("base: {data: d}\nrandom: {samples: 2, lr: {min: 0.1, mx: 0.2}}\n", ["random.lr: unknown range key 'mx'"]),
            ("base: {data: d}\nrandom: {samples: 2, d: {min: 8.5, max: 16}}\n", ["random.d.min: "]),
            ("[1, 2]\n", ["expected a mapping of sweep keys"]),
        ]
        for (number, (text, parts)) in cases.enumerated() {
            let file = try write("space-\(number).yaml", text)
            let error = message { try Sweep(contentsOf: file) }
            for part in [file + ": "] + parts {
                XCTAssertTrue(error.contains(part), "space \(number) (\(text)): \"\(error)\" should mention \(part)")
            }
        }
        let json = try write("bad.json", "{\"base\": {\"data\": \"d\"}, \"seeds\": [1, true]}")
        XCTAssertTrue(message { try Sweep(contentsOf: json) }.contains("bad.json: seeds[1]"))
        XCTAssertTrue(message { try Sweep(contentsOf: self.path("missing.yaml")) }.contains("missing.yaml: cannot read the file"))
    }

    // MARK: - Mean ± std over seeds

    func testMeanAndSampleStandardDeviation() {
        let stats = MeanStd([2, 4, 4, 4, 5, 5, 7, 9])
        XCTAssertEqual(stats.mean, 5)
        XCTAssertEqual(stats.std!, (32.0 / 7).squareRoot(), accuracy: 1e-12, "n − 1 in the denominator")
        XCTAssertEqual(stats.n, 8)
        XCTAssertEqual(MeanStd([3]), MeanStd(mean: 3, std: nil, n: 1))
        XCTAssertEqual(MeanStd([80, 90, 100]).formatted(), "90.0 ± 10.0")

        let summaries = SeedStatistics.summarize([
            SeedResult(setting: "lr=0.001", seed: 1, metrics: ["2hop_test": 80, "3hop_test": 10]),
            SeedResult(setting: "lr=0.01", seed: 1, metrics: ["2hop_test": 50]),
            SeedResult(setting: "lr=0.001", seed: 2, metrics: ["2hop_test": 90, "3hop_test": 20]),
            SeedResult(setting: "lr=0.001", seed: 3, metrics: ["2hop_test": 100]),
        ])
        XCTAssertEqual(summaries.map(\.setting), ["lr=0.001", "lr=0.01"], "settings in the order they first appear")
        XCTAssertEqual(summaries[0].seeds, [1, 2, 3])
        XCTAssertEqual(summaries[0].metrics["2hop_test"], MeanStd(mean: 90, std: 10, n: 3))
        let partial = summaries[0].metrics["3hop_test"]!
        XCTAssertEqual(partial.mean, 15)
        XCTAssertEqual(partial.std!, 50.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(partial.n, 2, "a metric counts the seeds that have it")
        XCTAssertEqual(summaries[1].metrics, ["2hop_test": MeanStd(mean: 50, std: nil, n: 1)])

        let table = SeedStatistics.markdownTable(summaries)
        XCTAssertTrue(table.contains("| setting | n | 2hop_test | 3hop_test |"), table)
        XCTAssertTrue(table.contains("| lr=0.001 | 3 | 90.0 ± 10.0 | 15.0 ± 7.1 (n 2) |"), table)
        XCTAssertTrue(table.contains("| lr=0.01 | 1 | 50.0 | — |"), table)
    }

    // MARK: - Running

    /// A tiny permutation graph and a space over it: `settings` learning rates × `seeds`.
    func makeSpace(lrs: [String] = ["0.001", "0.01"], seeds: String = "2", maxSteps: Int = 3) throws -> String {
        if !FileManager.default.fileExists(atPath: path("data")) {
            let (status, message) = LoopCLI.run(["data", "extrapolation", "--entities", "10", "--relations", "2", "--max-hops", "3",
                                                 "--train-per-hop", "30", "--test-per-hop", "8", "--atomic-sample", "10",
                                                 "--train-sample", "10", "--out", path("data")])
            XCTAssertEqual(status, 0, message)
        }
        return try write("space.yaml", """
        name: tiny
        base:
          data: \(path("data"))
          d: 8
          heads: 2
          layers: 1
          schedule: "fixed:r=2"
          warmup: 0
          curriculum: false
          max_steps: \(maxSteps)
          eval_every_steps: \(maxSteps)
          eval_every_epochs: 1000
          backend: "cpu:threads=1"
        grid:
          lr: [\(lrs.joined(separator: ", "))]
        seeds: \(seeds)
        """)
    }

    func sweep(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) {
        let (status, message) = LoopCLI.run(["sweep"] + arguments)
        XCTAssertEqual(status, 0, "loop sweep \(arguments.joined(separator: " ")) failed: \(message)", file: file, line: line)
    }

    func modified(_ name: String) throws -> Date {
        try FileManager.default.attributesOfItem(atPath: path(name))[.modificationDate] as! Date
    }

    func testSweepTrainsEveryPointSkipsFinishedOnesAndReportsMeanAndStd() throws {
        let space = try makeSpace()
        sweep(["run", space, "--out", path("sweep"), "--plain"])
        let folder = try SweepFolder(at: root.appendingPathComponent("sweep"))
        XCTAssertEqual(folder.status().map(\.state.name), Array(repeating: "done", count: 4))
        let sweepJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("sweep/sweep.json"))) as! [String: Any]
        let listed = sweepJSON["points"] as! [[String: Any]]
        XCTAssertEqual(listed.map { $0["folder"] as! String }, ["setting-000-seed-1", "setting-000-seed-2", "setting-001-seed-1", "setting-001-seed-2"])
        XCTAssertEqual((listed[3]["settings"] as! [String: Any])["lr"] as? Double, 0.01)

        // Each point is an ordinary run: its run.json holds the point's settings.
        for point in folder.sweep.points {
            let run = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("sweep/\(point.folder)/run.json"))) as! [String: Any]
            XCTAssertEqual(run["seed"] as? Int, Int(point.seed))
            XCTAssertEqual(run["lr"] as? Double, point.value("lr") as? Double)
            XCTAssertTrue(FileManager.default.fileExists(atPath: path("sweep/\(point.folder)/checkpoints/final/model.safetensors")))
        }

        // results.json: per setting, the mean and sample std of the runs' last evaluations.
        let results = try folder.results()
        XCTAssertEqual(results.settings.map(\.label), ["lr=0.001", "lr=0.01"])
        XCTAssertTrue(results.notFinished.isEmpty)
        for (setting, summary) in results.settings.map({ ($0.setting, $0.summary) }) {
            XCTAssertEqual(summary.seeds, [1, 2])
            let runs = try folder.sweep.points.filter { $0.setting == setting }.map { point in
                try XCTUnwrap(SeedStatistics.finalAccuracy(inRun: folder.folder(of: point)))
            }
            XCTAssertFalse(runs[0].isEmpty)
            for (type, stats) in summary.metrics {
                let (a, b) = (runs[0][type]!, runs[1][type]!)
                XCTAssertEqual(stats.n, 2)
                XCTAssertEqual(stats.mean, (a + b) / 2, accuracy: 1e-9)
                XCTAssertEqual(stats.std!, abs(a - b) / 2.0.squareRoot(), accuracy: 1e-9, "the sample std of two values")
            }
        }
        let written = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("sweep/results.json"))) as! [String: Any]
        XCTAssertEqual((written["settings"] as? [Any])?.count, 2)
        XCTAssertEqual((written["runs"] as? [Any])?.count, 4)
        let markdown = try String(contentsOf: root.appendingPathComponent("sweep/results.md"), encoding: .utf8)
        XCTAssertTrue(markdown.contains("| setting | lr | n | 2hop_test |"), markdown)
        XCTAssertTrue(markdown.contains("| 1 | 0.01 | 2 | "), markdown)

        // Running again trains nothing: every point is finished.
        let before = try folder.sweep.points.map { try modified("sweep/\($0.folder)/metrics.jsonl") }
        sweep(["run", space, "--out", path("sweep"), "--plain"])
        XCTAssertEqual(try folder.sweep.points.map { try modified("sweep/\($0.folder)/metrics.jsonl") }, before)

        // Another seed extends the sweep in place; changed settings are refused.
        sweep(["run", try makeSpace(seeds: "3"), "--out", path("sweep"), "--index", "2", "--plain"])
        XCTAssertEqual(try SweepFolder(at: root.appendingPathComponent("sweep")).status().map(\.state.name),
                       ["done", "done", "done", "done", "done", "not started"])
        let (status, error) = LoopCLI.run(["sweep", "run", try makeSpace(lrs: ["0.001", "0.02"]), "--out", path("sweep")])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(error.contains("setting-001-seed-1 has other settings (lr 0.01 there, 0.02 in"), error)
    }

    func testIndexTrainsOnePointAndAnInterruptedPointResumes() throws {
        let space = try makeSpace(lrs: ["0.001"], maxSteps: 6)
        sweep(["run", space, "--out", path("sweep"), "--index", "1", "--plain"])
        let folder = try SweepFolder(at: root.appendingPathComponent("sweep"))
        XCTAssertEqual(folder.status().map(\.state.name), ["not started", "done"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("sweep/setting-000-seed-1")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("sweep/results.json")), "written once every point is done")

        // SIGTERM (Slurm's preemption or time limit) to an array task: the point checkpoints after its
        // step and the task exits 128 + SIGTERM, saying how to continue.
        Interruption.request(signal: SIGTERM)
        let (terminated, terminatedMessage) = LoopCLI.run(["sweep", "run", space, "--out", path("sweep"), "--index", "0", "--plain"])
        Interruption.reset()
        XCTAssertEqual(terminated, 143, terminatedMessage)
        XCTAssertTrue(terminatedMessage.contains("resume with: loop sweep run \(space) --out \(path("sweep")) --index 0"), terminatedMessage)
        XCTAssertEqual(folder.status().first?.state, .interrupted("at step 1"))

        // Ctrl-C: the point in training resumes, checkpoints after its step, and the sweep stops with 128 + SIGINT.
        Interruption.request()
        let (stopped, stoppedMessage) = LoopCLI.run(["sweep", "run", space, "--out", path("sweep"), "--plain"])
        Interruption.reset()
        XCTAssertEqual(stopped, 130, stoppedMessage)
        XCTAssertTrue(stoppedMessage.hasSuffix("resume with: loop sweep run \(space) --out \(path("sweep"))"), stoppedMessage)
        XCTAssertEqual(folder.status().map(\.state), [.interrupted("at step 2"), .done("stopped at max steps (6) — step 6, epoch 6")])
        let partial = try folder.results()
        XCTAssertEqual(partial.settings.first?.summary.seeds, [2])
        XCTAssertEqual(partial.notFinished.map(\.folder), ["setting-000-seed-1"])
        XCTAssertTrue(partial.markdown.contains("- setting-000-seed-1: interrupted — at step 2"), partial.markdown)

        // Run again: the interrupted point resumes from step 2 (a fresh start into its folder would be refused).
        sweep(["run", space, "--out", path("sweep"), "--plain"])
        XCTAssertEqual(folder.status().map(\.state.name), ["done", "done"])
        let log = try String(contentsOf: root.appendingPathComponent("sweep/setting-000-seed-1/metrics.jsonl"), encoding: .utf8)
        XCTAssertEqual(log.split(separator: "\n").filter { $0.contains("\"kind\":\"eval\"") }.count, 1, "one evaluation, at step 6")
        XCTAssertEqual(try SweepFolder(at: root.appendingPathComponent("sweep")).results().settings.first?.summary.seeds, [1, 2])

        let (status, error) = LoopCLI.run(["sweep", "run", space, "--out", path("sweep"), "--index", "2"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(error.contains("--index 2") && error.contains("2 points"), error)
    }
}
