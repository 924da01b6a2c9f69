import XCTest
import KnowledgeGraph
import RecurrentDepth
@testable import LoopCLI

/// The memorization study's graphs, arms and goals, on settings and results whose answers are known.
final class MemorizationTests: XCTestCase {
    let study = MemorizationStudy.standard

    func testPresetsAndStudyAreFoundByName() throws {
        XCTAssertEqual(study.presetNames, ["cpu-small", "smoke"])
        XCTAssertEqual(try ReproducibleStudies.named("memorization").presetNames, study.presetNames)
        XCTAssertThrowsError(try study.preset(named: "cpu-medium")) { error in
            XCTAssertEqual("\(error)", "study memorization has no preset 'cpu-medium'; presets: cpu-small, smoke")
        }
    }

    /// The looped model against the deep model of its FLOPs and the shallow model of its
    /// parameters, no regularized arms, on graphs that grow, every model for the same steps.
    func testGraphsGrowAndEveryModelTrainsAlike() throws {
        let preset = try study.preset(named: "cpu-small")
        XCTAssertEqual(preset.arms.map(\.label), ["1⊗4 (looped)", "4⊗1 (deep)", "1⊗1 (shallow)"])
        let facts = preset.tasks.map(MemorizationReport.atomicFacts)
        XCTAssertEqual(facts, facts.sorted())
        XCTAssertEqual(Set(facts).count, facts.count)
        XCTAssertEqual(Set(preset.tasks.map(\.maxSteps)).count, 1)
        for task in preset.tasks {
            XCTAssertEqual(task.data.testTypes, ["test_inferred_iid"])
            XCTAssertEqual(task.data.trainSampleTypes, ["id_atomic", "ood_atomic", "train_inferred"])
            for arm in preset.arms {
                let settings = preset.settings(arm, task: task)
                XCTAssertNoThrow(try settings.check(), "\(task.name) \(arm.name)")
                XCTAssertNil(settings.loopingRegularizer)
                XCTAssertEqual(settings.predPos, "inp_len")
            }
        }
        // The smoke graphs are small enough to generate (φ is capped so the 2-hop facts exist).
        let smoke = try study.preset(named: "smoke")
        for task in smoke.tasks {
            guard case .knowledgeGraph(let p) = task.data else { return XCTFail("\(task.name) is not a knowledge graph") }
            XCTAssertNoThrow(try SystematicityGenerator(parameters: p).generate(), task.name)
        }
    }

    /// The graph's atomic facts are what the description and the report's axis count.
    func testDescriptionCountsTheGraphsFacts() throws {
        let task = MemorizationStudy.graph(entities: 30, maxSteps: 10)
        XCTAssertEqual(MemorizationReport.atomicFacts(task), 300)
        XCTAssertTrue(task.data.description.hasPrefix("knowledge graph: 30 entities, 10 relations, 10 per entity (300 atomic facts, 20% never composed)"),
                      task.data.description)
    }

    // MARK: - Goals

    func seedRun(_ seed: UInt64, recall: Double, composed: Double) -> LoopedVsDeepSeedRun {
        LoopedVsDeepSeedRun(seed: seed, training: "", steps: 100, trainingMinutes: 0.5,
                            accuracy: ["id_atomic": recall, "ood_atomic": recall, "train_inferred": 100, "test_inferred_iid": composed],
                            cost: ArmCost(ModelCost(config: ModelConfig(vocabSize: 10), recurrence: 1, sequenceLength: 4)))
    }

    /// A graph whose arms recall and compose the given per-seed values.
    func graph(_ name: String, _ values: [String: [(Double, Double)]]) -> LoopedVsDeepTaskResults {
        let arms = ["looped", "deep", "shallow"].map { arm in
            LoopedVsDeepArmResults(name: arm, label: arm, seeds: (values[arm] ?? []).enumerated().map { i, v in
                seedRun(UInt64(i + 1), recall: v.0, composed: v.1)
            })
        }
        return LoopedVsDeepTaskResults(task: name, data: "", types: ["test_inferred_iid"],
                                       trainTypes: ["id_atomic", "ood_atomic", "train_inferred"], arms: arms)
    }

    func results(_ graphs: [LoopedVsDeepTaskResults]) -> LoopedVsDeepResults {
        LoopedVsDeepResults(study: "memorization", preset: "test", seeds: [1, 2], blocks: 1, loops: 4, tasks: graphs)
    }

    func testRecallIsJudgedOnTheLargestGraphAndCompositionOnEvery() {
        let goals = MemorizationStudy.goals(results([
            // The small graph: both recall everything; looped composes 4 points under deep (within 5).
            graph("graph-50", ["looped": [(100, 80), (100, 82)], "deep": [(100, 84), (100, 86)]]),
            // The large graph: looped recalls 6 points fewer, composes 8 under deep.
            graph("graph-800", ["looped": [(40, 10), (42, 12)], "deep": [(46, 18), (48, 20)]]),
        ]))
        XCTAssertEqual(goals.map(\.goal), ["graph-800: 1⊗4 recalls ≥ 5 points fewer atomic facts than 4⊗1",
                                           "graph-50: 1⊗4 composes held-out 2-hop facts within 5 points of 4⊗1 (or above it)",
                                           "graph-800: 1⊗4 composes held-out 2-hop facts within 5 points of 4⊗1 (or above it)"])
        XCTAssertEqual(goals.map(\.met), [true, true, false], "\(goals)")
        XCTAssertEqual(goals[0].measured, "1⊗4 41.0 ± 1.4%, 4⊗1 47.0 ± 1.4% (-6.0 points)")
    }

    func testLoopedRecallingAsMuchAsDeepDoesNotMeetTheMemorizationGoal() {
        let goals = MemorizationStudy.goals(results([
            graph("graph-800", ["looped": [(47, 30)], "deep": [(50, 20)]]),
        ]))
        XCTAssertEqual(goals.map(\.met), [false, true], "\(goals)")
        XCTAssertEqual(MemorizationStudy.goals(results([graph("graph-800", ["deep": [(50, 20)]])])).map(\.met), [false, false])
    }

    func testReportTablesRecallAndCompositionPerGraph() throws {
        let preset = try study.preset(named: "cpu-small")
        let graphs = preset.tasks.map { task in
            graph(task.name, ["looped": [(90, 50)], "deep": [(95, 40)], "shallow": [(70, 5)]])
        }
        let r = results(graphs)
        let text = MemorizationReport.markdown(r, preset: preset, goals: MemorizationStudy.goals(r), figure: "f.svg",
                                               command: "loop reproduce memorization", minutes: 1)
        let facts = MemorizationReport.atomicFacts(preset.tasks[0])
        XCTAssertTrue(text.contains("| \(preset.tasks[0].name) | \(facts) | 90.0 | 95.0 | 70.0 | 50.0 | 40.0 | 5.0 |"), text)
        XCTAssertTrue(text.contains("![f.svg](figures/f.svg)"))
        let svg = MemorizationReport.chart(r, preset: preset).svg()
        XCTAssertTrue(svg.contains("atomic facts recalled") && svg.contains("held-out 2-hop facts composed"))
    }
}
