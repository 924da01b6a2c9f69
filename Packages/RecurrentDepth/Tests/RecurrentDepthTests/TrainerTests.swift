import Foundation
import XCTest
import KnowledgeGraph
import TensorKit
@testable import RecurrentDepth
import FixtureSupport

/// Answers every example correctly (it looks the input up in the dataset), so the curriculum's
/// mechanics can be tested without waiting for a model to generalize.
struct OracleEvaluator: Evaluator {
    let answers: [[Int32]: Int32]
    init(_ splits: [Split]) {
        var table: [[Int32]: Int32] = [:]
        for split in splits { for e in split.examples { table[e.inputIDs] = e.label } }
        answers = table
    }
    func answer(_ input: ModelInput, model: RecurrentGPT2) throws -> BatchAnswers {
        let (b, t) = (input.batchSize, input.length)
        var out: [Int32] = []
        for i in 0..<b {
            let row = Array(input.ids.ids[(i * t)..<((i + 1) * t)])
            let length = Int(input.mask.scalars[(i * t)..<((i + 1) * t)].reduce(0, +))
            out.append(answers[Array(row.prefix(length))] ?? -1)
        }
        return BatchAnswers(answers: out, iterations: Array(repeating: 1, count: b))
    }
    var name: String { "oracle" }
}

/// Records, per example (its input tokens), the position its answer is read at and the token there.
final class PositionRecorder: Evaluator {
    var read: [[Int32]: (position: Int, token: Int32)] = [:]
    func answer(_ input: ModelInput, model: RecurrentGPT2) throws -> BatchAnswers {
        let t = input.length
        for i in 0..<input.batchSize {
            let row = Array(input.ids.ids[(i * t)..<((i + 1) * t)])
            let length = Int(input.mask.scalars[(i * t)..<((i + 1) * t)].reduce(0, +))
            read[Array(row.prefix(length))] = (input.positions[i], row[input.positions[i]])
        }
        return BatchAnswers(answers: Array(repeating: -1, count: input.batchSize), iterations: Array(repeating: 1, count: input.batchSize))
    }
    var name: String { "positions" }
}

final class TrainerTests: XCTestCase {
    override func tearDown() { Interruption.reset() }

    func dataset(entities: Int = 12, relations: Int = 3, hops: ClosedRange<Int> = 2...2, train: Int = 60, test: Int = 10,
                 seed: UInt64 = 5) throws -> Dataset {
        let folder = temporaryFolder().appendingPathComponent("data")
        let parameters = DepthExtrapolationGenerator.Parameters(entities: entities, relations: relations, minHops: hops.lowerBound,
                                                                maxHops: hops.upperBound, trainChainsPerHop: train, testChainsPerHop: test,
                                                                atomicSampleInTest: entities * relations, trainSampleInTest: train,
                                                                smallTestPerType: 2, seed: seed)
        _ = try DepthExtrapolationGenerator(parameters: parameters).write(to: folder)
        return try Dataset.load(from: folder)
    }

    func model(vocab: Int, d: Int = 32, positions: Int = 8, seed: UInt64 = 3, dropout: Float = 0) throws -> RecurrentGPT2 {
        var generator = RandomGenerator(seed: seed)
        return try RecurrentGPT2(config: ModelConfig(vocabSize: vocab, embeddingSize: d, layers: 2, heads: 4, positions: positions,
                                                     recurrence: 2, embeddingDropout: dropout, attentionDropout: dropout,
                                                     residualDropout: dropout), generator: &generator)
    }

