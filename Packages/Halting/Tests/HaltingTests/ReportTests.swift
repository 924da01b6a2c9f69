import Foundation
import XCTest
import KnowledgeGraph
import TensorKit
import RecurrentDepth
import Halting
import FixtureSupport

final class ReportTests: XCTestCase {
    func testIterationStatisticsAreNumpys() {
        let s = IterationStatistics([4, 1, 3, 2])
        XCTAssertEqual(s, IterationStatistics(count: 4, mean: 2.5, median: 2.5, std: 1.25.squareRoot(), min: 1, max: 4))
        XCTAssertEqual(IterationStatistics([7, 2, 9]).median, 7)
        XCTAssertEqual(IterationStatistics([5, 5]).std, 0)
    }

    /// The JSON has the reference's keys, accuracy in percent, and reads back.
    func testReportJSONUsesTheReferenceKeys() throws {
        let report = HaltingReport(results: [HaltingTypeResult(type: "2hop_test", correct: 3, statistics: IterationStatistics([2, 2, 3, 8]),
                                                               drivers: [.kl: 2, .entropy: 1, .none: 1])],
                                   config: ["max_iters": .int(8), "eps_kl": .float(0.5), "halting": .string("entropy-kl-length")])
        let json = try JSONSerialization.jsonObject(with: report.jsonData()) as! [String: Any]
        XCTAssertEqual(Set(json.keys), ["accuracy_per_type", "avg_iterations_per_type", "iterations_stats_per_type", "halt_drivers_per_type", "config"])
        XCTAssertEqual((json["accuracy_per_type"] as! [String: Double])["2hop_test"], 75)
        XCTAssertEqual((json["avg_iterations_per_type"] as! [String: Double])["2hop_test"], 3.75)
        let stats = (json["iterations_stats_per_type"] as! [String: [String: Double]])["2hop_test"]!
        XCTAssertEqual(Set(stats.keys), ["count", "mean", "median", "std", "min", "max"])
        XCTAssertEqual(stats["median"], 2.5)
        XCTAssertEqual((json["halt_drivers_per_type"] as! [String: [String: Int]])["2hop_test"], ["kl": 2, "entropy": 1, "none": 1])
        XCTAssertEqual((json["config"] as! [String: Any])["eps_kl"] as? Double, 0.5)
        XCTAssertEqual(try JSONDecoder().decode(HaltingReport.self, from: report.jsonData()), report)
        XCTAssertTrue(report.table().contains("75.00"))
    }

    /// Fixed evaluation through the report: RecurrentDepth's accuracies, in percent, with r iterations each.
    func testFixedReportMatchesRecurrentDepth() throws {
        let data = try smallDataset()
        let model = try smallModel(vocab: data.vocabulary.count)
        let fixed = FixedRecurrenceEvaluator(recurrence: 3)
        let report = try evaluateHalting(model, split: data.test, evaluator: fixed, batchSize: 32, padding: .longest, predictionPosition: .inputLength)
        let byType = try evaluateByType(model, split: data.test, evaluator: fixed, batchSize: 32, padding: .longest, predictionPosition: .inputLength)
        XCTAssertEqual(report.results.map(\.type), byType.map(\.type))
        for (r, t) in zip(report.results, byType) {
            XCTAssertEqual(r.accuracy, 100 * t.accuracy, accuracy: 1e-9)
            XCTAssertEqual(r.statistics, IterationStatistics(Array(repeating: 3, count: t.count)))
            XCTAssertNil(r.drivers)
        }
        XCTAssertEqual(report.config["evaluator"], .string("fixed(3)"))
        XCTAssertEqual(report.config["padding"], .string("longest"))
    }

    /// Reports and sweeps read each example where training reads it: with `last_token` and
    /// padding to the longest, a short type (atomic facts, 2 tokens) at the last position of the
    /// split's longest input (4 tokens), as in the mixed batches training reads it in, though
    /// each type is batched alone. Each example's label here is the model's answer there, so
    /// every type scores 100% exactly when it is read at that position.
    func testReportAndSweepReadShortExamplesWhereTrainingDoes() throws {
        let data = try smallDataset()
        let model = try smallModel(vocab: data.vocabulary.count)
        let fixed = FixedRecurrenceEvaluator(recurrence: 2)
        let longest = data.test.examples.map(\.inputIDs.count).max()!
        XCTAssertEqual(longest, 4)
        var relabelled = data.test
        for (i, e) in data.test.examples.enumerated() {
            let padding = longest - e.inputIDs.count
            let input = ModelInput(ids: IDTensor(shape: [1, longest], ids: e.inputIDs + Array(repeating: 0, count: padding)),
                                   mask: Tensor(shape: [1, longest], scalars: Array(repeating: 1, count: e.inputIDs.count) + Array(repeating: 0, count: padding)),
                                   positions: [longest - 1])
            relabelled.examples[i].label = try fixed.answer(input, model: model).answers[0]
        }
        let report = try evaluateHalting(model, split: relabelled, evaluator: fixed, batchSize: 16, padding: .longest, predictionPosition: .lastToken)
        let sweep = try RecurrenceSweep(recurrences: 1...2).evaluate(model, split: relabelled, batchSize: 16, padding: .longest,
                                                                     predictionPosition: .lastToken)
        XCTAssertEqual(report.results.map(\.type), ["atomic_facts", "2hop_test", "2hop_train", "3hop_test", "3hop_train"])
        for result in report.results { XCTAssertEqual(result.accuracy, 100, "report, \(result.type)") }
        for type in sweep.types { XCTAssertEqual(sweep.accuracyPerRecurrence[2]?[type], 100, "sweep, \(type)") }
    }
}

