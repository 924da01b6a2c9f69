import XCTest
import RecurrentDepth
@testable import LoopCLI

/// The looped-vs-deep study's arms, their costs and its goals, on settings and results whose
/// answers are known.
final class LoopedVsDeepTests: XCTestCase {
    let study = LoopedVsDeepStudy.standard

    func testPresetsAreFoundByNameAndAnUnknownOneIsAnError() throws {
        XCTAssertEqual(study.presetNames, ["cpu-small", "cpu-medium", "smoke"])
        XCTAssertEqual(try ReproducibleStudies.named("looped-vs-deep").presetNames, study.presetNames)
        XCTAssertThrowsError(try study.preset(named: "huge")) { error in
            XCTAssertEqual("\(error)", "study looped-vs-deep has no preset 'huge'; presets: cpu-small, cpu-medium, smoke")
        }
        XCTAssertThrowsError(try ReproducibleStudies.named("deep")) { error in
            XCTAssertTrue("\(error)".contains("studies: composition, extrapolation, systematicity, looped-vs-deep"), "\(error)")
        }
    }

    func testArmsAreThePapersShapes() throws {
        let preset = try study.preset(named: "cpu-small")
        XCTAssertEqual(preset.arms.map(\.name), ["looped", "deep", "shallow", "deep-lambda-1", "deep-lambda-10"])
        XCTAssertEqual(preset.arms.map(\.label), ["1⊗4 (looped)", "4⊗1 (deep)", "1⊗1 (shallow)", "4⊗1 + regularizer λ 1", "4⊗1 + regularizer λ 10"])
        let medium = try study.preset(named: "cpu-medium")
        XCTAssertEqual(medium.arms.map { "\($0.layers)×\($0.recurrence)" }, ["2×4", "8×1", "2×1", "8×1", "8×1"])
        let task = medium.tasks[0]
        XCTAssertEqual(medium.settings(medium.arms[0], task: task).schedule, "fixed:r=4")
        XCTAssertNil(medium.settings(medium.arms[1], task: task).loopingRegularizer)
        XCTAssertEqual(medium.settings(medium.arms[4], task: task).loopingRegularizer, "k=2,lambda=10")
        XCTAssertEqual(medium.settings(medium.arms[4], task: task).maxSteps, task.maxSteps)
    }

    /// Every arm of every preset resolves into a model, a schedule and a training config, as
    /// `loop train` would before its first step.
    func testEveryArmOfEveryPresetResolves() throws {
        for preset in study.allPresets {
            for task in preset.tasks {
                for arm in preset.arms {
                    XCTAssertNoThrow(try preset.settings(arm, task: task).check(), "\(preset.name) \(task.name) \(arm.name)")
                }
            }
            XCTAssertEqual(preset.tasks.map(\.name), ["addition", "induction", "assignment"], preset.name)
        }
    }

    /// k⊗L and kL⊗1 cost the same FLOPs at the same effective depth, kL⊗1 holds L times the block
    /// parameters; k⊗1 has k⊗L's parameters at 1/L of its FLOPs; the regularizer changes no cost.
    func testCostsOfTheArms() throws {
        for name in ["cpu-small", "cpu-medium"] {
            let preset = try study.preset(named: name)
            let k = preset.blocks, l = preset.loops
            var costs: [String: ModelCost] = [:]
            for arm in preset.arms {
                costs[arm.name] = try LoopedVsDeepArm.cost(of: preset.settings(arm, task: preset.tasks[0]), vocabularySize: 17, sequenceLength: 9)
            }
            let looped = try XCTUnwrap(costs["looped"]), deep = try XCTUnwrap(costs["deep"]), shallow = try XCTUnwrap(costs["shallow"])
            XCTAssertEqual(looped.effectiveDepth, k * l)
            XCTAssertEqual(deep.effectiveDepth, k * l)
            XCTAssertEqual(shallow.effectiveDepth, k)
            XCTAssertEqual(looped.forwardFLOPsPerToken, deep.forwardFLOPsPerToken)
            XCTAssertEqual(looped.trainingFLOPsPerToken, deep.trainingFLOPsPerToken)
            XCTAssertEqual(deep.blockParameters, l * looped.blockParameters)
            XCTAssertEqual(deep.parameters - looped.parameters, (l - 1) * looped.blockParameters)
            XCTAssertEqual(shallow.parameters, looped.parameters)
            // Per token: r · n_layer · (24·D² + 4·T·D) + 2·D·V, so the blocks' part of k⊗1 is 1/L of k⊗L's.
            let readout = 2 * 64 * 17
            XCTAssertEqual(looped.forwardFLOPsPerToken, k * l * (24 * 64 * 64 + 4 * 9 * 64) + readout)
            XCTAssertEqual((looped.forwardFLOPsPerToken - readout), l * (shallow.forwardFLOPsPerToken - readout))
            XCTAssertEqual(looped.parametersPerBlock, 12 * 64 * 64 + 13 * 64)
            for lambda in preset.lambdas {
                XCTAssertEqual(costs["deep-lambda-\(LoopedVsDeepArm.number(lambda))"], deep)
            }
        }
    }

    // MARK: - Goals

