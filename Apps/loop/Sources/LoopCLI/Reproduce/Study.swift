import Foundation
import KnowledgeGraph

/// One phenomenon of *Loop, Think & Generalize* as `loop reproduce` runs it: the paper's claim,
/// the presets that try to show it on a CPU, and the goals its report checks.
struct Study {
    let name: String
    /// The paper's claim, as the report quotes it.
    let claim: String
    let presets: [StudyPreset]
    /// The goals, judged on the study's aggregated results.
    let goals: (StudyResults) -> [GoalOutcome]

    /// The presets, then `smoke`: the first preset's pipeline on a tiny graph for a few dozen
    /// steps — seconds, to check that everything runs, not to show the phenomenon.
    var allPresets: [StudyPreset] { presets + [presets[0].smoke] }

    func preset(named name: String) throws -> StudyPreset {
        guard let preset = allPresets.first(where: { $0.name == name }) else {
            throw CLIError("study \(self.name) has no preset '\(name)'; presets: \(allPresets.map(\.name).joined(separator: ", "))")
        }
        return preset
    }

    static let all = [composition, extrapolation, systematicity]

    static func named(_ name: String) throws -> Study {
        guard let study = all.first(where: { $0.name == name }) else {
            throw CLIError("no study '\(name)'; studies: \(all.map(\.name).joined(separator: ", "))")
        }
        return study
    }
}

/// A study's settings at one scale: the dataset, the models trained on it (arms), and how they
/// are measured afterwards.
struct StudyPreset {
    let name: String
    /// What the preset is for and how long it takes, for `--help` and the report.
    let summary: String
    let data: StudyData
    /// The models the study compares, each trained once per seed; the first is the study's subject.
    let arms: [StudyArm]
    /// Inference recurrences of the sweep after training.
    let sweep: ClosedRange<Int>
    /// The adaptive halting policy evaluated after training (nil: none).
    let halting: String?
    /// Test types the report tabulates, in order.
    let reportedTypes: [String]
    /// The `grokking` probe read off each run's evaluations (nil: none); the bridge lens then looks
    /// at the checkpoint nearest each stage it finds and at the final one, on `bridgeSplits`.
    var grokking: String? = nil
    var bridgeSplits: [String] = []
}

extension StudyPreset {
    var smoke: StudyPreset {
        let data: StudyData
        switch self.data {
        case .extrapolation(var p):
            (p.entities, p.relations, p.outDegree, p.trainChainsPerHop, p.testChainsPerHop, p.atomicSampleInTest, p.trainSampleInTest) = (12, 3, 3, 60, 10, 36, 20)
            data = .extrapolation(p)
        case .systematicity(var p):
            (p.entities, p.relations, p.outDegree, p.testSizePerType, p.oodFraction, p.phi) = (30, 6, 6, 20, 0.2, 3)
            data = .systematicity(p)
        }
        let arms = self.arms.map { arm in
            var s = arm.settings
            s.maxMinutes = nil; s.maxSteps = 40; s.evalEveryEpochs = 2; s.warmup = 10
            if s.checkpointEveryEpochs != nil { s.checkpointEveryEpochs = 2 }
            return StudyArm(name: arm.name, label: arm.label, settings: s)
        }
        return StudyPreset(name: "smoke", summary: "a few seconds: checks the pipeline, not the science.", data: data, arms: arms,
                           sweep: 1...4, halting: halting.map { $0.replacingOccurrences(of: "max_iters=\(sweep.upperBound)", with: "max_iters=4") },
                           reportedTypes: reportedTypes, grokking: grokking, bridgeSplits: bridgeSplits)
    }
}

/// A generated dataset.
enum StudyData {
    case extrapolation(DepthExtrapolationGenerator.Parameters)
    case systematicity(SystematicityGenerator.Parameters)

    func write(to folder: URL) throws {
        switch self {
        case .extrapolation(let p): _ = try DepthExtrapolationGenerator(parameters: p).write(to: folder)
        case .systematicity(let p): _ = try SystematicityGenerator(parameters: p).write(to: folder)
        }
    }

    var description: String {
        switch self {
        case .extrapolation(let p):
            return "permutation graph: \(p.entities) entities, \(p.relations) relations, chains of \(p.minHops)–\(p.maxHops) hops "
                + "(\(p.trainChainsPerHop) training and \(p.testChainsPerHop) test chains per hop), seed \(p.seed)"
        case .systematicity(let p):
            return "2-hop composition graph: \(p.entities) entities, \(p.relations) relations, out-degree \(p.outDegree), "
                + String(format: "φ %.1f, %.0f%% of the atomic facts OOD, seed %d", p.phi, p.oodFraction * 100, p.seed)
        }
    }
}

/// One model of a study: `loop train` settings (data and seed are filled in per run).
struct StudyArm {
    /// A folder-safe name (`looped`, `vanilla-r1`).
    let name: String
    /// How the report names it.
    let label: String
    let settings: RunSettings
}

/// A goal of the study and whether this run met it.
struct GoalOutcome: Codable, Equatable {
    let goal: String
    let measured: String
    let met: Bool
}
