import ArgumentParser
import Foundation
import TensorKit
import KnowledgeGraph
import RecurrentDepth

/// `loop train`: every setting of `RunSettings` as a flag (`TrainingFlags`), laid over the config
/// file or the resumed run.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a recurrent-depth transformer on a dataset.",
        discussion: """
        Settings come from the reference's defaults for --task, then --config FILE (JSON or YAML, keys are
        the flag names with _ for -), then the flags. The resolved settings are saved as RUN/run.json;
        the metrics log is RUN/metrics.jsonl; checkpoints are RUN/checkpoints/{latest,stage-K,epoch-N,final}.
        checkpoints/latest is also written every --checkpoint-every-minutes (default 5), atomically, so a run
        killed at any instant (kill -9, out of memory, power cut) resumes from there. Ctrl-C or SIGTERM writes
        a checkpoint and stops; --resume RUN continues exactly where it stopped. A folder that holds a run is
        refused unless --resume (continue it) or --overwrite (delete its run and start afresh).
        Each run prints and records in run.json the loop version, git commit, CPU features and dataset hash.

        Exit status: 0 finished or stopped at a limit; 64 bad input; 65 diverged (NaN or infinite loss or
        weights; the last checkpoint stays good; see --on-divergence); 70 internal error; 74 a write failed
        (disk full, folder not writable; the last checkpoint stays intact); 128 + N stopped by signal N after
        writing a checkpoint (130 SIGINT, 143 SIGTERM), with "resume with: loop train --resume RUN" on stderr.

        Examples:
          loop train --data data/perm-small --out runs/perm --d 64 --layers 2 --heads 4 --schedule fixed:r=4 \\
                     --lr 1e-3 --warmup 200 --weight-decay 1 --attn-dropout 0 --resid-dropout 0 --max-len 5 --last-hop 3
          loop train --config run.yaml --out runs/a --seed 2
          loop train --resume runs/perm --max-minutes 30
        """
    )

    @Option(help: "Run folder (created; holds run.json, metrics.jsonl, checkpoints/).") var out: String?
    @Option(help: "Settings file (.json, .yaml or .yml); flags override it.") var config: String?
    @Option(help: "Continue the run in this folder from checkpoints/latest (flags may raise its limits).") var resume: String?
    @Flag(help: "Delete the run already in --out (metrics, run.json, checkpoints, event files) and start afresh.") var overwrite = false
    @OptionGroup var settings: TrainingFlags
    @Flag(help: "Print plain progress lines even on a terminal.") var plain = false

    func validate() throws {
        if resume == nil && (settings.data == nil && config == nil) { throw ValidationError("--data DIR is required (or --config FILE, or --resume RUN)") }
        if resume == nil && out == nil { throw ValidationError("--out RUN is required (the folder the run writes)") }
        if resume != nil && out != nil && out != resume { throw ValidationError("--resume writes into the resumed run's folder; drop --out") }
        if resume != nil && overwrite { throw ValidationError("--overwrite starts afresh and --resume continues: give one") }
    }

    func run() throws {
        let runFolder = URL(fileURLWithPath: resume ?? out!)
        let outcome = try DataParallel.run { group -> TrainingOutcome in
            // Under mpirun, rank 0 alone prepares the folder; the others wait for it and take its decision.
            let primary = group?.isPrimary ?? true
            var resuming = resume != nil
            let base: RunSettings
            if resuming {
                base = try RunSettings.load(runFolder.appendingPathComponent("run.json").path)
                if primary { resuming = try Self.prepareResume(runFolder) }
            } else {
                base = try config.map(RunSettings.load) ?? RunSettings()
            }
            let settings = try base.overlaid(with: self.settings.given, source: "the command line")
            guard !settings.data.isEmpty else { throw ValidationError("--data DIR is required") }
            if resume == nil && primary {
                let held = RunFolder.state(in: runFolder)
                if !held.isEmpty {
                    guard overwrite else {
                        throw CLIError("\(runFolder.path) already holds a run (\(held.joined(separator: ", "))): continue it with "
                                       + "--resume \(runFolder.path), or delete it and start afresh with --overwrite")
                    }
                    try RunFolder.clear(runFolder)
                }
            }
            if let group { resuming = try group.anyRank(primary && resuming) }
            let result = try Self.train(settings, runFolder: runFolder, resuming: resuming, plain: plain, group: group)
            if primary { print(result.summary) }
            return result.outcome
        }
        if outcome == .interrupted {
            throw TrainingInterrupted(signal: Interruption.stopSignal ?? SIGINT, resume: "loop train --resume \(runFolder.path)")
        }
    }

    /// Readies `runFolder` for `--resume`: puts back a checkpoint a kill left aside mid-exchange,
    /// deletes what writes cut short left behind, and returns whether there is a checkpoint to
    /// continue from (a run killed before its first one starts again from step 0, keeping its run.json).
    private static func prepareResume(_ runFolder: URL) throws -> Bool {
        RunFolder.recoverInterruptedWrites(runFolder)
        if FileManager.default.fileExists(atPath: runFolder.appendingPathComponent("checkpoints/latest").path) { return true }
        Console.log("\(runFolder.path): no checkpoint yet; training it again from step 0")
        try RunFolder.clear(runFolder, keeping: ["run.json"])
        return false
    }

    /// Trains with `settings` into `runFolder` (resuming from its latest checkpoint if asked) and
    /// returns how training ended with a summary (the outcome, then where the checkpoints are).
    /// Shared by `loop train`, `loop demo` and `loop sweep`. With a `group`, this process is one
    /// rank of a data-parallel run; ranks other than 0 write and print nothing.
    static func train(_ settings: RunSettings, runFolder: URL, resuming: Bool, plain: Bool,
                      quiet: Bool = false, group: TrainingGroup? = nil) throws -> (outcome: TrainingOutcome, summary: String) {
        let primary = group?.isPrimary ?? true
        let quiet = quiet || !primary
        let backend = try activeRegistry.backends.make(settings.backend)
        return try withBackend(backend) {
            let dataset = try cliErrors { try Dataset.load(from: URL(fileURLWithPath: settings.data)) }
            let schedule = try settings.scheduleInstance()
            let trainingConfig = try settings.trainingConfig()
            let evaluator = try settings.evaluator(schedule: schedule)
            let trainer: Trainer = try cliErrors {
                if resuming {
                    let latest = runFolder.appendingPathComponent("checkpoints/latest")
                    guard FileManager.default.fileExists(atPath: latest.path) else {
                        throw CLIError("\(runFolder.path): no checkpoints/latest to resume from")
                    }
                    return try Trainer(resumingFrom: latest, dataset: dataset, config: trainingConfig, schedule: schedule,
                                       evaluator: evaluator, runFolder: runFolder, group: group)
                }
                if primary && FileManager.default.fileExists(atPath: runFolder.appendingPathComponent("checkpoints/latest").path) {
                    throw CLIError("\(runFolder.path) already holds a run; continue it with --resume \(runFolder.path) or choose another --out")
                }
                var generator = RandomGenerator(seed: settings.seed)
                let model = try RecurrentGPT2(config: try settings.modelConfig(vocabularySize: dataset.vocabulary.count), generator: &generator)
                return try Trainer(model: model, dataset: dataset, config: trainingConfig, schedule: schedule,
                                   evaluator: evaluator, runFolder: runFolder, group: group)
            }
            let provenance = try primary ? RunProvenance.current(dataFolder: URL(fileURLWithPath: settings.data)) : nil
            if let provenance {
                if !quiet { Console.log(provenance.summary) }
                try settings.save(to: runFolder.appendingPathComponent("run.json"), provenance: provenance)
            }
            let display = ProgressDisplay(plain: plain, quiet: quiet, limitSteps: settings.maxSteps, limitMinutes: settings.maxMinutes)
            trainer.onProgress = { display.update($0) }
            trainer.onRecord = { display.record($0) }
            if !quiet {
                // At the schedule's largest r (the model's `recurrence`) and the longest training batch.
                let cost = ModelCost(config: trainer.model.config, recurrence: trainer.model.config.recurrence,
                                     sequenceLength: max(trainer.trainingSequenceLength, 1))
                Console.log("training \(cost.summary); schedule \(schedule.name), evaluation \(trainer.evaluator.name)"
                      + (trainer.evaluationMark.map { " [\($0)]" } ?? "")
                      + (trainer.config.loopingRegularizer.map { ", looping regularizer \($0)" } ?? "")
                      + (resuming ? ", resuming at step \(trainer.state.step)" : "")
                      + (group.map { group in
                          let megabytes = Double(group.bytesSentPerStep(training: trainer.model)) / 1_000_000
                          return ", data-parallel over \(group.size) ranks (each sends \(String(format: "%.2f", megabytes)) MB of gradients per step)"
                      } ?? ""))
            }
            Interruption.installSignalHandlers()
            let outcome = try cliErrors { try trainer.run() }
            display.finish()
            let accuracy = trainer.state.latestAccuracy.sorted { $0.key < $1.key }
                .map { "\($0.key) \(String(format: "%.1f%%", $0.value * 100))" }.joined(separator: ", ")
            let how: String
            switch outcome {
            case .curriculumComplete: how = "curriculum complete"
            case .limitReached(let limit): how = "stopped at \(limit)"
            case .interrupted: how = "interrupted; continue with: loop train --resume \(runFolder.path)"
            }
            return (outcome, "\(how) — step \(trainer.state.step), epoch \(trainer.state.epoch)"
                + (trainer.state.stage.map { ", stage \($0)" } ?? "")
                + (accuracy.isEmpty ? "" : "; accuracy" + (trainer.evaluationMark.map { " [\($0)]" } ?? "") + ": \(accuracy)")
                + "\ncheckpoints in \(runFolder.appendingPathComponent("checkpoints").path)")
        }
    }
}
