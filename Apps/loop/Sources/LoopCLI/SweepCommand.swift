import ArgumentParser
import Foundation
import RecurrentDepth

/// `loop sweep`: a search space's settings × seeds trained as ordinary runs in one folder,
/// resumable point by point, reported as mean ± std over seeds.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Search hyperparameters or repeat seeds: train every point of a search space, report mean ± std over seeds.",
        discussion: """
        A search space file (YAML, or JSON for a .json name):

          name: lr-by-decay              # optional
          base:                          # any `loop train` config key
            data: data/perm
            d: 64
            max_steps: 3000
          grid:                          # every combination
            lr: [0.001, 0.003]
            weight_decay: [0.1, 1]
          seeds: [1, 2, 3]               # or seeds: 3 (1, 2, 3)

        or, instead of grid:, settings drawn at random:

          random:
            samples: 8                   # how many
            seed: 0                      # seeds the draws, not training
            lr: {min: 1e-4, max: 1e-2, log: true}
            d: [32, 64]

        Each point (a setting with a seed) is a `loop train` run in
        OUT/setting-NNN-seed-S/; OUT/sweep.json lists every point's settings.
        Running again skips finished points and resumes interrupted ones.

        Examples:
          loop sweep plan space.yaml           # the points, without training
          loop sweep run space.yaml --out sweeps/lr
          loop sweep run space.yaml --out sweeps/lr --index $SLURM_ARRAY_TASK_ID
          loop sweep run space.yaml --out sweeps/lr --slurm --submit --time 2:00:00   # a Slurm job array
          loop sweep status sweeps/lr
          loop sweep report sweeps/lr          # results.json, results.md
        """,
        subcommands: [Run.self, Plan.self, Status.self, Report.self]
    )

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train the sweep's points (all, or one with --index), then report.",
            discussion: """
            Finished points are skipped; an interrupted point resumes from its latest
            checkpoint; a failed one is tried again. Ctrl-C or SIGTERM checkpoints the
            point in training and stops the sweep with exit status 128 + the signal
            (130, 143); a point that failed exits 64 or more. A point that another
            process is training (e.g. another array task) is left to it.

            --slurm writes OUT/sweep.sbatch instead of training: a Slurm job array,
            task I running this command with --index I, requeued when preempted (it
            resumes from the point's checkpoint), signalled 60 s before --time to
            checkpoint; --submit also runs sbatch on it. Submitting it again continues
            the points not finished.
            """
        )
        @Argument(help: "The search space file (.yaml, .yml or .json).") var space: String
        @Option(help: "The sweep's folder (sweep.json, a run folder per point, results.json, results.md).") var out: String
        @Option(help: "Train only the point at this index (0-based, as `loop sweep plan` numbers them): one Slurm array task.") var index: Int?
        @Flag(help: "Print plain progress lines even on a terminal.") var plain = false
        @OptionGroup(title: "Slurm") var slurm: SlurmOptions

        func validate() throws {
            if slurm.slurm && index != nil { throw ValidationError("--slurm writes a job array whose task I runs --index I; drop --index") }
        }

        func run() throws {
            let sweep = try Sweep(contentsOf: space)
            let folder = try SweepFolder.create(sweep, at: URL(fileURLWithPath: out))
            if slurm.slurm { return try writeSlurmScript(folder) }
            let count = sweep.points.count
            if let index {
                guard sweep.points.indices.contains(index) else {
                    throw CLIError("--index \(index): \(space) has \(count) points, 0...\(count - 1)")
                }
                let point = sweep.points[index]
                switch try attempt(point, in: folder) {
                case let .failed(message): throw CLIError("\(point.folder) failed: \(message)")
                case .interrupted: throw interrupted(index: index)
                case .skipped, .finished: break
                }
                // The array task that finishes last writes the results.
                if folder.status().allSatisfy({ if case .done = $0.state { return true } else { return false } }) {
                    try report(folder)
                } else {
                    Console.log("results: loop sweep report \(out) (when the points are done)")
                }
                return
            }
            Console.log("sweep \(space): \(sweep.settingCount) setting\(sweep.settingCount == 1 ? "" : "s") × \(sweep.seeds.count) seed\(sweep.seeds.count == 1 ? "" : "s") = \(count) points in \(out)")
            var failed: [String] = [], stopped = false
            for point in sweep.points {
                let outcome = try attempt(point, in: folder)
                if case .failed = outcome { failed.append(point.folder) }
                // Ctrl-C stops the sweep after the point in training has checkpointed.
                if outcome == .interrupted || Interruption.isRequested {
                    stopped = true
                    break
                }
            }
            try report(folder)
            if stopped { throw interrupted(index: nil) }
            if !failed.isEmpty {
                throw CLIError("\(failed.count) of \(count) points failed (\(failed.joined(separator: ", "))): see \(out)/\(SweepFolder.markdownFile)")
            }
        }

        /// Stopped by a signal after the point in training checkpointed: exits 128 + the signal.
        private func interrupted(index: Int?) -> TrainingInterrupted {
            TrainingInterrupted(signal: Interruption.stopSignal ?? SIGINT,
                                resume: "loop sweep run \(space) --out \(out)" + (index.map { " --index \($0)" } ?? ""))
        }

        /// Writes OUT/sweep.sbatch, a job array over the points, and submits it with --submit.
        private func writeSlurmScript(_ folder: SweepFolder) throws {
            let absolute = { (path: String) in URL(fileURLWithPath: path).standardizedFileURL.path }
            let root = absolute(folder.root.path)
            if let bad = [root, absolute(space)].first(where: { $0.contains("\\") || $0.contains("\n") }) {
                throw CLIError("\(bad): a path with a backslash or a line break cannot be written into a Slurm script; move it")
            }
            let sweep = folder.sweep
            let script = SlurmArrayScript(
                loop: SlurmArrayScript.currentExecutable, space: absolute(space), out: root,
                workingDirectory: FileManager.default.currentDirectoryPath, points: sweep.points.count,
                jobName: slurm.jobName ?? "loop-sweep-" + (sweep.name ?? URL(fileURLWithPath: space).deletingPathExtension().lastPathComponent),
                resources: slurm.resources)
            let file = folder.root.appendingPathComponent(SlurmArrayScript.fileName)
            try cliErrors {
                // Slurm does not create the folder of --output: a task with none would have nowhere to write.
                try FileManager.default.createDirectory(at: folder.root.appendingPathComponent(SlurmArrayScript.outputFolder),
                                                        withIntermediateDirectories: true)
                try Data(script.text.utf8).write(to: file, options: .atomic)
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
            }
            Console.log("wrote \(file.path): a Slurm job array of \(sweep.points.count) tasks, one per point; each task's output in "
                        + "\(root)/\(SlurmArrayScript.outputFolder)/")
            guard slurm.submit else {
                Console.log("submit it with: sbatch \(file.path)")
                return
            }
            let job = try SlurmArrayScript.submit(file)
            print(job)
            Console.log("submitted job \(job) (tasks \(job)_0 to \(job)_\(sweep.points.count - 1)); follow it with: "
                        + "squeue -j \(job); loop sweep status \(out)")
        }

        /// Trains one point, printing what happened.
        private func attempt(_ point: SweepPoint, in folder: SweepFolder) throws -> SweepFolder.Attempt {
            Console.log("[\(point.index + 1)/\(folder.sweep.points.count)] \(point.folder): \(point.label), seed \(point.seed)")
            let attempt = try folder.train(point, plain: plain)
            switch attempt {
            case let .skipped(state): Console.log("  skipped: \(state.name)" + (state.detail.isEmpty ? "" : " (\(state.detail))"))
            case let .finished(line): Console.log(line)
            case .interrupted: Console.log("interrupted; the point resumes from its latest checkpoint")
            case let .failed(message): Console.log("failed: \(message)")
            }
            return attempt
        }
    }

    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the points of a search space (and write OUT/sweep.json with --out), without training.")
        @Argument(help: "The search space file (.yaml, .yml or .json).") var space: String
        @Option(help: "Also write the sweep's folder and its sweep.json.") var out: String?

        func run() throws {
            let sweep = try Sweep(contentsOf: space)
            print(table([["index", "folder", "seed", "setting"]]
                        + sweep.points.map { ["\($0.index)", $0.folder, "\($0.seed)", $0.label] }, rightAligned: [0, 2]))
            print("\(sweep.settingCount) setting\(sweep.settingCount == 1 ? "" : "s") × \(sweep.seeds.count) seed\(sweep.seeds.count == 1 ? "" : "s") = \(sweep.points.count) points")
            if let out {
                _ = try SweepFolder.create(sweep, at: URL(fileURLWithPath: out))
                Console.log("wrote \(URL(fileURLWithPath: out).appendingPathComponent(SweepFolder.sweepFile).path); "
                      + "a Slurm job array over them: loop sweep run \(space) --out \(out) --slurm [--submit]")
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show which points are done, running, interrupted, failed or not started.",
            discussion: """
            --json prints {"folder", "space", "points": [{"index", "folder", "setting", "seed", "state", "detail"}],
            "counts": {STATE: N}}, STATE one of done, running, interrupted, failed, not_started.
            """)
        @Argument(help: "The sweep's folder.") var folder: String
        @Flag(help: "Print the status as JSON.") var json = false

        /// `loop sweep status --json`.
        struct Summary: Encodable {
            struct Point: Encodable { var index: Int; var folder: String; var setting: String; var seed: UInt64; var state: String; var detail: String }
            var folder: String
            var space: String
            var points: [Point]
            var counts: [String: Int]
        }

        func run() throws {
            let sweep = try SweepFolder(at: URL(fileURLWithPath: folder))
            let status = sweep.status()
            if json {
                let points = status.map {
                    Summary.Point(index: $0.point.index, folder: $0.point.folder, setting: $0.point.label, seed: $0.point.seed,
                                  state: $0.state.name.replacingOccurrences(of: " ", with: "_"), detail: $0.state.detail)
                }
                let counts = Dictionary(["done", "running", "interrupted", "failed", "not_started"].map { name in
                    (name, points.filter { $0.state == name }.count)
                }, uniquingKeysWith: +)
                try Console.printJSON(Summary(folder: folder, space: sweep.sweep.space, points: points, counts: counts))
                return
            }
            print("\(folder): \(status.count) points from \(sweep.sweep.space)")
            print(table([["index", "folder", "state", "detail"]]
                        + status.map { ["\($0.point.index)", $0.point.folder, $0.state.name, $0.state.detail] }, rightAligned: [0]))
            let names = ["done", "running", "interrupted", "failed", "not started"]
            print(names.map { name in "\(name) \(status.filter { $0.state.name == name }.count)" }.joined(separator: ", "))
        }
    }

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write results.json and results.md: each setting's final accuracy as mean ± std over seeds.")
        @Argument(help: "The sweep's folder.") var folder: String

        func run() throws { try report(SweepFolder(at: URL(fileURLWithPath: folder))) }
    }
}

/// Writes a sweep's results and prints them (the files written go to standard error).
private func report(_ folder: SweepFolder) throws {
    let results = try folder.writeResults()
    print(results.markdown)
    Console.log("wrote \(folder.root.appendingPathComponent(SweepFolder.resultsFile).path), \(folder.root.appendingPathComponent(SweepFolder.markdownFile).path)")
}

/// Rows as aligned columns (the first row is the header).
private func table(_ rows: [[String]], rightAligned: Set<Int> = []) -> String {
    let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
        row.enumerated().map { column, cell in
            let pad = String(repeating: " ", count: widths[column] - cell.count)
            return rightAligned.contains(column) ? pad + cell : (column == row.count - 1 ? cell : cell + pad)
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}