    func seedRun(_ seed: UInt64, _ accuracy: [String: Double]) -> LoopedVsDeepSeedRun {
        LoopedVsDeepSeedRun(seed: seed, training: "", steps: 100, trainingMinutes: 0.5, accuracy: accuracy,
                            cost: ArmCost(ModelCost(config: ModelConfig(vocabSize: 10), recurrence: 1, sequenceLength: 4)))
    }

    /// A task with two test types whose arms score the given per-seed means (both types alike).
    func task(_ name: String, _ scores: [String: [Double]]) -> LoopedVsDeepTaskResults {
        let types = ["\(name)_a_test", "\(name)_b_test"]
        let arms = ["looped", "deep", "shallow", "deep-lambda-1", "deep-lambda-10"].map { arm in
            LoopedVsDeepArmResults(name: arm, label: arm, seeds: (scores[arm] ?? []).enumerated().map { i, value in
                seedRun(UInt64(i + 1), Dictionary(uniqueKeysWithValues: types.map { ($0, value) }))
            })
        }
        return LoopedVsDeepTaskResults(task: name, data: "", types: types, trainTypes: [], arms: arms)
    }

    func results(_ tasks: [LoopedVsDeepTaskResults]) -> LoopedVsDeepResults {
        LoopedVsDeepResults(study: "looped-vs-deep", preset: "test", seeds: [1, 2], blocks: 1, loops: 4, tasks: tasks)
    }

    func testGoalsMetWhenLoopedMatchesDeepBeatsShallowAndTheRegularizerHelps() {
        let goals = LoopedVsDeepStudy.goals(results([
            task("addition", ["looped": [90, 94], "deep": [95, 97], "shallow": [10, 20], "deep-lambda-1": [96, 97], "deep-lambda-10": [96, 98]]),
        ]))
        XCTAssertEqual(goals.map(\.goal), ["addition: 1⊗4 within 5 points of 4⊗1 (or above it)", "addition: 1⊗4 ≥ 1⊗1 + 10 points",
                                           "addition: deep-lambda-1 ≥ 4⊗1", "addition: deep-lambda-10 ≥ 4⊗1"])
        XCTAssertEqual(goals.map(\.met), [true, true, true, true], "\(goals)")
        XCTAssertEqual(goals[0].measured, "1⊗4 92.0 ± 2.8%, 4⊗1 96.0 ± 1.4% (-4.0 points)")
    }

    func testGoalsNotMetJudgedOnMeansPerTask() {
        let goals = LoopedVsDeepStudy.goals(results([
            // Looped 6 points under deep, only 9 over shallow; λ 1 a point under deep, λ 10 level with it.
            task("induction", ["looped": [60, 62], "deep": [66, 68], "shallow": [50, 53], "deep-lambda-1": [65, 67], "deep-lambda-10": [66, 68]]),
            // Looped far above deep: still "within 5 points or above".
            task("assignment", ["looped": [80, 80], "deep": [40, 40], "shallow": [20, 20], "deep-lambda-1": [30, 30], "deep-lambda-10": [50, 50]]),
        ]))
        XCTAssertEqual(goals.map(\.met), [false, false, false, true, true, true, false, true], "\(goals)")
        XCTAssertEqual(goals[1].measured, "1⊗4 61.0 ± 1.4%, 1⊗1 51.5 ± 2.1% (+9.5 points)")
    }

    func testArmsWithoutSeedsMeetNoGoal() {
        let goals = LoopedVsDeepStudy.goals(results([task("addition", ["deep": [10], "shallow": [0]])]))
        XCTAssertEqual(goals.map(\.met), [false, false, false, false], "\(goals)")
    }

    /// A score averages each seed over the task's test types, then the seeds.
    func testScoreIsTheMeanOverTestTypesThenSeeds() {
        let arm = LoopedVsDeepArmResults(name: "looped", label: "looped",
                                         seeds: [seedRun(1, ["d1_test": 100, "d2_test": 50, "d1_train": 0]), seedRun(2, ["d1_test": 80, "d2_test": 30])])
        XCTAssertEqual(arm.score(["d1_test", "d2_test"]).mean, 65)
        XCTAssertEqual(arm.score(["d1_test", "d2_test"]).n, 2)
        XCTAssertEqual(arm.accuracy("d2_test").mean, 40)
        XCTAssertEqual(arm.score(["d3_test"]).n, 0)
    }

    // MARK: - Data

    /// A generation that fails part-way leaves no dataset behind; the next call generates it.
    func testDataIsGeneratedAtomically() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("looped-vs-deep-\(UInt64.random(in: 0 ... .max))")
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("data")
        struct Stopped: Error {}
        XCTAssertThrowsError(try StudyStep.generateOnce(into: folder, describing: "test") { partial in
            try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
            try Data("{}".utf8).write(to: partial.appendingPathComponent("train.json"))
            throw Stopped()
        })
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.path))
        let data = try XCTUnwrap(try study.preset(named: "smoke").tasks.first?.data)
        try StudyStep.generateOnce(into: folder, describing: "test") { try data.write(to: $0) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("dataset.json").path))
        // Already there: not generated again.
        try StudyStep.generateOnce(into: folder, describing: "test") { _ in XCTFail("generated twice") }
    }
}
