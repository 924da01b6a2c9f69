import Foundation
import RecurrentDepth

/// What a model costs (RecurrentDepth's `ModelCost`), as `results.json` stores it.
struct ArmCost: Codable, Equatable {
    let layers: Int
    let recurrence: Int
    let parameters: Int
    let parametersPerBlock: Int
    let blockParameters: Int
    /// layers × r.
    let effectiveDepth: Int
    /// T, the longest training batch, at which the FLOPs are counted.
    let sequenceLength: Int
    let forwardFLOPsPerToken: Int
    let trainingFLOPsPerToken: Int

    init(_ cost: ModelCost) {
        layers = cost.config.layers
        recurrence = cost.recurrence
        parameters = cost.parameters
        parametersPerBlock = cost.parametersPerBlock
        blockParameters = cost.blockParameters
        effectiveDepth = cost.effectiveDepth
        sequenceLength = cost.sequenceLength
        forwardFLOPsPerToken = cost.forwardFLOPsPerToken
        trainingFLOPsPerToken = cost.trainingFLOPsPerToken
    }
}

/// What one trained model (one task, one arm, one seed) measured: `OUT/TASK/ARM/seed-S/result.json`.
struct LoopedVsDeepSeedRun: Codable, Equatable {
    let seed: UInt64
    /// How training ended (`loop train`'s summary line).
    let training: String
    let steps: Int
    let trainingMinutes: Double
    /// Exact match (%) per test type at the recurrence the model was trained at.
    let accuracy: [String: Double]
    let cost: ArmCost

    /// The mean exact match over `types` (those this run has); nil when it has none of them.
    func score(_ types: [String]) -> Double? {
        let values = types.compactMap { accuracy[$0] }
        return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }
}

/// One arm on one task over its seeds.
struct LoopedVsDeepArmResults: Codable, Equatable {
    let name: String
    let label: String
    let seeds: [LoopedVsDeepSeedRun]

    /// The cost of the arm's model (the same for every seed).
    var cost: ArmCost? { seeds.first?.cost }

    func accuracy(_ type: String) -> MeanStd { MeanStd.of(seeds.compactMap { $0.accuracy[type] }) }

    /// The task's score over the seeds: each seed's mean exact match over `types`.
    func score(_ types: [String]) -> MeanStd { MeanStd.of(seeds.compactMap { $0.score(types) }) }

    var trainingMinutes: MeanStd { MeanStd.of(seeds.map(\.trainingMinutes)) }
}

/// Every arm of one task.
struct LoopedVsDeepTaskResults: Codable, Equatable {
    /// The task's folder name (`addition`).
    let task: String
    /// The dataset, in words.
    let data: String
    /// The held-out test types; a model's score on the task is its mean exact match over them.
    let types: [String]
    /// The training items repeated in `test.json`, also evaluated (memorization).
    let trainTypes: [String]
    let arms: [LoopedVsDeepArmResults]

    func arm(_ name: String) -> LoopedVsDeepArmResults? { arms.first { $0.name == name } }

    func score(_ arm: String) -> MeanStd? { self.arm(arm).map { $0.score(types) } }
}

/// Everything the study measured, written as `results.json` beside the report.
struct LoopedVsDeepResults: Codable, Equatable {
    let study: String
    let preset: String
    let seeds: [UInt64]
    /// k and L.
    let blocks: Int
    let loops: Int
    let tasks: [LoopedVsDeepTaskResults]

    func task(_ name: String) -> LoopedVsDeepTaskResults? { tasks.first { $0.task == name } }
}

/// `results.json`: the results, the goals judged on them, and how they were made.
struct LoopedVsDeepOutcome: Codable {
    let results: LoopedVsDeepResults
    let goals: [GoalOutcome]
    let command: String
    let minutes: Double
}
