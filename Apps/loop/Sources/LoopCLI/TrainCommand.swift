import ArgumentParser
import Foundation
import TensorKit
import KnowledgeGraph
import RecurrentDepth

/// `loop train`: every setting of `RunSettings` as a flag (all optional, so that only the flags
/// given override the config file or the resumed run).
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a recurrent-depth transformer on a dataset.",
        discussion: """
        Settings come from the reference's defaults for --task, then --config FILE (JSON or YAML, keys are
        the flag names with _ for -), then the flags. The resolved settings are saved as RUN/run.json;
        the metrics log is RUN/metrics.jsonl; checkpoints are RUN/checkpoints/{latest,stage-K,epoch-N,final}.
        Ctrl-C writes a checkpoint and stops; --resume RUN continues exactly where it stopped.

        Examples:
          loop train --data data/perm-small --out runs/perm --d 64 --layers 2 --heads 4 --schedule fixed:r=4 \\
                     --lr 1e-3 --warmup 200 --weight-decay 1 --attn-dropout 0 --resid-dropout 0 --max-len 5 --last-hop 3
          loop train --config run.yaml --out runs/a --seed 2
          loop train --resume runs/perm --max-minutes 30
        """
    )

    @Option(help: "Dataset folder.") var data: String?
    @Option(help: "Run folder (created; holds run.json, metrics.jsonl, checkpoints/).") var out: String?
    @Option(help: "Settings file (.json, .yaml or .yml); flags override it.") var config: String?
    @Option(help: "Continue the run in this folder from checkpoints/latest (flags may raise its limits).") var resume: String?
    @Option(help: "Task defaults: extrapolation (curriculum, max_len 50, wd 0.01) or systematicity (longest padding, wd 0.1, label smoothing 0.1).") var task: String?

    @Option(help: "Model width n_embd (default 128).") var d: Int?
    @Option(help: "Blocks in the stack (default 2).") var layers: Int?
    @Option(help: "Attention heads (default 4).") var heads: Int?
    @Option(help: "n_positions (default: max(max_len, 64)).") var positions: Int?
    @Option(help: "Positions: learned, sinusoidal or none (default learned).") var pos: String?
    @Flag(inversion: .prefixedNo, help: "Add the embedded input before every step after the first.") var injection: Bool?
    @Option(help: "Scale of both c_proj weights at init (default 0 for extrapolation, 1 otherwise).") var cScale: Float?
    @Option(help: "Embedding dropout (default 0 extrapolation, 0.1 systematicity).") var embdDropout: Float?
    @Option(help: "Dropout on attention probabilities (default 0.1).") var attnDropout: Float?
    @Option(help: "Dropout on residual branches (default 0.1).") var residDropout: Float?

    @Option(help: "Recurrence schedule: fixed:r=N or dynamic:mean=4,min=2,max=8 (see `loop list`).") var schedule: String?
    @Option(help: "Halting policy for evaluation during training (default: fixed r, or entropy-kl-length for dynamic schedules).") var evalHalting: String?
    @Option(help: "Backpropagate through only the last K recurrence steps.") var gradientSteps: Int?

    @Option(help: "Peak learning rate (default 1e-4).") var lr: Double?
    @Option(help: "AdamW weight decay (default 0.01 extrapolation, 0.1 systematicity).") var weightDecay: Double?
    @Option(help: "Warmup steps (default 2000).") var warmup: Int?
    @Option(help: "Epochs in the decay horizon (default 100001: flat after warmup).") var epochs: Int?
    @Option(help: "Label smoothing (default 0 extrapolation, 0.1 systematicity).") var labelSmoothing: Float?
    @Option(help: "Clip the gradient norm to this.") var clip: Double?
    @Option(help: "Batch size (default 128).") var batchSize: Int?
    @Option(help: "Answer position: last_token or inp_len (default last_token).") var predPos: String?
    @Option(help: "Pad to this length; 0 pads to the longest in each batch (default 50 extrapolation, 0 systematicity).") var maxLen: Int?
    @Flag(help: "Cut sequences longer than max_len instead of failing.") var truncate = false

    @Flag(inversion: .prefixedNo, help: "Use the hop curriculum (default: on for extrapolation).") var curriculum: Bool?
    @Option(help: "First curriculum stage (default 2).") var firstHop: Int?
    @Option(help: "Last curriculum stage (default 40).") var lastHop: Int?
    @Option(help: "Stage k ends when k-hop test accuracy exceeds this (default 0.95).") var threshold: Double?
    @Option(help: "No stage change before this many epochs (default 0).") var forceGrokEpochs: Int?
    @Option(help: "Per-stage learning rate decay gamma.") var lrDecay: Double?
    @Option(help: "Floor of the decayed rate (default 0).") var minLr: Double?

    @Option(help: "Evaluate every N epochs (default 1).") var evalEveryEpochs: Int?
    @Option(help: "Also evaluate every N steps.") var evalEverySteps: Int?
    @Option(help: "Evaluation batch size (default 512).") var evalBatchSize: Int?
    @Option(help: "Test file name without .json (default test).") var testFile: String?
    @Option(help: "Checkpoint every N epochs.") var checkpointEveryEpochs: Int?
    @Option(help: "Log the training loss every N steps (default 100).") var logEverySteps: Int?
    @Option(help: "Stop after N steps in all.") var maxSteps: Int?
    @Option(help: "Stop after N epochs in all.") var maxEpochs: Int?
    @Option(help: "Stop after N minutes of training in all.") var maxMinutes: Double?
    @Option(help: "Random seed (default 0).") var seed: UInt64?
    @Option(help: "Backend: cpu[:threads=N] or reference.") var backend: String?
    @Flag(help: "Print plain progress lines even on a terminal.") var plain = false

    func validate() throws {
        if resume == nil && (data == nil && config == nil) { throw ValidationError("--data DIR is required (or --config FILE, or --resume RUN)") }
        if resume == nil && out == nil { throw ValidationError("--out RUN is required (the folder the run writes)") }
        if resume != nil && out != nil && out != resume { throw ValidationError("--resume writes into the resumed run's folder; drop --out") }
    }

    /// Lays the given flags over `s`.
    func apply(to s: inout RunSettings) {
        if let v = data { s.data = v }
        if let v = task { s.task = v }
        if let v = d { s.d = v }
        if let v = layers { s.layers = v }
        if let v = heads { s.heads = v }
        if let v = positions { s.positions = v }
        if let v = pos { s.pos = v }
        if let v = injection { s.injection = v }
        if let v = cScale { s.cScale = v }
        if let v = embdDropout { s.embdDropout = v }
        if let v = attnDropout { s.attnDropout = v }
        if let v = residDropout { s.residDropout = v }
        if let v = schedule { s.schedule = v }
        if let v = evalHalting { s.evalHalting = v }
        if let v = gradientSteps { s.gradientSteps = v }
        if let v = lr { s.lr = v }
        if let v = weightDecay { s.weightDecay = v }
        if let v = warmup { s.warmup = v }
        if let v = epochs { s.epochs = v }
        if let v = labelSmoothing { s.labelSmoothing = v }
        if let v = clip { s.clip = v }
        if let v = batchSize { s.batchSize = v }
        if let v = predPos { s.predPos = v }
        if let v = maxLen { s.maxLen = v }
        if truncate { s.truncate = true }
        if let v = curriculum { s.curriculum = v }
        if let v = firstHop { s.firstHop = v }
        if let v = lastHop { s.lastHop = v }
        if let v = threshold { s.threshold = v }
        if let v = forceGrokEpochs { s.forceGrokEpochs = v }
        if let v = lrDecay { s.lrDecay = v }
        if let v = minLr { s.minLr = v }
        if let v = evalEveryEpochs { s.evalEveryEpochs = v }
        if let v = evalEverySteps { s.evalEverySteps = v }
        if let v = evalBatchSize { s.evalBatchSize = v }
        if let v = testFile { s.testFile = v }
        if let v = checkpointEveryEpochs { s.checkpointEveryEpochs = v }
        if let v = logEverySteps { s.logEverySteps = v }
        if let v = maxSteps { s.maxSteps = v }
        if let v = maxEpochs { s.maxEpochs = v }
        if let v = maxMinutes { s.maxMinutes = v }
        if let v = seed { s.seed = v }
        if let v = backend { s.backend = v }
    }

    func run() throws {
        let runFolder = URL(fileURLWithPath: resume ?? out!)
        var settings: RunSettings
        if resume != nil {
            settings = try RunSettings.load(runFolder.appendingPathComponent("run.json").path)
        } else {
            settings = try config.map(RunSettings.load) ?? RunSettings()
        }
        apply(to: &settings)
        guard !settings.data.isEmpty else { throw ValidationError("--data DIR is required") }
        let outcome = try Self.train(settings, runFolder: runFolder, resuming: resume != nil, plain: plain)
        print(outcome)
    }

    /// Trains with `settings` into `runFolder` (resuming from its latest checkpoint if asked) and
    /// returns a one-line summary. Shared by `loop train` and `loop demo`.
    static func train(_ settings: RunSettings, runFolder: URL, resuming: Bool, plain: Bool, quiet: Bool = false) throws -> String {
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
                                       evaluator: evaluator, runFolder: runFolder)
                }
                if FileManager.default.fileExists(atPath: runFolder.appendingPathComponent("checkpoints/latest").path) {
                    throw CLIError("\(runFolder.path) already holds a run; continue it with --resume \(runFolder.path) or choose another --out")
                }
                var generator = RandomGenerator(seed: settings.seed)
                let model = try RecurrentGPT2(config: try settings.modelConfig(vocabularySize: dataset.vocabulary.count), generator: &generator)
                return try Trainer(model: model, dataset: dataset, config: trainingConfig, schedule: schedule,
                                   evaluator: evaluator, runFolder: runFolder)
            }
            try settings.save(to: runFolder.appendingPathComponent("run.json"))
            let display = ProgressDisplay(plain: plain, quiet: quiet, limitSteps: settings.maxSteps, limitMinutes: settings.maxMinutes)
            trainer.onProgress = { display.update($0) }
            trainer.onRecord = { display.record($0) }
            if !quiet {
                print("training \(trainer.model.parameterCount) parameters, schedule \(schedule.name), evaluation \(trainer.evaluator.name)"
                      + (resuming ? ", resuming at step \(trainer.state.step)" : ""))
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
            return "\(how) — step \(trainer.state.step), epoch \(trainer.state.epoch)"
                + (trainer.state.stage.map { ", stage \($0)" } ?? "") + (accuracy.isEmpty ? "" : "; accuracy: \(accuracy)")
                + "\ncheckpoints in \(runFolder.appendingPathComponent("checkpoints").path)"
        }
    }
}
