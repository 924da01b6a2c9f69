import XCTest
import KnowledgeGraph
import TensorKit
import RecurrentDepth
import Halting
import FixtureSupport

final class AdaptiveInferenceTests: XCTestCase {
    /// Dropping stopped examples from the working batch changes the compute, not the answers:
    /// answers, iterations, logits and drivers equal the whole-batch run (the reference's way).
    func testDroppingExamplesGivesTheSameAnswers() throws {
        let c = try FixtureCase("learned-r3")
        let model = try Checkpoint.readModel(from: c.folder)
        let input = randomInput(vocab: model.config.vocabSize, length: 8, count: 96, seed: 11, position: .lastToken)
        let policies: [any HaltingPolicy] = [EntropyKLHalting(epsKL: 0.3, threshold: 3.5, maxIterations: 9),
                                             LengthAwareEntropyKLHalting(epsKL: 0.3, h0: 3, h1: 4, maxIterations: 9),
                                             ConfidenceHalting(tau: 0.5, minIterations: 2, maxIterations: 9)]
        for policy in policies {
            let dropped = try AdaptiveInference(policy: policy, dropsHaltedExamples: true).run(input, model: model)
            let kept = try AdaptiveInference(policy: policy, dropsHaltedExamples: false).run(input, model: model)
            XCTAssertEqual(dropped.answers, kept.answers, policy.summary)
            XCTAssertEqual(dropped.iterations, kept.iterations, policy.summary)
            XCTAssertEqual(dropped.halted, kept.halted, policy.summary)
            XCTAssertEqual(dropped.drivers, kept.drivers, policy.summary)
            XCTAssertEqual(dropped.logits.shape, [96, model.config.vocabSize])
            let (a, b) = (dropped.logits.scalars, kept.logits.scalars)
            XCTAssertLessThanOrEqual(zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max()!, 1e-5, policy.summary)
            // The examples really stop at different steps, and dropping them saves work.
            XCTAssertGreaterThan(Set(dropped.iterations).count, 2, "\(policy.summary): \(dropped.iterations)")
            XCTAssertEqual(dropped.rowSteps, dropped.iterations.reduce(0, +), policy.summary)
            XCTAssertEqual(kept.rowSteps, 96 * kept.stepsRun, policy.summary)
            XCTAssertLessThan(dropped.rowSteps, kept.rowSteps, policy.summary)
        }
    }

    /// The answering logits are the monitored logits of the step the example stopped at.
    func testAnswersAreTheHaltingStepsLogits() throws {
        let c = try FixtureCase("nope-inject-r4")
        let model = try Checkpoint.readModel(from: c.folder)
        let input = randomInput(vocab: model.config.vocabSize, length: 8, count: 32, seed: 3)
        let result = try AdaptiveInference(policy: EntropyKLHalting(epsKL: 0.05, threshold: 3.3, maxIterations: 6)).run(input, model: model)
        for r in Set(result.iterations) {
            let logits = try withoutGrad { try model.monitoredLogits(input, recurrence: r) }
            let v = model.config.vocabSize
            for e in result.iterations.indices where result.iterations[e] == r {
                let expected = Array(logits.scalars[(e * v)..<((e + 1) * v)]), got = Array(result.logits.scalars[(e * v)..<((e + 1) * v)])
                XCTAssertLessThanOrEqual(zip(expected, got).map { abs($0 - $1) }.max()!, 1e-3 * max(1, expected.map(abs).max()!), "example \(e) at r \(r)")
                XCTAssertEqual(result.answers[e], logits.argmax(axis: -1).ids[e])
            }
        }
    }

    /// `fixed` through the adaptive path is RecurrentDepth's fixed evaluator; a policy that never
    /// halts answers as fixed recurrence at max_iters.
    func testFixedPolicyAndNeverHaltingMatchFixedRecurrence() throws {
        let c = try FixtureCase("sinusoidal-r2")
        let model = try Checkpoint.readModel(from: c.folder)
        let input = randomInput(vocab: model.config.vocabSize, length: 8, count: 40, seed: 5, position: .lastToken)
        let fixed = try FixedRecurrenceEvaluator(recurrence: 5).answer(input, model: model)
        let viaPolicy = try AdaptiveEvaluator(policy: FixedHalting(recurrence: 5)).answer(input, model: model)
        XCTAssertEqual(viaPolicy.answers, fixed.answers)
        XCTAssertEqual(viaPolicy.iterations, Array(repeating: 5, count: 40))
        let never = try AdaptiveInference(policy: NeverHalting(), maxIterations: 5).run(input, model: model)
        XCTAssertEqual(never.answers, fixed.answers)
        XCTAssertEqual(never.iterations, Array(repeating: 5, count: 40))
        XCTAssertEqual(never.halted, Array(repeating: false, count: 40))
        XCTAssertThrowsError(try AdaptiveInference(policy: FixedHalting(recurrence: 2), maxIterations: 0))
    }

