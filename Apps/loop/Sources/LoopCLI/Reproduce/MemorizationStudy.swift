import Foundation
import KnowledgeGraph
import RecurrentDepth

/// Memorization against reasoning on one task, bridging the two papers: on knowledge graphs of
/// growing size, the looped model (k⊗L) against the deep model of the same FLOPs (kL⊗1) and the
/// shallow model of the same parameters (k⊗1) — how many atomic facts each recalls, and how well
/// each composes two of them into a held-out 2-hop fact. `loop reproduce memorization` runs it with
/// the looped-vs-deep study's runner; every model trains the same number of steps on every graph.
struct MemorizationStudy: ArmComparisonStudy {
    let name = "memorization"
    let presets: [LoopedVsDeepPreset]
    static let taskNoun = "graph"

    static let standard = MemorizationStudy(presets: [cpuSmall])

    /// The paper's claim, as the report quotes it.
    static let claim = "Looped models are worse at memorization than deep models of the same FLOPs — higher perplexity, "
        + "fewer closed-book facts recalled, in line with their L× fewer parameters — but as good or better at reasoning."

    /// The atomic facts, in and out of distribution: a model's recall.
    static let recallTypes = ["id_atomic", "ood_atomic"]
    /// Held-out 2-hop facts over atomic facts that trained 2-hop facts also use: a model's composition.
    static let compositionTypes = ["test_inferred_iid"]

    static func writeReport(_ results: LoopedVsDeepResults, preset: LoopedVsDeepPreset, goals: [GoalOutcome], command: String,
                            minutes: Double, to out: URL) throws {
        try MemorizationReport.write(results, preset: preset, goals: goals, command: command, minutes: minutes, to: out)
    }

    /// A graph of `entities` entities with 10 relations each out of 10 (10 atomic facts per
    /// entity), a fifth of the atomic facts never composed, φ 7.2 and 5% of the composable 2-hop
    /// facts held out: the systematicity task's proportions at sizes that train in minutes.
    static func graph(entities: Int, maxSteps: Int) -> LoopedVsDeepTask {
        LoopedVsDeepTask(name: "graph-\(entities)",
                         data: .knowledgeGraph(SystematicityGenerator.Parameters(entities: entities, relations: 10, outDegree: 10,
                                                                                 oodFraction: 0.2, iidTestFraction: 0.05, phi: 7.2,
                                                                                 testSizePerType: 300)),
                         maxSteps: maxSteps)
    }

    /// The model and optimizer every arm shares: the systematicity runs' d 64, 4 heads, AdamW at
    /// 1e-3 with weight decay 0.1 on batches of 128, no dropout, the answer read at the input's last
    /// token (which lets a 2-hop fact reuse its first hop's atomic fact).
    static let model: RunSettings = {
        var s = RunSettings()
        s.task = "systematicity"
        s.d = 64; s.layers = 1; s.heads = 4
        s.embdDropout = 0; s.attnDropout = 0; s.residDropout = 0; s.labelSmoothing = 0
        s.lr = 1e-3; s.warmup = 200; s.weightDecay = 0.1; s.batchSize = 128
        s.predPos = "inp_len"; s.targets = "answer"
        s.evalEveryEpochs = 25
        return s
    }()

    static let cpuSmall = LoopedVsDeepPreset(
        name: "cpu-small",
        summary: "k 1, L 4, d 64; graphs of 50, 200 and 800 entities (500–8 000 atomic facts), 20 000 steps per model; "
            + "about 10 minutes per seed (21 minutes for two seeds on a machine shared with compiler jobs).",
        blocks: 1, loops: 4, lambdas: [], model: model,
        tasks: [50, 200, 800].map { graph(entities: $0, maxSteps: 20_000) })

    /// On the largest graph, k⊗L recalls at least 5 points fewer atomic facts than kL⊗1 (the
    /// paper's memorization claim); on every graph, k⊗L composes held-out 2-hop facts within 5
    /// points of kL⊗1 or above it (its reasoning claim). Means over seeds.
    static func goals(_ results: LoopedVsDeepResults) -> [GoalOutcome] {
        let k = results.blocks, l = results.loops
        let looped = "\(k)⊗\(l)", deep = "\(k * l)⊗1"
        func compare(_ x: MeanStd, _ y: MeanStd) -> String {
            "\(looped) \(x.formatted())%, \(deep) \(y.formatted())% (" + String(format: "%+.1f", x.mean - y.mean) + " points)"
        }
        func scores(_ task: LoopedVsDeepTaskResults, _ types: [String]) -> (MeanStd, MeanStd) {
            (task.arm("looped")?.score(types) ?? .of([]), task.arm("deep")?.score(types) ?? .of([]))
        }
        var goals: [GoalOutcome] = []
        if let largest = results.tasks.last {
            let (x, y) = scores(largest, recallTypes)
            goals.append(GoalOutcome(goal: "\(largest.task): \(looped) recalls ≥ 5 points fewer atomic facts than \(deep)",
                                     measured: compare(x, y), met: x.n > 0 && y.n > 0 && x.mean <= y.mean - 5))
        }
        for task in results.tasks {
            let (x, y) = scores(task, compositionTypes)
            goals.append(GoalOutcome(goal: "\(task.task): \(looped) composes held-out 2-hop facts within 5 points of \(deep) (or above it)",
                                     measured: compare(x, y), met: x.n > 0 && y.n > 0 && x.mean >= y.mean - 5))
        }
        return goals
    }
}