final class RecurrenceSweepTests: XCTestCase {
    /// One pass to the largest r reads every step: the same answers as separate fixed-r runs,
    /// example by example, and per test type the percentage of examples whose label the model
    /// answers at each r, against labels whose right answers are known in advance.
    func testSweepEqualsSeparateFixedEvaluations() throws {
        let data = try smallDataset()
        // The fixture model (no positions, input injection): its logits change from step to step.
        let model = try Checkpoint.readModel(from: fixturesRoot.appendingPathComponent("nope-inject-r4"))
        XCTAssertLessThanOrEqual(data.vocabulary.count, model.config.vocabSize)
        let sweep = try RecurrenceSweep(recurrences: 2...5)
        let input = randomInput(vocab: data.vocabulary.count, length: 6, count: 24, seed: 2)
        let perStep = try sweep.answers(input, model: model)
        XCTAssertEqual(perStep.count, 4)
        for r in 2...5 {
            XCTAssertEqual(perStep[r - 2], try FixedRecurrenceEvaluator(recurrence: r).answer(input, model: model).answers, "r \(r)")
        }
        XCTAssertNotEqual(perStep[0], perStep[3], "the steps should differ for the comparison to mean something")

        // Labels whose right answers are known in advance, from each example run alone: a third
        // keep the dataset's label, a third are the model's own answer at r = 3 (right at r = 3),
        // a third a token no answer can be (never right).
        func alone(_ e: Example, recurrence: Int) throws -> Int32 {
            let n = e.inputIDs.count
            let single = ModelInput(ids: IDTensor(shape: [1, n], ids: e.inputIDs), mask: Tensor.ones([1, n]), positions: [n - 1])
            return try FixedRecurrenceEvaluator(recurrence: recurrence).answer(single, model: model).answers[0]
        }
        var split = data.test
        var answersAlone: [Int: [Int32]] = [:]
        for r in 2...5 { answersAlone[r] = try split.examples.map { try alone($0, recurrence: r) } }
        let impossible = Int32(model.config.vocabSize)
        for i in split.examples.indices where i % 3 != 0 {
            split.examples[i].label = i % 3 == 1 ? answersAlone[3]![i] : impossible
        }
        let report = try sweep.evaluate(model, split: split, batchSize: 16, padding: .fixed(6), predictionPosition: .inputLength)
        XCTAssertEqual(report.recurrences, [2, 3, 4, 5])
        // Per type, in the split's order: the examples, and the percentage right at each r
        // counted here, example by example.
        var types: [String] = [], counts: [String: Int] = [:]
        for e in split.examples {
            if counts[e.type!] == nil { types.append(e.type!) }
            counts[e.type!, default: 0] += 1
        }
        XCTAssertGreaterThan(types.count, 2)
        XCTAssertEqual(report.types, types)
        XCTAssertEqual(report.counts, counts)
        for r in 2...5 {
            var right: [String: Int] = [:]
            for (i, e) in split.examples.enumerated() where answersAlone[r]![i] == e.label { right[e.type!, default: 0] += 1 }
            XCTAssertEqual(Set(report.accuracyPerRecurrence[r]!.keys), Set(types), "r \(r)")
            for type in types {
                XCTAssertEqual(report.accuracyPerRecurrence[r]![type]!, 100 * Double(right[type] ?? 0) / Double(counts[type]!),
                               accuracy: 1e-9, "r \(r) \(type)")
            }
        }
        XCTAssertNotEqual(report.accuracyPerRecurrence[2], report.accuracyPerRecurrence[3], "the steps should differ for the comparison to mean something")

        // By hand: x has 1 of its 4 examples right at r = 3, y both of its 2, z none of its 3 at any r.
        func example(_ k: Int, _ type: String, right: Bool) -> Example {
            Example(inputIDs: data.test.examples[k].inputIDs, label: right ? answersAlone[3]![k] : impossible, type: type)
        }
        let byHand = Split(name: "by hand", examples: [example(0, "x", right: true), example(1, "x", right: false), example(2, "y", right: true),
                                                      example(3, "z", right: false), example(4, "x", right: false), example(5, "y", right: true),
                                                      example(6, "z", right: false), example(7, "x", right: false), example(8, "z", right: false)])
        let handReport = try sweep.evaluate(model, split: byHand, batchSize: 2, padding: .longest, predictionPosition: .inputLength)
        XCTAssertEqual(handReport.types, ["x", "y", "z"])
        XCTAssertEqual(handReport.counts, ["x": 4, "y": 2, "z": 3])
        XCTAssertEqual(handReport.accuracyPerRecurrence[3], ["x": 25, "y": 100, "z": 0])
        for r in 2...5 { XCTAssertEqual(handReport.accuracyPerRecurrence[r]?["z"], 0, "r \(r)") }

        let json = try JSONSerialization.jsonObject(with: report.jsonData()) as! [String: Any]
        let perRecurrence = json["accuracy_per_recurrence"] as! [String: [String: Double]]
        XCTAssertEqual(Set(perRecurrence.keys), ["2", "3", "4", "5"])
        XCTAssertEqual(perRecurrence["3"], report.accuracyPerRecurrence[3])
        XCTAssertNotNil(json["config"])
        let decoded = try JSONDecoder().decode(SweepReport.self, from: report.jsonData())
        XCTAssertEqual(decoded.accuracyPerRecurrence, report.accuracyPerRecurrence)
        XCTAssertEqual(report.table().split(separator: "\n").count, 5)
        XCTAssertThrowsError(try RecurrenceSweep(recurrences: 0...3))
    }
}