    /// A tiny permutation graph is memorized: accuracy on its training facts and chains rises
    /// from chance to ≥ 95% within a bounded number of steps.
    func testSmallRunLearnsItsTrainingSet() throws {
        let data = try dataset()
        let model = try model(vocab: data.vocabulary.count, d: 64)
        var config = TrainingConfig()
        config.learningRate = 3e-3
        config.warmupSteps = 20
        config.weightDecay = 0.01
        config.batchSize = 32
        config.padding = .longest
        config.predictionPosition = .inputLength
        config.maxSteps = 1500
        config.evaluateEveryEpochs = 10
        config.seed = 1
        let run = temporaryFolder()
        let trainer = try Trainer(model: model, dataset: data, config: config, schedule: FixedRecurrence(2), runFolder: run)
        let before = try trainer.evaluate()
        let chance = 1.0 / 12
        XCTAssertLessThan(before.first { $0.type == "2hop_train" }!.accuracy, 4 * chance)
        var reached: Int?
        trainer.onRecord = { record in
            if reached == nil, let a = record.accuracy, a["atomic_facts"]! >= 0.95, a["2hop_train"]! >= 0.95 { reached = record.step }
            if reached != nil { Interruption.request() }
        }
        _ = try trainer.run()
        XCTAssertNotNil(reached, "training accuracy never reached 95% in \(config.maxSteps!) steps: \(trainer.state.latestAccuracy)")
    }

    /// Answers of several tokens train end to end: sums of two one-digit numbers (two answer
    /// digits, teacher-forced) are memorized, exact match, within a bounded number of steps; rows
    /// hold the answer but its last digit; a language-modelling run logs perplexity.
    func testAnswersOfSeveralTokensAreLearned() throws {
        let folder = temporaryFolder().appendingPathComponent("data")
        _ = try AdditionGenerator(parameters: .init(numbers: 2, digits: 1, trainSize: 60, testSize: 20, trainSampleInTest: 60,
                                                    smallTestPerType: 2, seed: 3)).write(to: folder)
        let data = try Dataset.load(from: folder)
        var config = TrainingConfig()
        (config.learningRate, config.warmupSteps, config.weightDecay, config.batchSize) = (3e-3, 20, 0.01, 30)
        (config.padding, config.predictionPosition, config.maxSteps, config.evaluateEveryEpochs, config.seed) = (.longest, .inputLength, 1500, 10, 1)
        let trainer = try Trainer(model: try model(vocab: data.vocabulary.count, d: 64), dataset: data, config: config,
                                  schedule: FixedRecurrence(2), runFolder: temporaryFolder())
        XCTAssertEqual(trainer.trainingSequenceLength, 5, "`a + b =` and the sum's first digit")
        var reached: Int?
        trainer.onRecord = { record in
            if reached == nil, let a = record.accuracy?["addition_n2_d1_train"], a >= 0.95 { reached = record.step; Interruption.request() }
        }
        _ = try trainer.run()
        XCTAssertNotNil(reached, "training sums never reached 95% exact match: \(trainer.state.latestAccuracy)")

        Interruption.reset()
        config.targets = .sequence
        config.maxSteps = 20
        let lm = try Trainer(model: try model(vocab: data.vocabulary.count), dataset: data, config: config,
                             schedule: FixedRecurrence(2), runFolder: temporaryFolder())
        var perplexity: [String: Double]?
        lm.onRecord = { if let p = $0.perplexity { perplexity = p } }
        _ = try lm.run()
        let measured = try XCTUnwrap(perplexity?["addition_n2_d1_test"])
        XCTAssertTrue(measured > 1 && measured < Double(data.vocabulary.count) * 4, "\(measured)")
    }

