import Foundation
import KnowledgeGraph
import TensorKit

/// How a call to `Trainer.run()` ended.
public enum TrainingOutcome: Equatable {
    /// The curriculum passed its last stage.
    case curriculumComplete
    /// A limit (`maxSteps`, `maxEpochs`, `maxMinutes`, or all `epochs` without a curriculum) was reached.
    case limitReached(String)
    /// `Interruption` was requested; a checkpoint was written.
    case interrupted
}

/// A snapshot for progress displays, passed after every step.
public struct TrainingProgress {
    public var step: Int
    public var epoch: Int
    public var stage: Int?
    public var batchInEpoch: Int
    public var batchesPerEpoch: Int
    /// This step's loss and the recurrence it used.
    public var loss: Float
    /// This step's looping-regularizer term −λ·R (not part of `loss`); nil without one.
    public var regularizer: Double?
    public var recurrence: Int
    public var learningRate: Double
    public var latestAccuracy: [String: Double]
    public var elapsedSeconds: Double
    /// Steps per second since this call to `run()` began (a resumed run counts afresh).
    public var rate: Double
}

/// Trains a `RecurrentGPT2` the way the reference does (DESIGN.md, "Training"): AdamW with
/// warmup then linear decay, cross-entropy at one position per example, a recurrence drawn per
/// batch from the schedule, the hop curriculum, evaluation per test type, a JSON Lines metrics
/// log and resumable checkpoints, all under `runFolder`:
///
///     metrics.jsonl                  one MetricsRecord per line
///     events.out.tfevents.*          the same numbers for TensorBoard, one file per process (TensorBoardEventFile)
///     checkpoints/latest             the newest checkpoint (what --resume reads), also written every
///                                    `checkpointEveryMinutes` / `checkpointEverySteps`
///     checkpoints/stage-K, epoch-N, final
///
/// Each step: zero grads → forward, loss and backward (the batch in `BatchShards.default` slices
/// side by side, each on its share of the cores) → the looping regularizer's gradient, if any →
/// clip → AdamW at the scheduled rate.
///
/// With a `group` (data-parallel training, one trainer per process), each rank computes its slice
/// of every batch, all take the same step on the gathered gradient, they stop at the same step, and
/// rank 0 alone writes the metrics log and checkpoints.
public final class Trainer {
    public static let stateFile = "trainer_state.json"
    public static let optimizerFile = "optimizer.safetensors"
    public static let configFile = "training_config.json"
    public static let metricsFile = "metrics.jsonl"

    public let model: RecurrentGPT2
    public let config: TrainingConfig
    public let schedule: RecurrenceSchedule
    public var evaluator: Evaluator
    public let runFolder: URL
    public private(set) var state: TrainerState
    /// Called after every step (cheap; displays throttle themselves).
    public var onProgress: ((TrainingProgress) -> Void)?
    /// Called with every record written to the metrics log.
    public var onRecord: ((MetricsRecord) -> Void)?
    /// The processes training this model together; nil for a run of its own.
    public let group: TrainingGroup?

    let train: Split
    let test: Split
    private var optimizer: AdamW
    private var dropout: Dropout
    private var stageTrain: Split
    private var batcher: Batcher
    private var lastCheckpoint: String?
    private var tensorBoard: TensorBoardEventFile?
    /// When this process last wrote a checkpoint (or started), for `checkpointEveryMinutes`.
    private var lastCheckpointDate = Date()

    /// Rollbacks after a divergence a run may make before it stops (each halves the learning rate).
    public static let maxRollbacks = 5

