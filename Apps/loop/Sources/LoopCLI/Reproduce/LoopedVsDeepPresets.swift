import Foundation
import KnowledgeGraph

/// The looped-vs-deep study's presets and goals. The cpu-small settings were chosen by the runs
/// recorded in `Apps/loop/PRESETS.md`; runs are capped by steps, so a preset trains the same
/// models on a busy machine, and the summaries state the time on 2 idle cores.
extension LoopedVsDeepStudy {
    static let standard = LoopedVsDeepStudy(presets: [cpuSmall, cpuMedium])

    /// The model and optimizer every arm shares: d 64, 4 heads, learned positions, no dropout or
    /// label smoothing, AdamW at 3e-3 with weight decay 0.1 on batches of 32 (at this width small
    /// batches learn these tasks in fewer seconds than 128), the answer's tokens teacher-forced
    /// from the input's last position, batches padded to their longest item.
    static func model(_ edit: (inout RunSettings) -> Void = { _ in }) -> RunSettings {
        var s = RunSettings()
        s.task = "systematicity"
        s.d = 64; s.layers = 1; s.heads = 4
        s.embdDropout = 0; s.attnDropout = 0; s.residDropout = 0; s.labelSmoothing = 0
        s.lr = 3e-3; s.warmup = 100; s.weightDecay = 0.1; s.batchSize = 32
        s.predPos = "inp_len"; s.targets = "answer"; s.maxLen = 0
        s.evalEveryEpochs = 8
        edit(&s)
        return s
    }

    /// 1⊗4 against 4⊗1 and 1⊗1 on tasks small enough that the depth-4 models learn them in a few
    /// thousand steps: two 2-digit numbers, 2 hops over 10 symbols, assignment chains of depth 1–3.
    static let cpuSmall = LoopedVsDeepPreset(
        name: "cpu-small",
        summary: "k 1, L 4, d 64; 4 000–5 000 steps per model; the whole study (3 tasks × 5 models × 3 seeds) in about 25 minutes on 2 idle cores.",
        blocks: 1, loops: 4, lambdas: [1, 10], model: model(),
        tasks: [LoopedVsDeepTask(name: "addition", data: .addition(AdditionGenerator.Parameters(numbers: 2, digits: 2)), maxSteps: 4_000),
                LoopedVsDeepTask(name: "induction", data: .induction(InductionGenerator.Parameters(alphabet: 4, length: 10, hops: 2)),
                                 maxSteps: 5_000),
                LoopedVsDeepTask(name: "assignment",
                                 data: .assignment(AssignmentGenerator.Parameters(minDepth: 1, maxDepth: 3, distractors: 2, variables: 8)),
                                 maxSteps: 4_000)])

    /// 2⊗4 against 8⊗1 and 2⊗1 on larger tasks: three 2-digit numbers, 2 hops over 16 symbols,
    /// KnowledgeGraph's small assignment set (depths 1–4 among 3 distractors).
    static let cpuMedium = LoopedVsDeepPreset(
        name: "cpu-medium",
        summary: "k 2, L 4, d 64; 6 000–8 000 steps per model; about an hour and a half to two hours on 2 idle cores "
            + "(estimated from cpu-small's cost per step; not run yet).",
        blocks: 2, loops: 4, lambdas: [1, 10], model: model(),
        tasks: [LoopedVsDeepTask(name: "addition", data: .addition(AdditionGenerator.Parameters(numbers: 3, digits: 2)), maxSteps: 8_000),
                LoopedVsDeepTask(name: "induction", data: .induction(InductionGenerator.Parameters(alphabet: 4, length: 16, hops: 2)),
                                 maxSteps: 8_000),
                LoopedVsDeepTask(name: "assignment", data: .assignment(.small), maxSteps: 6_000)])

    /// Per task: k⊗L within 5 points of kL⊗1 (or above it), k⊗L at least 10 points above k⊗1, and
    /// kL⊗1 with the regularizer at least as good as without, at each λ. A task's score is the
    /// mean over seeds of each seed's exact match averaged over the task's test types.
    static func goals(_ results: LoopedVsDeepResults) -> [GoalOutcome] {
        let k = results.blocks, l = results.loops
        let looped = "\(k)⊗\(l)", deep = "\(k * l)⊗1", shallow = "\(k)⊗1"
        var goals: [GoalOutcome] = []
        for task in results.tasks {
            let loopedScore = task.score("looped") ?? .of([]), deepScore = task.score("deep") ?? .of([])
            let shallowScore = task.score("shallow") ?? .of([])
            func compare(_ a: String, _ x: MeanStd, _ b: String, _ y: MeanStd) -> String {
                "\(a) \(x.formatted())%, \(b) \(y.formatted())% (" + String(format: "%+.1f", x.mean - y.mean) + " points)"
            }
            let measured = loopedScore.n > 0 && deepScore.n > 0
            goals.append(GoalOutcome(goal: "\(task.task): \(looped) within 5 points of \(deep) (or above it)",
                                     measured: compare(looped, loopedScore, deep, deepScore),
                                     met: measured && loopedScore.mean >= deepScore.mean - 5))
            goals.append(GoalOutcome(goal: "\(task.task): \(looped) ≥ \(shallow) + 10 points",
                                     measured: compare(looped, loopedScore, shallow, shallowScore),
                                     met: loopedScore.n > 0 && shallowScore.n > 0 && loopedScore.mean >= shallowScore.mean + 10))
            for arm in task.arms where arm.name.hasPrefix("deep-lambda-") {
                let score = arm.score(task.types)
                goals.append(GoalOutcome(goal: "\(task.task): \(arm.label) ≥ \(deep)",
                                         measured: compare(arm.label, score, deep, deepScore),
                                         met: score.n > 0 && deepScore.n > 0 && score.mean >= deepScore.mean))
            }
        }
        return goals
    }
}