    /// Stopping and resuming gives the same losses, step for step, as the uninterrupted run —
    /// with dropout, a dynamic recurrence, random position shifts and a stop in the middle of an epoch.
    func testResumeContinuesExactly() throws {
        let data = try dataset(train: 50)
        var config = TrainingConfig()
        config.learningRate = 1e-3
        config.warmupSteps = 5
        config.batchSize = 16
        config.padding = .fixed(6)
        config.clipNorm = 1
        config.labelSmoothing = 0.1
        config.seed = 9
        config.logEverySteps = 3
        config.positionShift = 2
        let schedule = DynamicRecurrence(mean: 2, minimum: 1, maximum: 4)
        // A dynamic schedule has no default evaluator here (the reference's is Halting's).
        let evaluator = FixedRecurrenceEvaluator(recurrence: 4)
        func losses(_ trainer: Trainer) -> () -> [Float] {
            var seen: [Float] = []
            trainer.onProgress = { seen.append($0.loss) }
            return { seen }
        }
        config.maxSteps = 30
        let whole = try Trainer(model: try model(vocab: data.vocabulary.count, dropout: 0.1), dataset: data, config: config,
                                schedule: schedule, evaluator: evaluator, runFolder: temporaryFolder())
        let wholeLosses = losses(whole)
        XCTAssertEqual(try whole.run(), .limitReached("max steps (30)"))

        let run = temporaryFolder()
        config.maxSteps = 13
        let first = try Trainer(model: try model(vocab: data.vocabulary.count, dropout: 0.1), dataset: data, config: config,
                                schedule: schedule, evaluator: evaluator, runFolder: run)
        let firstLosses = losses(first)
        _ = try first.run()
        config.maxSteps = 30
        let resumed = try Trainer(resumingFrom: run.appendingPathComponent("checkpoints/latest"), dataset: data, config: config,
                                  schedule: schedule, evaluator: evaluator, runFolder: run)
        XCTAssertEqual(resumed.state.step, 13)
        let resumedLosses = losses(resumed)
        _ = try resumed.run()
        XCTAssertEqual(firstLosses() + resumedLosses(), wholeLosses())
        XCTAssertEqual(resumed.model.tokenEmbedding.scalars, whole.model.tokenEmbedding.scalars)
        // The log has each step's record once.
        let steps = try metrics(run).filter { $0.kind == "train" }.map(\.step)
        XCTAssertEqual(steps, Array(stride(from: 3, through: 30, by: 3)))
    }

    /// With position shifts, examples of 3 tokens padded to 6 also sit at columns 3 and 4, whose
    /// position rows therefore learn; without, nothing reads those rows and they keep their
    /// initial values (no weight decay). Rows past the padded length never change.
    func testPositionShiftTrainsEveryPositionBeforeTheAnswerColumn() throws {
        let data = try dataset(hops: 2...2)
        var config = TrainingConfig()
        config.learningRate = 1e-3
        config.warmupSteps = 0
        config.weightDecay = 0
        config.batchSize = 16
        config.padding = .fixed(6)
        config.maxSteps = 10
        func trainedPositionRows(shift: Int?) throws -> (before: [[Float]], after: [[Float]]) {
            config.positionShift = shift
            let model = try model(vocab: data.vocabulary.count)
            let rows = { (0..<8).map { Array(model.positionEmbedding!.scalars[$0 * 32..<($0 + 1) * 32]) } }
            let before = rows()
            _ = try Trainer(model: model, dataset: data, config: config, schedule: FixedRecurrence(2), runFolder: temporaryFolder()).run()
            return (before, rows())
        }
        let plain = try trainedPositionRows(shift: nil), shifted = try trainedPositionRows(shift: 4)
        for column in 0..<8 {
            let plainMoved = plain.before[column] != plain.after[column], shiftedMoved = shifted.before[column] != shifted.after[column]
            XCTAssertEqual(plainMoved, column < 3 || column == 5, "column \(column) without shift")
            XCTAssertEqual(shiftedMoved, column < 6, "column \(column) with shift")
        }
    }

    func metrics(_ run: URL) throws -> [MetricsRecord] {
        let data = try Data(contentsOf: run.appendingPathComponent("metrics.jsonl"))
        return try data.split(separator: UInt8(ascii: "\n")).map { try JSONDecoder().decode(MetricsRecord.self, from: Data($0)) }
    }