    /// A new run. Without an `evaluator`, a fixed schedule is evaluated at its r, as the reference
    /// does; any other schedule needs one (the reference's is the Halting package's
    /// `referenceTrainingEvaluator(for:)`, which this package cannot make), so that no run is
    /// silently judged another way than the reference's.
    public init(model: RecurrentGPT2, dataset: Dataset, config: TrainingConfig, schedule: RecurrenceSchedule,
                evaluator: Evaluator? = nil, runFolder: URL, group: TrainingGroup? = nil) throws {
        let problems = config.problems
        if !problems.isEmpty { throw RecurrentDepthError.invalidTrainingConfig(problems.joined(separator: "; ")) }
        self.model = model
        self.config = config
        self.schedule = schedule
        guard let evaluator = evaluator ?? (schedule as? FixedRecurrence).map({ FixedRecurrenceEvaluator(recurrence: $0.r) }) else {
            throw RecurrentDepthError.invalidTrainingConfig(
                "the \(schedule.name) schedule needs an evaluator: the reference evaluates such runs with the length-aware "
                + "entropy+KL rule (Halting's referenceTrainingEvaluator(for:)); FixedRecurrenceEvaluator evaluates at a fixed r")
        }
        self.evaluator = evaluator
        self.runFolder = runFolder
        self.group = group
        try config.loopingRegularizer?.check(layers: model.config.layers)
        train = try dataset.split("train")
        test = try dataset.split(config.testFile)
        state = TrainerState(seed: config.seed, stage: config.curriculum?.firstHop)
        dropout = Dropout(config: model.config, generator: state.dropoutGenerator)
        optimizer = AdamW(parameters: model.parameters, learningRate: config.learningRate, beta1: config.beta1,
                          beta2: config.beta2, eps: config.epsilon, weightDecay: config.weightDecay)
        (stageTrain, batcher) = try Self.trainingSet(train, stage: state.stage, config: config)
        try checkAgainstModel(dataset: dataset)
    }

    /// Continues the run saved in `checkpoint` (a folder written by a trainer); the model there
    /// replaces `model`'s weights. The run goes on exactly as if it had never stopped.
    public convenience init(resumingFrom checkpoint: URL, dataset: Dataset, config: TrainingConfig,
                            schedule: RecurrenceSchedule, evaluator: Evaluator? = nil, runFolder: URL, group: TrainingGroup? = nil) throws {
        let model = try Checkpoint.readModel(from: checkpoint)
        try self.init(model: model, dataset: dataset, config: config, schedule: schedule, evaluator: evaluator, runFolder: runFolder,
                      group: group)
        let saved = try Checkpoint.decodeJSON(TrainerState.self, from: checkpoint.appendingPathComponent(Self.stateFile))
        state = saved
        dropout = Dropout(config: model.config, generator: saved.dropoutGenerator)
        (stageTrain, batcher) = try Self.trainingSet(train, stage: saved.stage, config: config)
        try restoreOptimizer(from: checkpoint.appendingPathComponent(Self.optimizerFile))
        lastCheckpoint = checkpoint.path
        try trimMetricsLog(after: saved.step)
        if writesFiles { try TensorBoardEventFile.trim(in: runFolder, after: saved.step) }
    }

    // MARK: - The loop

