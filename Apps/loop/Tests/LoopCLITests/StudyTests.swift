import XCTest
@testable import LoopCLI

/// The statistics and goal judgements of `loop reproduce`, on results whose answers are known.
final class StudyTests: XCTestCase {
    func testStatisticsOfNoSeedsAreEmptyNotACrash() {
        XCTAssertEqual(MeanStd.of([]).n, 0)
        XCTAssertEqual(MeanStd.of([90, 95, 100]).formatted(), "95.0 ± 5.0")
        let arm = ArmResults(name: "a", label: "a", seeds: [])
        XCTAssertEqual(arm.accuracy("2hop_test", r: 1).n, 0)
        XCTAssertNil(arm.bestRecurrence("2hop_test"))
    }

    /// One seed's sweep from rows of accuracies for (2-hop, 3-hop) at r = 1, 2, ...
    func seed(_ id: UInt64, _ rows: [(Double, Double)]) -> SeedRun {
        SeedRun(seed: id, training: "", steps: 0, trainingMinutes: 0,
                   sweep: rows.enumerated().map { RecurrenceAccuracy(r: $0.offset + 1, accuracy: ["2hop_test": $0.element.0, "3hop_test": $0.element.1]) },
                   halting: nil)
    }

    func results(_ seeds: [SeedRun]) -> StudyResults {
        StudyResults(study: "composition", preset: "test", seeds: seeds.map(\.seed),
                     arms: [ArmResults(name: "looped", label: "looped", seeds: seeds)], types: ["2hop_test", "3hop_test"])
    }

    func testCompositionGoalsMetByADiagonalWithOverthinking() {
        // 2-hop reaches its peak at r 2, 3-hop at r 3, both fall by r 5.
        let curve = [(5.0, 2.0), (99.0, 40.0), (98.0, 95.0), (97.0, 93.0), (80.0, 70.0)]
        let goals = Study.compositionGoals(results([seed(1, curve), seed(2, curve)]))
        XCTAssertEqual(goals.map(\.met), [true, true, true, true], "\(goals)")
        XCTAssertEqual(goals[2].measured, "2-hop from r 2, 3-hop from r 3")
    }

    func testCompositionGoalsFailWhenOneSeedFailsOrNothingFalls() {
        let good = [(5.0, 2.0), (99.0, 40.0), (98.0, 95.0), (98.0, 95.0), (98.0, 95.0)]
        let weak = [(5.0, 2.0), (90.0, 40.0), (92.0, 85.0), (92.0, 85.0), (92.0, 85.0)]
        let goals = Study.compositionGoals(results([seed(1, good), seed(2, weak)]))
        XCTAssertEqual(goals.map(\.met), [false, false, true, false], "\(goals)")
        XCTAssertEqual(goals[0].measured, "per seed: 99.0 (r 2), 92.0 (r 3)")
    }

    func testBestRecurrenceIsTheHighestMeanAndTheSmallestOnTies() {
        let arm = ArmResults(name: "a", label: "a", seeds: [seed(1, [(10, 0), (50, 0), (50, 0)]), seed(2, [(10, 0), (70, 0), (90, 0)])])
        XCTAssertEqual(arm.bestRecurrence("2hop_test"), 3)
        XCTAssertEqual(arm.accuracy("2hop_test", r: 3).mean, 70)
        let tie = ArmResults(name: "a", label: "a", seeds: [seed(1, [(10, 0), (60, 0), (60, 0)])])
        XCTAssertEqual(tie.bestRecurrence("2hop_test"), 2)
    }
}