    /// Stage k ends when its k-hop test accuracy passes the threshold — not before the run's
    /// epoch reaches "force grok" — with a checkpoint, and stage k + 1 trains on ≤ k + 1 hops,
    /// with a fresh AdamW and the learning-rate schedule started again from its warmup.
    func testCurriculumAdvancesOnThreshold() throws {
        let data = try dataset(hops: 2...4, train: 20, test: 5)
        var config = TrainingConfig.extrapolation
        config.padding = .fixed(6)
        config.batchSize = 16
        config.curriculum = CurriculumConfig(firstHop: 2, lastHop: 4, threshold: 0.95, forceGrokEpochs: 3, learningRateDecay: 0.5, minimumLearningRate: 3e-5)
        config.maxEpochs = 50
        let run = temporaryFolder()
        let trainer = try Trainer(model: try model(vocab: data.vocabulary.count), dataset: data, config: config,
                                  schedule: FixedRecurrence(1), evaluator: OracleEvaluator([try data.split("test")]), runFolder: run)
        var maxHopsPerStage: [Int: Int] = [:], rates: [Int: [Double]] = [:]
        trainer.onProgress = { p in
            maxHopsPerStage[p.stage!] = max(maxHopsPerStage[p.stage!] ?? 0, p.batchesPerEpoch)
            rates[p.stage!, default: []].append(p.learningRate)
        }
        XCTAssertEqual(try trainer.run(), .curriculumComplete)
        let evals = try metrics(run).filter { $0.kind == "eval" }
        // Stage 2 passes at epoch 3 (force grok), then each later stage after one epoch.
        XCTAssertEqual(evals.map(\.stage), [2, 2, 2, 3, 4])
        XCTAssertEqual(evals.map(\.epoch), [1, 2, 3, 4, 5])
        // Each stage evaluates the test types of at most its hops.
        XCTAssertNil(evals[0].accuracy!["3hop_test"])
        XCTAssertEqual(evals[3].accuracy!["3hop_test"], 1)
        XCTAssertNil(evals[3].accuracy!["4hop_test"])
        for stage in 2...4 {
            XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoints/stage-\(stage)/model.safetensors").path))
        }
        // Larger stages have more batches (more chains).
        XCTAssertLessThan(maxHopsPerStage[2]!, maxHopsPerStage[3]!)
        XCTAssertLessThan(maxHopsPerStage[3]!, maxHopsPerStage[4]!)
        // Each stage warms up again from 0, to its own peak: 1e-4 · 0.5^(k − 2), at least 3e-5.
        // Every stage is far shorter than the 2,000 warmup steps, so step i's rate is peak · i / 2000.
        for (stage, peak) in [(2, 1e-4), (3, 0.5e-4), (4, 3e-5)] {
            let seen = rates[stage] ?? []
            XCTAssertGreaterThan(seen.count, 1, "stage \(stage)")
            for (i, rate) in seen.enumerated() {
                XCTAssertEqual(rate, peak * Double(i) / 2000, accuracy: 1e-16, "stage \(stage), its step \(i)")
            }
        }
        // Each stage starts a fresh AdamW (zero moments, step count 0): the optimizer saved at the
        // end of a stage has counted that stage's steps only.
        for stage in 2...4 {
            let saved = try SafeTensorsArchive(contentsOf: run.appendingPathComponent("checkpoints/stage-\(stage)/optimizer.safetensors"))
            XCTAssertEqual(Set(try saved.entry("steps").integers()), [rates[stage]?.count ?? 0], "stage \(stage): AdamW's steps")
        }
    }

    func testCurriculumStaysWhileBelowThreshold() throws {
        let data = try dataset(hops: 2...3, train: 20, test: 5)
        var config = TrainingConfig.extrapolation
        config.padding = .fixed(6)
        config.curriculum = CurriculumConfig(firstHop: 2, lastHop: 3, threshold: 0.95)
        config.maxEpochs = 3
        let run = temporaryFolder()
        struct Wrong: Evaluator {
            func answer(_ input: ModelInput, model: RecurrentGPT2) throws -> BatchAnswers {
                BatchAnswers(answers: Array(repeating: -1, count: input.batchSize), iterations: Array(repeating: 1, count: input.batchSize))
            }
            var name: String { "wrong" }
        }
        let trainer = try Trainer(model: try model(vocab: data.vocabulary.count), dataset: data, config: config,
                                  schedule: FixedRecurrence(1), evaluator: Wrong(), runFolder: run)
        XCTAssertEqual(try trainer.run(), .limitReached("max epochs (3)"))
        XCTAssertEqual(try metrics(run).filter { $0.kind == "eval" }.map(\.stage), [2, 2, 2])
    }