    public func run() throws -> TrainingOutcome {
        let started = Date()
        let elapsedBefore = state.elapsedSeconds
        var stepsThisRun = 0
        func elapsed() -> Double { elapsedBefore + Date().timeIntervalSince(started) }
        if state.finished { return .curriculumComplete }
        var shuffle = state.epochShuffleState
        var order = shuffle.permutation(stageTrain.count)

        while true {
          do {
            if let limit = try agreedLimit(elapsed: elapsed()) {
                state.elapsedSeconds = elapsed()
                try checkpoint(named: "final")
                return .limitReached(limit)
            }
            let start = state.batchInEpoch * config.batchSize
            let indices = Array(order[start..<min(start + config.batchSize, order.count)])
            let batch = batcher.batch(of: indices)
            let (loss, regularizer, r, lr) = try trainingStep(batch)
            stepsThisRun += 1
            state.batchInEpoch += 1
            var window = state.lossWindow ?? LossWindow()
            window.loss += Double(loss); window.r += Double(r); window.regularizer += regularizer ?? 0; window.count += 1
            state.lossWindow = window
            if state.step % config.logEverySteps == 0 { try logTraining(lr: lr, elapsed: elapsed()) }
            onProgress?(TrainingProgress(step: state.step, epoch: state.epoch, stage: state.stage, batchInEpoch: state.batchInEpoch,
                                         batchesPerEpoch: batcher.batchesPerEpoch, loss: loss, regularizer: regularizer,
                                         recurrence: r, learningRate: lr,
                                         latestAccuracy: state.latestAccuracy, elapsedSeconds: elapsed(),
                                         rate: Double(stepsThisRun) / max(Date().timeIntervalSince(started), 1e-9)))

            let epochEnded = state.batchInEpoch == batcher.batchesPerEpoch
            var evaluated = false, advanced = false
            if epochEnded {
                state.epoch += 1
                state.batchInEpoch = 0
                if state.epoch % config.evaluateEveryEpochs == 0 {
                    advanced = try evaluateAndAdvance(lr: lr, elapsed: elapsed())
                    evaluated = true
                }
            }
            if !evaluated, let every = config.evaluateEverySteps, state.step % every == 0 {
                advanced = try evaluateAndAdvance(lr: lr, elapsed: elapsed())
            }
            if let stage = state.stage, let curriculum = config.curriculum, stage > curriculum.lastHop {
                state.elapsedSeconds = elapsed()
                state.finished = true
                try checkpoint(named: "final")
                return .curriculumComplete
            }
            if advanced || epochEnded {
                // A new epoch (or a new stage's training set) draws a new order.
                state.batchInEpoch = 0
                state.epochShuffleState = shuffle
                order = shuffle.permutation(stageTrain.count)
            }
            var checkpointed = false
            if epochEnded, let every = config.checkpointEveryEpochs, state.epoch % every == 0 {
                state.elapsedSeconds = elapsed()
                try checkpoint(named: "epoch-\(state.epoch)")
                checkpointed = true
            }
            let interrupted = try group?.anyRank(Interruption.isRequested) ?? Interruption.isRequested
            if !checkpointed && (interrupted || periodicCheckpointDue) {
                state.elapsedSeconds = elapsed()
                try checkpoint(named: nil)
            }
            if interrupted { return .interrupted }
          } catch let error as RecurrentDepthError where error.isDivergence && config.onDivergence == .rollback {
            try rollBack(after: error)
            shuffle = state.epochShuffleState
            order = shuffle.permutation(stageTrain.count)
          }
        }
    }

    /// Whether `checkpointEverySteps` or `checkpointEveryMinutes` asks for a checkpoint now.
    private var periodicCheckpointDue: Bool {
        if let every = config.checkpointEverySteps, state.step % every == 0 { return true }
        if let minutes = config.checkpointEveryMinutes, minutes > 0, Date().timeIntervalSince(lastCheckpointDate) >= minutes * 60 { return true }
        return false
    }

    /// Goes back to `checkpoints/latest` after `divergence`, with the learning rate halved: the
    /// weights, optimizer and state are the checkpoint's, the metrics log is cut back to its step
    /// and gains a "rollback" record. Rethrows `divergence` when there is no checkpoint to go back
    /// to or the run has rolled back `maxRollbacks` times.
    private func rollBack(after divergence: RecurrentDepthError) throws {
        let latest = runFolder.appendingPathComponent("checkpoints/latest")
        let rollbacks = state.rollbacks ?? 0
        guard rollbacks < Self.maxRollbacks, FileManager.default.fileExists(atPath: latest.path) else { throw divergence }
        let saved = try Checkpoint.readModel(from: latest)
        for ((_, parameter), (_, value)) in zip(model.namedParameters, saved.namedParameters) {
            parameter.storage.pointer.update(from: value.storage.pointer, count: parameter.storage.count)
        }
        var restored = try Checkpoint.decodeJSON(TrainerState.self, from: latest.appendingPathComponent(Self.stateFile))
        restored.learningRateScale = (state.learningRateScale ?? 1) / 2
        restored.rollbacks = rollbacks + 1
        restored.elapsedSeconds = state.elapsedSeconds
        state = restored
        dropout = Dropout(config: model.config, generator: restored.dropoutGenerator)
        (stageTrain, batcher) = try Self.trainingSet(train, stage: restored.stage, config: config)
        try restoreOptimizer(from: latest.appendingPathComponent(Self.optimizerFile))
        try trimMetricsLog(after: restored.step)
        if writesFiles { try TensorBoardEventFile.trim(in: runFolder, after: restored.step) }
        let lr = learningRateSchedule.learningRate(at: state.stageStep) * (state.learningRateScale ?? 1)
        try append(MetricsRecord(kind: "rollback", step: state.step, epoch: state.epoch, stage: state.stage, loss: nil, lr: lr, r: nil,
                                 accuracy: nil, count: nil, iterations: nil, evaluator: nil, elapsed: state.elapsedSeconds))
        // The rollback is part of the run's state at once, so a resume does not forget the halved rate.
        try checkpoint(named: nil)
    }