    /// The trainer's evaluation hook: RecurrentDepth's `evaluateByType` runs an `AdaptiveEvaluator`
    /// and sees its iterations.
    func testAdaptiveEvaluatorPlugsIntoRecurrentDepth() throws {
        let data = try smallDataset()
        let model = try smallModel(vocab: data.vocabulary.count)
        let evaluator = try AdaptiveEvaluator.dynamicRecurrenceTraining(maxIterations: 8)
        XCTAssertEqual(evaluator.name, "adaptive(entropy-kl-length(eps_kl=0.5, h0=3.0, h1=12.0, min_iters=1, max_iters=8), max_iters 8)")
        let byType = try evaluateByType(model, split: data.test, evaluator: evaluator, batchSize: 16, padding: .fixed(6),
                                        predictionPosition: .lastToken)
        let report = try evaluateHalting(model, split: data.test, evaluator: evaluator, batchSize: 16, padding: .fixed(6),
                                         predictionPosition: .lastToken)
        XCTAssertEqual(byType.map(\.type), report.results.map(\.type))
        for (a, b) in zip(byType, report.results) {
            XCTAssertEqual(a.meanIterations, b.meanIterations, accuracy: 1e-12)
            XCTAssertEqual(100 * a.accuracy, b.accuracy, accuracy: 1e-9)
            XCTAssertEqual(b.drivers.map { $0.values.reduce(0, +) }, b.count)
        }
    }
}

/// The reference's evaluation during training: at the training r for a fixed schedule, its
/// length-aware halting rule at the schedule's maximum otherwise, whose numbers the trainer logs
/// and prints marked as that rule's, with input injection on when the model has it.
final class ReferenceTrainingEvaluatorTests: XCTestCase {
    func testTheReferencesChoiceAndItsMark() throws {
        let fixed = try XCTUnwrap(try referenceTrainingEvaluator(for: FixedRecurrence(3)) as? FixedRecurrenceEvaluator)
        XCTAssertEqual(fixed.recurrence, 3)
        XCTAssertNil(fixed.caveat)
        let dynamic = try XCTUnwrap(try referenceTrainingEvaluator(for: DynamicRecurrence(mean: 2, minimum: 1, maximum: 3)) as? AdaptiveEvaluator)
        XCTAssertEqual(dynamic.inference.maxIterations, 3)
        XCTAssertTrue(dynamic.inference.policy is LengthAwareEntropyKLHalting)
        XCTAssertEqual(dynamic.caveat, AdaptiveEvaluator.referenceTrainingRule)
        XCTAssertNil(try AdaptiveEvaluator(policy: LengthAwareEntropyKLHalting(maxIterations: 3)).caveat, "a policy the user picks is not marked")

        let data = try smallDataset()
        let folder = temporaryFolder()
        try data.write(to: folder.appendingPathComponent("data"))
        let dataset = try Dataset.load(from: folder.appendingPathComponent("data"))
        var config = TrainingConfig()
        config.padding = .fixed(6)
        config.batchSize = 64
        config.maxEpochs = 1
        let schedule = DynamicRecurrence(mean: 2, minimum: 1, maximum: 3)
        let trainer = try Trainer(model: try smallModel(vocab: dataset.vocabulary.count, injection: true), dataset: dataset, config: config,
                                  schedule: schedule, evaluator: try referenceTrainingEvaluator(for: schedule),
                                  runFolder: folder.appendingPathComponent("run"))
        _ = try trainer.run()
        let lines = try Data(contentsOf: folder.appendingPathComponent("run/metrics.jsonl")).split(separator: UInt8(ascii: "\n"))
        let eval = try XCTUnwrap(try lines.map { try JSONDecoder().decode(MetricsRecord.self, from: Data($0)) }.first { $0.kind == "eval" })
        XCTAssertEqual(eval.caveat, AdaptiveEvaluator.referenceTrainingRule)
        XCTAssertEqual(eval.injection, true)
        XCTAssertEqual(eval.mark, "the reference's training-time halting rule, not a fixed r; input injection on, which the reference's evaluation skipped")
        XCTAssertEqual(trainer.evaluationMark, eval.mark)
    }
}

/// A policy defined outside the package (as a third party would), which never stops anyone.
struct NeverHalting: HaltingPolicy {
    var name: String { "never" }
    var parameters: [(key: String, value: ReportValue)] { [] }
    var maxIterations: Int { 100 }
    func shouldHalt(_ distribution: MonitoredDistribution, state: inout Void) -> Bool { false }
}