    func testInterruptWritesACheckpointAndStops() throws {
        let data = try dataset()
        var config = TrainingConfig()
        config.padding = .longest
        config.batchSize = 8
        let run = temporaryFolder()
        let trainer = try Trainer(model: try model(vocab: data.vocabulary.count), dataset: data, config: config,
                                  schedule: FixedRecurrence(2), runFolder: run)
        trainer.onProgress = { if $0.step == 5 { Interruption.request() } }
        XCTAssertEqual(try trainer.run(), .interrupted)
        let state = try Checkpoint.decodeJSON(TrainerState.self, from: run.appendingPathComponent("checkpoints/latest/trainer_state.json"))
        XCTAssertEqual(state.step, 5)
        XCTAssertEqual(state.batchInEpoch, 5)
    }

    func testNonFiniteLossStopsAndKeepsTheLastGoodCheckpoint() throws {
        let data = try dataset()
        var config = TrainingConfig()
        config.padding = .longest
        config.batchSize = 32
        config.checkpointEveryEpochs = 1
        let run = temporaryFolder()
        let model = try model(vocab: data.vocabulary.count)
        let trainer = try Trainer(model: model, dataset: data, config: config, schedule: FixedRecurrence(2), runFolder: run)
        let perEpoch = try Batcher(split: try data.split("train"), batchSize: 32, padding: .longest).batchesPerEpoch
        trainer.onProgress = { if $0.step == perEpoch + 1 { model.tokenEmbedding.pointer[0] = .nan } }
        XCTAssertThrowsError(try trainer.run()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("step \(perEpoch + 1)") && text.contains("epoch-1"), text)
        }
        let saved = try Checkpoint.readModel(from: run.appendingPathComponent("checkpoints/latest"))
        XCTAssertTrue(saved.tokenEmbedding.scalars.allSatisfy(\.isFinite))
    }

    /// The per-stage rate is `base · γ^(k − 2)` from the reference's first hop, 2, whatever stage
    /// the run starts at: a curriculum that starts at 3 hops trains stage 3 at `base · γ`, not `base`.
    func testPerStageLearningRateCountsFromTheReferencesFirstHop() throws {
        let curriculum = CurriculumConfig(firstHop: 3, lastHop: 4, learningRateDecay: 0.5, minimumLearningRate: 1e-6)
        XCTAssertEqual(curriculum.learningRate(base: 1e-4, stage: 3), 0.5e-4)
        XCTAssertEqual(curriculum.learningRate(base: 1e-4, stage: 4), 0.25e-4)
        XCTAssertEqual(CurriculumConfig(learningRateDecay: 0.5).learningRate(base: 1e-4, stage: 2), 1e-4)
        // The trainer's rate in a run that starts at stage 3: warmup towards 1e-4 · 0.5.
        let data = try dataset(hops: 2...3, train: 20, test: 5)
        var config = TrainingConfig.extrapolation
        config.padding = .fixed(6)
        config.batchSize = 16
        config.curriculum = CurriculumConfig(firstHop: 3, lastHop: 3, learningRateDecay: 0.5)
        config.maxSteps = 4
        let trainer = try Trainer(model: try model(vocab: data.vocabulary.count), dataset: data, config: config,
                                  schedule: FixedRecurrence(1), runFolder: temporaryFolder())
        var rates: [Double] = []
        trainer.onProgress = { rates.append($0.learningRate) }
        _ = try trainer.run()
        XCTAssertEqual(rates.count, 4)
        for (i, rate) in rates.enumerated() { XCTAssertEqual(rate, 0.5e-4 * Double(i) / 2000, accuracy: 1e-16, "step \(i)") }
    }

    /// With `last_token` and padding to the longest (the systematicity task's settings), training
    /// reads a short example (an atomic fact, 2 tokens) in a batch with a 2-hop fact (3 tokens) at
    /// the batch's last position, a padding position; the trainer's evaluation, which batches each
    /// test type apart, reads the same example at that same position.
    func testEvaluationReadsAShortExampleWhereTrainingDoes() throws {
        let folder = temporaryFolder().appendingPathComponent("data")
        _ = try SystematicityGenerator(parameters: .init(entities: 30, relations: 8, outDegree: 4, phi: 2, testSizePerType: 20,
                                                         smallTestPerType: 2, seed: 4)).write(to: folder)
        let data = try Dataset.load(from: folder)
        var config = TaskPreset.systematicity.training
        config.batchSize = 16
        XCTAssertEqual(config.padding, .longest)
        XCTAssertEqual(config.predictionPosition, .lastToken)
        // Training: the trainer's batcher, in a shuffled epoch; every mixed batch's short examples.
        let (train, batcher) = try Trainer.trainingSet(try data.split("train"), stage: nil, config: config)
        var generator = SeededGenerator(seed: 1)
        var trained: [[Int32]: (position: Int, token: Int32)] = [:]
        for batch in batcher.batches(shuffledWith: &generator) where Set(batch.inputLengths).count > 1 {
            let input = ModelInput(batch, predictionPosition: config.predictionPosition)
            for row in 0..<batch.size where Int(batch.inputLengths[row]) < batch.length {
                let ids = train.examples[batch.exampleIndices[row]].inputIDs
                trained[ids] = (input.positions[row], batch.inputIDs[row * batch.length + input.positions[row]])
            }
        }
        // Evaluation: the trainer's, by type.
        let recorder = PositionRecorder()
        let trainer = try Trainer(model: try model(vocab: data.vocabulary.count), dataset: data, config: config,
                                  schedule: FixedRecurrence(1), evaluator: recorder, runFolder: temporaryFolder())
        _ = try trainer.evaluate()
        var compared = 0
        for (ids, training) in trained {
            guard let evaluated = recorder.read[ids] else { continue }
            XCTAssertEqual(evaluated.position, training.position, "\(ids): evaluated at \(evaluated.position), trained at \(training.position)")
            XCTAssertEqual(evaluated.token, 0, "\(ids): read at a padding position, as in training")
            XCTAssertEqual(training.position, 2)
            compared += 1
        }
        XCTAssertGreaterThan(compared, 10, "atomic facts both trained in mixed batches and evaluated")
    }

    /// Evaluation records carry the evaluator's caveat and whether the model ran with input
    /// injection, and the mark printed with them says both.
    func testEvaluationRecordsCarryTheCaveatAndInjection() throws {
        struct Marked: Evaluator {
            let inner = FixedRecurrenceEvaluator(recurrence: 2)
            func answer(_ input: ModelInput, model: RecurrentGPT2) throws -> BatchAnswers { try inner.answer(input, model: model) }
            var name: String { "marked" }
            var caveat: String? { "a halting rule, not a fixed r" }
        }
        let data = try dataset()
        var config = TrainingConfig()
        config.padding = .fixed(6)
        config.batchSize = 32
        config.maxEpochs = 1
        config.logEverySteps = 1
        func run(injection: Bool, evaluator: Evaluator) throws -> [MetricsRecord] {
            var generator = RandomGenerator(seed: 3)
            let model = try RecurrentGPT2(config: ModelConfig(vocabSize: data.vocabulary.count, embeddingSize: 16, layers: 1, heads: 2,
                                                              positions: 8, inputInjection: injection, recurrence: 2), generator: &generator)
            let folder = temporaryFolder()
            let trainer = try Trainer(model: model, dataset: data, config: config, schedule: FixedRecurrence(2), evaluator: evaluator, runFolder: folder)
            XCTAssertEqual(trainer.evaluationMark, MetricsRecord.mark(caveat: evaluator.caveat, injection: injection))
            _ = try trainer.run()
            return try metrics(folder)
        }
        let marked = try run(injection: true, evaluator: Marked())
        let eval = try XCTUnwrap(marked.first { $0.kind == "eval" })
        XCTAssertEqual(eval.caveat, "a halting rule, not a fixed r")
        XCTAssertEqual(eval.injection, true)
        XCTAssertEqual(eval.mark, "a halting rule, not a fixed r; input injection on, which the reference's evaluation skipped")
        for record in marked where record.kind == "train" { XCTAssertNil(record.caveat); XCTAssertNil(record.injection) }
        let plain = try XCTUnwrap(try run(injection: false, evaluator: FixedRecurrenceEvaluator(recurrence: 2)).first { $0.kind == "eval" })
        XCTAssertNil(plain.caveat)
        XCTAssertEqual(plain.injection, false)
        XCTAssertNil(plain.mark)
    }

    /// A fixed schedule is evaluated at its r by default; any other needs an evaluator, named in the error.
    func testTheDefaultEvaluatorIsTheReferencesOrAnError() throws {
        let data = try dataset()
        var config = TrainingConfig()
        config.padding = .fixed(6)
        let fixed = try Trainer(model: try model(vocab: data.vocabulary.count), dataset: data, config: config,
                                schedule: FixedRecurrence(3), runFolder: temporaryFolder())
        XCTAssertEqual(fixed.evaluator.name, "fixed(3)")
        XCTAssertThrowsError(try Trainer(model: try model(vocab: data.vocabulary.count), dataset: data, config: config,
                                         schedule: DynamicRecurrence(), runFolder: temporaryFolder())) { error in
            XCTAssertTrue("\(error)".contains("needs an evaluator") && "\(error)".contains("referenceTrainingEvaluator"), "\(error)")
        }
    }

    func testBadTrainingSetupsAreClearErrors() throws {
        let data = try dataset()
        func attempt(_ edit: (inout TrainingConfig) -> Void, vocab: Int? = nil, positions: Int = 8) -> String {
            var config = TrainingConfig()
            config.padding = .longest
            edit(&config)
            do {
                _ = try Trainer(model: try model(vocab: vocab ?? data.vocabulary.count, positions: positions), dataset: data,
                                config: config, schedule: FixedRecurrence(1), runFolder: temporaryFolder())
                return "no error"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(attempt({ $0.batchSize = 0 }).contains("batch size"))
        XCTAssertTrue(attempt({ $0.learningRate = -1 }).contains("learning rate"))
        XCTAssertTrue(attempt({ _ in }, vocab: 5).contains("vocab_size is 5"))
        XCTAssertTrue(attempt({ $0.padding = .fixed(10) }, positions: 8).contains("max_len 10"))
        let tooLong = try XCTUnwrap(try data.split("train").examples.firstIndex { $0.inputIDs.count > 2 })
        XCTAssertEqual(attempt({ $0.padding = .fixed(2) }),
                       "train: item \(tooLong) has 3 input tokens, more than max_len 2 (ask for truncation explicitly to keep the first 2)")
        XCTAssertTrue(attempt({ $0.curriculum = CurriculumConfig(firstHop: 2, lastHop: 5) }).contains("3hop_test"))
        XCTAssertTrue(attempt({ $0.testFile = "nonexistent" }).contains("nonexistent"))
        XCTAssertTrue(attempt({ $0.positionShift = 2; $0.predictionPosition = .inputLength }).contains("position shift needs pred_pos last_token"))
        XCTAssertTrue(attempt({ $0.positionShift = -1 }).contains("position shift must not be negative"))
    }
}