    /// One optimizer step on `batch`; returns the data loss, the looping regularizer's term (nil
    /// without one), the recurrence used and the learning rate.
    private func trainingStep(_ batch: Batch) throws -> (Float, Double?, Int, Double) {
        let batch = config.positionShift.map { shifted(batch, upTo: $0) } ?? batch
        let input = ModelInput(batch, predictionPosition: config.predictionPosition)
        let context = RecurrenceContext(step: state.step, stage: state.stage, hops: batch.hops.map(Int.init))
        let r = schedule.recurrence(for: context, generator: &state.scheduleGenerator)
        optimizer.zeroGrad()
        let value = try model.addLossGradient(input, labels: IDTensor(shape: [batch.labels.count], ids: batch.labels), recurrence: r,
                                              labelSmoothing: config.labelSmoothing, dropout: dropout.isIdentity ? nil : dropout,
                                              gradientSteps: config.gradientSteps, shards: group?.size ?? BatchShards.default, group: group)
        guard value.isFinite else {
            throw RecurrentDepthError.nonFiniteLoss(step: state.step, loss: value, lastCheckpoint: lastCheckpoint)
        }
        // After the data loss's gradient, so that clipping and AdamW see the whole objective's.
        let regularizer = try config.loopingRegularizer?.addGradient(to: model)
        if let maxNorm = config.clipNorm { _ = clipGradientNorm(model.parameters, maxNorm: maxNorm) }
        let lr = learningRateSchedule.learningRate(at: state.stageStep) * (state.learningRateScale ?? 1)
        optimizer.learningRate = lr
        optimizer.step()
        state.step += 1
        state.stageStep += 1
        state.dropoutGenerator = dropout.generator
        return (value, regularizer, r, lr)
    }

    /// `batch` with each example moved right by a random 0...`limit` columns that keep the last
    /// (answer) column free. The draws depend on the seed and the step alone, so a resumed run
    /// shifts as an uninterrupted one would.
    private func shifted(_ batch: Batch, upTo limit: Int) -> Batch {
        var generator = RandomGenerator(seed: config.seed ^ (UInt64(state.step) &* 0x9E37_79B9_7F4A_7C15))
        return batch.shiftedRight(by: batch.inputLengths.map { length in
            let room = min(limit, batch.length - 1 - Int(length))
            return room > 0 ? generator.nextInt(below: room + 1) : 0
        })
    }

    /// Warmup then linear decay over this stage's `steps_per_epoch × epochs`, from the stage's base rate.
    private var learningRateSchedule: LinearWarmupDecay {
        let base = state.stage.flatMap { stage in config.curriculum?.learningRate(base: config.learningRate, stage: stage) }
            ?? config.learningRate
        return LinearWarmupDecay(peak: base, warmupSteps: config.warmupSteps, totalSteps: batcher.batchesPerEpoch * config.epochs)
    }

