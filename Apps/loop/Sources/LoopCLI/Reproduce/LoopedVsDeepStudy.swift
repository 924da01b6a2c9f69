import Foundation
import RecurrentDepth

/// The comparison at the heart of Saunshi et al., *Reasoning with Latent Thoughts: On the Power of
/// Looped Transformers* (ICLR 2025), as `loop reproduce looped-vs-deep` runs it: on each synthetic
/// reasoning task, a block of k layers looped L times (k⊗L) against the model of equal FLOPs and
/// effective depth (kL⊗1), the model of equal parameters (k⊗1), and the deep model trained with the
/// looping-inspired regularizer. Each model is scored at the recurrence it was trained at; the
/// recurrence sweep of the other studies reads one answer token per example, and these answers
/// have several.
struct LoopedVsDeepStudy: ArmComparisonStudy {
    let name = "looped-vs-deep"
    let presets: [LoopedVsDeepPreset]
    static let taskNoun = "task"

    /// The paper's claim, as the report quotes it.
    static let claim = "On reasoning tasks whose difficulty is depth — n-ary addition, p-hop induction, i-GSM-style problems — "
        + "a k-layer block looped L times (k⊗L) nearly matches the kL-layer model of the same FLOPs (kL⊗1) and clearly beats "
        + "the k-layer model of the same parameters (k⊗1): depth, not parameters, is what these tasks need. A regularizer that pulls "
        + "a deep model's layers towards a looped model's gives the deep model that inductive bias."

    static func writeReport(_ results: LoopedVsDeepResults, preset: LoopedVsDeepPreset, goals: [GoalOutcome], command: String,
                            minutes: Double, to out: URL) throws {
        try LoopedVsDeepReport.write(results, preset: preset, goals: goals, command: command, minutes: minutes, to: out)
    }
}

/// The study at one scale: k and L, the shared model and optimizer, and the tasks.
struct LoopedVsDeepPreset {
    let name: String
    /// What the preset is for and how long it takes, for `--help` and the report.
    let summary: String
    /// k: the layers of the looped block.
    let blocks: Int
    /// L: how many times the block is looped.
    let loops: Int
    /// The regularizer strengths tried on the deep model (the paper found 1 and 10 useful).
    let lambdas: [Double]
    /// The `loop train` settings every arm shares; each arm sets the layers, the schedule and the
    /// regularizer, each task the step cap.
    let model: RunSettings
    let tasks: [LoopedVsDeepTask]

    /// k⊗L, kL⊗1, k⊗1, then kL⊗1 with the regularizer at each λ.
    var arms: [LoopedVsDeepArm] {
        [LoopedVsDeepArm(role: .looped, blocks: blocks, loops: loops, lambda: nil),
         LoopedVsDeepArm(role: .deep, blocks: blocks, loops: loops, lambda: nil),
         LoopedVsDeepArm(role: .shallow, blocks: blocks, loops: loops, lambda: nil)]
            + lambdas.map { LoopedVsDeepArm(role: .regularized, blocks: blocks, loops: loops, lambda: $0) }
    }

    /// The `loop train` settings of one arm on one task (the data and seed are the runner's).
    func settings(_ arm: LoopedVsDeepArm, task: LoopedVsDeepTask) -> RunSettings {
        var s = model
        s.layers = arm.layers
        s.schedule = "fixed:r=\(arm.recurrence)"
        s.loopingRegularizer = arm.lambda.map { "k=\(blocks),lambda=\(LoopedVsDeepArm.number($0))" }
        s.maxSteps = task.maxSteps
        return s
    }

    /// The same arms on a few dozen items of each task for a few dozen steps: seconds, to check
    /// that everything runs, not to show anything.
    var smoke: LoopedVsDeepPreset {
        var s = model
        s.maxMinutes = nil; s.warmup = 5; s.evalEveryEpochs = 1_000
        return LoopedVsDeepPreset(name: "smoke", summary: "a few seconds: checks the pipeline, not the science.", blocks: blocks,
                                  loops: loops, lambdas: lambdas, model: s,
                                  tasks: tasks.map { LoopedVsDeepTask(name: $0.name, data: $0.data.smoke, maxSteps: 12) })
    }
}

/// One task of the study: its dataset and how many steps each model trains on it.
struct LoopedVsDeepTask {
    /// A folder-safe name (`addition`).
    let name: String
    let data: ReasoningTaskData
    let maxSteps: Int
}

/// One model shape of the study, in the paper's notation: layers ⊗ loops.
struct LoopedVsDeepArm: Equatable {
    enum Role: String { case looped, deep, shallow, regularized }

    let role: Role
    /// k and L of the study.
    let blocks: Int
    let loops: Int
    /// The regularizer's λ (`regularized` only).
    let lambda: Double?

    var layers: Int { role == .looped || role == .shallow ? blocks : blocks * loops }
    var recurrence: Int { role == .looped ? loops : 1 }

    /// A folder-safe name: `looped`, `deep`, `shallow`, `deep-lambda-10`.
    var name: String { lambda.map { "deep-lambda-\(Self.number($0))" } ?? role.rawValue }

    /// How the report names it: `1⊗4 (looped)`, `4⊗1 + regularizer λ 10`.
    var label: String {
        let shape = "\(layers)⊗\(recurrence)"
        return lambda.map { "\(shape) + regularizer λ \(Self.number($0))" } ?? "\(shape) (\(role.rawValue))"
    }

    /// `10`, `0.5`: λ as the regularizer's setting and the names spell it.
    static func number(_ value: Double) -> String { String(format: "%g", value) }

    /// What the arm's model costs on a task with `vocabularySize` tokens and training batches of
    /// `sequenceLength`: the settings' model at the settings' recurrence (the schedule's r).
    static func cost(of settings: RunSettings, vocabularySize: Int, sequenceLength: Int) throws -> ModelCost {
        let config = try settings.modelConfig(vocabularySize: vocabularySize)
        return ModelCost(config: config, recurrence: config.recurrence, sequenceLength: max(sequenceLength, 1))
    }
}
