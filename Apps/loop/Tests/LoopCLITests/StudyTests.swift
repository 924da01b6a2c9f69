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

    /// One seed whose sweep gives each type the accuracies listed for r = 1, 2, ...
    func seed(_ id: UInt64, curves: [String: [Double]], halting: [String: HaltingOutcome]? = nil) -> SeedRun {
        let depth = curves.values.map(\.count).max() ?? 0
        return SeedRun(seed: id, training: "", steps: 0, trainingMinutes: 0,
                       sweep: (0..<depth).map { i in RecurrenceAccuracy(r: i + 1, accuracy: curves.compactMapValues { i < $0.count ? $0[i] : nil }) },
                       halting: halting)
    }

    let k = Study.extrapolationTrainedHops

    /// Trained on ≤ k hops: the looped model reaches k + 1 and k + 2 hops by looping more; the fixed-r model does not.
    func extrapolation(looped: [String: [Double]], fixed: [String: [Double]], halting: [String: HaltingOutcome]) -> StudyResults {
        let types = ["\(k)hop_test", "\(k + 1)hop_test", "\(k + 2)hop_test"]
        return StudyResults(study: "extrapolation", preset: "test", seeds: [1, 2],
                            arms: [ArmResults(name: "looped", label: "looped", seeds: [seed(1, curves: looped, halting: halting),
                                                                                        seed(2, curves: looped, halting: halting)]),
                                   ArmResults(name: "fixed-r", label: "fixed r 4", seeds: [seed(1, curves: fixed), seed(2, curves: fixed)])],
                            types: types)
    }

    var extrapolatingCurves: [String: [Double]] { [
        "\(k)hop_test": [2, 10, 40, 95, 96, 96, 95, 94],
        "\(k + 1)hop_test": [2, 5, 20, 60, 85, 88, 86, 80],
        "\(k + 2)hop_test": [2, 3, 10, 30, 50, 60, 62, 55],
    ] }
    var flatCurves: [String: [Double]] { ["\(k)hop_test": [2, 10, 40, 95, 90, 80, 70, 60],
                                          "\(k + 1)hop_test": [2, 4, 8, 20, 15, 10, 8, 5], "\(k + 2)hop_test": [2, 3, 4, 5, 4, 3, 2, 2]] }

    func testExtrapolationGoalsMetWhenLoopingMoreAnswersDeeperChains() {
        // Halting within 2 points of the best fixed r at ≤ 60% of its iterations for each hop type.
        let halting = ["\(k)hop_test": HaltingOutcome(accuracy: 95, meanIterations: 2.9),
                       "\(k + 1)hop_test": HaltingOutcome(accuracy: 87, meanIterations: 3.5),
                       "\(k + 2)hop_test": HaltingOutcome(accuracy: 61, meanIterations: 4.0)]
        let goals = Study.extrapolationGoals(extrapolation(looped: extrapolatingCurves, fixed: flatCurves, halting: halting))
        XCTAssertEqual(goals.map(\.met), [true, true, true, true], "\(goals)")
        XCTAssertEqual(goals[0].measured, "88.0 ± 0.0% at r 6")
        XCTAssertEqual(goals[1].measured, "62.0 ± 0.0% at r 7")
        XCTAssertEqual(goals[2].measured, "looped 88.0%; r = 1: 2.0%; fixed r 4: 20.0%")
    }

    func testExtrapolationGoalsFailWithoutExtrapolationOrWhenHaltingCostsAccuracyOrIterations() {
        let late = ["\(k)hop_test": HaltingOutcome(accuracy: 95, meanIterations: 2.9),
                    "\(k + 1)hop_test": HaltingOutcome(accuracy: 87, meanIterations: 5.0),   // 5 > 0.6 × 6 iterations
                    "\(k + 2)hop_test": HaltingOutcome(accuracy: 61, meanIterations: 4.0)]
        let goals = Study.extrapolationGoals(extrapolation(looped: extrapolatingCurves, fixed: flatCurves, halting: late))
        XCTAssertEqual(goals.map(\.met), [true, true, true, false], "\(goals)")
        let wrong = ["\(k)hop_test": HaltingOutcome(accuracy: 92, meanIterations: 2),     // 4 points below the best fixed r
                     "\(k + 1)hop_test": HaltingOutcome(accuracy: 87, meanIterations: 3),
                     "\(k + 2)hop_test": HaltingOutcome(accuracy: 61, meanIterations: 4)]
        XCTAssertFalse(Study.extrapolationGoals(extrapolation(looped: extrapolatingCurves, fixed: flatCurves, halting: wrong))[3].met)
        // A looped model no better than the fixed-r one at k + 1 fails every accuracy goal.
        let none = Study.extrapolationGoals(extrapolation(looped: flatCurves, fixed: flatCurves, halting: late))
        XCTAssertEqual(none.prefix(3).map(\.met), [false, false, false], "\(none)")
    }

    let grokked = [StageReached(stage: "memorization", step: 1_000, checkpoint: "epoch-20"),
                   StageReached(stage: "iid", step: 5_000, checkpoint: "epoch-100"),
                   StageReached(stage: "ood", step: 20_000, checkpoint: "epoch-400")]

    func systematicity(looped ood: Double, vanilla: (ood: Double, iid: Double), stages: [StageReached]? = nil) -> StudyResults {
        var loopedSeed = seed(1, curves: ["test_inferred_ood": [0, 10, 20, ood], "test_inferred_iid": [50, 90, 99, 99]])
        loopedSeed.stages = stages ?? grokked
        return StudyResults(study: "systematicity", preset: "test", seeds: [1],
                     arms: [ArmResults(name: "looped", label: "looped", seeds: [loopedSeed]),
                            ArmResults(name: "vanilla", label: "vanilla",
                                       seeds: [seed(1, curves: ["test_inferred_ood": [vanilla.ood, 0], "test_inferred_iid": [vanilla.iid, 0]])])],
                     types: ["test_inferred_iid", "test_inferred_ood"])
    }

    func testSystematicityGoalsJudgeTheLoopedModelsOODAndTheVanillaModelAtROne() {
        XCTAssertEqual(Study.systematicityGoals(systematicity(looped: 70, vanilla: (5, 90))).map(\.met), [true, true, true])
        XCTAssertEqual(Study.systematicityGoals(systematicity(looped: 70, vanilla: (5, 90)))[0].measured, "70.0% at r 4")
        XCTAssertEqual(Study.systematicityGoals(systematicity(looped: 50, vanilla: (5, 90))).map(\.met), [false, true, true])
        // A vanilla model that composes OOD, or that never generalizes in distribution, fails its goal.
        XCTAssertEqual(Study.systematicityGoals(systematicity(looped: 70, vanilla: (30, 90))).map(\.met), [true, true, false])
        XCTAssertEqual(Study.systematicityGoals(systematicity(looped: 70, vanilla: (5, 20))).map(\.met), [true, true, false])
    }

    func testTheThreeStagesMustAllBeReachedInOrderWithCheckpoints() {
        let goals = Study.systematicityGoals(systematicity(looped: 70, vanilla: (5, 90)))
        XCTAssertEqual(goals[1].measured, "seed 1: memorization at step 1000, iid at step 5000, ood at step 20000")
        let missing = Array(grokked.prefix(2))
        XCTAssertFalse(Study.systematicityGoals(systematicity(looped: 70, vanilla: (5, 90), stages: missing))[1].met)
        XCTAssertEqual(Study.systematicityGoals(systematicity(looped: 70, vanilla: (5, 90), stages: missing))[1].measured,
                       "seed 1: memorization at step 1000, iid at step 5000, ood not reached")
        let outOfOrder = [grokked[0], grokked[2], StageReached(stage: "iid", step: 30_000, checkpoint: "epoch-600")]
        XCTAssertFalse(Study.systematicityGoals(systematicity(looped: 70, vanilla: (5, 90), stages: outOfOrder))[1].met)
        let noCheckpoint = [grokked[0], grokked[1], StageReached(stage: "ood", step: 20_000, checkpoint: nil)]
        XCTAssertFalse(Study.systematicityGoals(systematicity(looped: 70, vanilla: (5, 90), stages: noCheckpoint))[1].met)
    }
}