    /// `limitReached`, the same on every rank of a group: a time limit may come a step earlier on
    /// one rank's clock than on another's, and all stop when the first does.
    private func agreedLimit(elapsed: Double) throws -> String? {
        let local = limitReached(elapsed: elapsed)
        guard let group, try group.anyRank(local != nil) else { return local }
        return local ?? config.maxMinutes.map { "max minutes (\($0))" } ?? "a limit on another rank"
    }

    private func limitReached(elapsed: Double) -> String? {
        if let n = config.maxSteps, state.step >= n { return "max steps (\(n))" }
        if let n = config.maxEpochs, state.epoch >= n { return "max epochs (\(n))" }
        if let m = config.maxMinutes, elapsed >= m * 60 { return "max minutes (\(m))" }
        if config.curriculum == nil, state.epoch >= config.epochs { return "all \(config.epochs) epochs" }
        return nil
    }

    /// The length of the current stage's training batches at most: the fixed padding, or the
    /// longest training input when each batch pads to its longest (what `ModelCost` is given).
    public var trainingSequenceLength: Int {
        if case let .fixed(n) = config.padding { return n }
        return stageTrain.examples.map(\.fedCount).max() ?? 0
    }

    // MARK: - Evaluation and the curriculum

    /// The test examples evaluated now: with a curriculum, those of at most the current stage's hops.
    private var currentTest: Split {
        guard let stage = state.stage else { return test }
        return test.selecting(hopsAtMost: stage)
    }

    /// Evaluates, logs, and moves the curriculum on when the stage's test accuracy passes the
    /// threshold (and the run is past "force grok"). Returns whether the stage changed.
    private func evaluateAndAdvance(lr: Double, elapsed: Double) throws -> Bool {
        let results = try evaluate()
        var accuracy: [String: Double] = [:], count: [String: Int] = [:], iterations: [String: Double] = [:]
        for result in results {
            accuracy[result.type] = result.accuracy
            count[result.type] = result.count
            iterations[result.type] = result.meanIterations
        }
        state.latestAccuracy = accuracy
        var perplexity: [String: Double]?
        if config.targets == .sequence, let fixed = evaluator as? FixedRecurrenceEvaluator {
            perplexity = try perplexityByType(model, split: currentTest, recurrence: fixed.recurrence, batchSize: config.evaluationBatchSize,
                                              padding: config.padding, targets: config.targets, predictionPosition: config.predictionPosition)
        }
        try append(MetricsRecord(kind: "eval", step: state.step, epoch: state.epoch, stage: state.stage, loss: nil, lr: lr, r: nil,
                                 accuracy: accuracy, count: count, iterations: iterations, perplexity: perplexity, split: config.testFile,
                                 evaluator: evaluator.name,
                                 caveat: evaluator.caveat, injection: model.config.inputInjection, elapsed: elapsed))
        guard let stage = state.stage, let curriculum = config.curriculum else { return false }
        let key = curriculum.testType(stage: stage)
        guard let passed = accuracy[key], passed > curriculum.threshold, state.epoch >= curriculum.forceGrokEpochs else { return false }
        state.elapsedSeconds = elapsed
        try checkpoint(named: "stage-\(stage)")
        state.stage = stage + 1
        state.stageStep = 0
        if stage + 1 <= curriculum.lastHop {
            (stageTrain, batcher) = try Self.trainingSet(train, stage: stage + 1, config: config)
            // Each stage starts a fresh AdamW, as the reference does.
            optimizer = AdamW(parameters: model.parameters, learningRate: config.learningRate, beta1: config.beta1,
                              beta2: config.beta2, eps: config.epsilon, weightDecay: config.weightDecay)
        }
        return true
    }

    /// Accuracy per test type of the examples evaluated now.
    public func evaluate() throws -> [TypeAccuracy] {
        try evaluateByType(model, split: currentTest, evaluator: evaluator, batchSize: config.evaluationBatchSize,
                           padding: config.padding, truncate: config.truncate, targets: config.targets,
                           predictionPosition: config.predictionPosition)
    }

    /// The mark printed with this run's evaluation numbers (`MetricsRecord.mark`); nil when there is none.
    public var evaluationMark: String? { MetricsRecord.mark(caveat: evaluator.caveat, injection: model.config.inputInjection) }

    /// The training examples of a stage: every example of at most `stage` hops, counted from the
    /// tokens (the reference's own train.json mislabels its types).
    static func trainingSet(_ train: Split, stage: Int?, config: TrainingConfig) throws -> (Split, Batcher) {
        let split = stage.map { train.selecting(hopsAtMost: $0) } ?? train
        if split.isEmpty {
            throw RecurrentDepthError.invalidTrainingConfig("no training example has at most \(stage ?? 0) hops")
        }
        return (split, try Batcher(examples: split.examples, batchSize: config.batchSize, padding: config.padding, truncate: config.truncate,
                                   targets: config.targets, splitName: train.name))
    }

    /// Fails before training when the data cannot go through this model.
    private func checkAgainstModel(dataset: Dataset) throws {
        if dataset.vocabulary.count > model.config.vocabSize {
            throw RecurrentDepthError.invalidTrainingConfig("the dataset's vocabulary has \(dataset.vocabulary.count) tokens, the model's vocab_size is \(model.config.vocabSize)")
        }
        if case let .fixed(n) = config.padding, model.config.positionalEmbedding != .none, n > model.config.positions {
            throw RecurrentDepthError.invalidTrainingConfig("max_len \(n) exceeds the model's n_positions \(model.config.positions)")
        }
        if config.predictionPosition == .lastToken, let item = (train.examples + test.examples).first(where: { $0.answer.count > 1 }) {
            throw RecurrentDepthError.invalidTrainingConfig("answers of several tokens (\(item.answer.count) in an item of type "
                + "\(item.type ?? "(none)")) are read at their input's last tokens: use pred_pos inp_len, not last_token")
        }
        if let curriculum = config.curriculum {
            let types = Set(test.types)
            let missing = (curriculum.firstHop...curriculum.lastHop).map(curriculum.testType).filter { !types.contains($0) }
            if let first = missing.first {
                throw RecurrentDepthError.invalidTrainingConfig("the curriculum needs test type '\(first)' in \(config.testFile).json, which has \(test.types.joined(separator: ", "))")
            }
        }
    }

    // MARK: - Logs and checkpoints

    private func logTraining(lr: Double, elapsed: Double) throws {
        guard let window = state.lossWindow, window.count > 0 else { return }
        let count = Double(window.count)
        try append(MetricsRecord(kind: "train", step: state.step, epoch: state.epoch, stage: state.stage,
                                 loss: window.loss / count, lr: lr, r: window.r / count,
                                 regularizer: config.loopingRegularizer == nil ? nil : window.regularizer / count,
                                 accuracy: nil, count: nil, iterations: nil, evaluator: nil, elapsed: elapsed))
        state.lossWindow = LossWindow()
    }

    private var metricsURL: URL { runFolder.appendingPathComponent(Self.metricsFile) }

    /// Whether this process writes the run's files: rank 0 of a group, or a run of its own.
    private var writesFiles: Bool { group?.isPrimary ?? true }

    private func append(_ record: MetricsRecord) throws {
        guard writesFiles else { return }
        onRecord?(record)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var line = try encoder.encode(record)
        line.append(UInt8(ascii: "\n"))
        do {
            try FileManager.default.createDirectory(at: runFolder, withIntermediateDirectories: true)
            if let handle = FileHandle(forWritingAtPath: metricsURL.path) {
                defer { try? handle.close() }
                try handle.seekToEnd()
                try handle.write(contentsOf: line)
            } else {
                try DurableWrite.write(line, to: metricsURL)
            }
        } catch let error as RecurrentDepthError { throw error } catch {
            throw RecurrentDepthError.writeFailed(metricsURL.path, reason: error.localizedDescription)
        }
        do {
            if tensorBoard == nil { tensorBoard = try TensorBoardEventFile(in: runFolder, firstStep: record.step) }
            try tensorBoard?.append(record)
        } catch let error as RecurrentDepthError { throw error } catch {
            throw RecurrentDepthError.writeFailed(runFolder.path, reason: "TensorBoard event file: \(error.localizedDescription)")
        }
    }

    /// Drops log records written after the checkpoint a run resumes from (they will be redone).
    private func trimMetricsLog(after step: Int) throws {
        guard writesFiles else { return }
        guard let data = FileManager.default.contents(atPath: metricsURL.path) else { return }
        let decoder = JSONDecoder()
        let kept = data.split(separator: UInt8(ascii: "\n")).filter { line in
            guard let record = try? decoder.decode(MetricsRecord.self, from: Data(line)) else { return false }
            return record.step <= step
        }
        var out = Data()
        for line in kept { out.append(contentsOf: line); out.append(UInt8(ascii: "\n")) }
        try DurableWrite.write(out, to: metricsURL)
    }

    /// Writes `checkpoints/latest` and, when named, `checkpoints/NAME` too; refuses weights that
    /// are not all finite (a divergence the loss has not shown yet), so that the last checkpoint
    /// stays the last good one.
    private func checkpoint(named name: String?) throws {
        let folder = runFolder.appendingPathComponent("checkpoints")
        for (_, parameter) in model.namedParameters {
            let values = UnsafeBufferPointer(start: parameter.storage.pointer, count: parameter.storage.count)
            if !values.allSatisfy({ $0.isFinite }) { throw RecurrentDepthError.nonFiniteWeights(step: state.step, lastCheckpoint: lastCheckpoint) }
        }
        guard writesFiles else {
            lastCheckpoint = folder.appendingPathComponent(name ?? "latest").path
            lastCheckpointDate = Date()
            return
        }
        var files: [String: Data] = [:]
        files[Self.stateFile] = try Checkpoint.encodeJSON(state)
        files[Self.configFile] = try Checkpoint.encodeJSON(config)
        var moments = SafeTensorsArchive()
        for (i, (key, _)) in model.namedParameters.enumerated() {
            moments.set("exp_avg.\(key)", optimizer.firstMoments[i])
            moments.set("exp_avg_sq.\(key)", optimizer.secondMoments[i])
        }
        moments["steps"] = SafeTensorsEntry(int64s: optimizer.steps.map(Int64.init), shape: [optimizer.steps.count])
        files[Self.optimizerFile] = Data(moments.serialized())
        for target in [name, "latest"].compactMap({ $0 }) {
            try Checkpoint.write(model, to: folder.appendingPathComponent(target), extraFiles: files)
        }
        lastCheckpoint = folder.appendingPathComponent(name ?? "latest").path
        lastCheckpointDate = Date()
    }

    private func restoreOptimizer(from file: URL) throws {
        guard FileManager.default.fileExists(atPath: file.path) else { throw RecurrentDepthError.missingFile(file.path) }
        do {
            let archive = try SafeTensorsArchive(contentsOf: file)
            var m: [Tensor] = [], v: [Tensor] = []
            for (key, p) in model.namedParameters {
                let first = try archive.tensor("exp_avg.\(key)"), second = try archive.tensor("exp_avg_sq.\(key)")
                guard first.shape == p.shape, second.shape == p.shape else {
                    throw RecurrentDepthError.wrongShape("exp_avg.\(key)", file: file.path, expected: p.shape, found: first.shape)
                }
                m.append(first); v.append(second)
            }
            let steps = try archive.entry("steps").integers()
            guard steps.count == m.count else {
                throw RecurrentDepthError.configMismatch("optimizer steps for \(steps.count) parameters, the model has \(m.count)", file: file.path)
            }
            optimizer.restore(firstMoments: m, secondMoments: v, steps: steps)
        } catch let error as RecurrentDepthError { throw error } catch {
            throw RecurrentDepthError.unreadableFile(file.path, reason: "\(error)")
        }
    }
}
