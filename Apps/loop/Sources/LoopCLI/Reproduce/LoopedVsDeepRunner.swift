import Foundation
import KnowledgeGraph
import RecurrentDepth

/// Runs the looped-vs-deep study (or another of its shape: tasks × arms × seeds, such as the
/// memorization study) in a folder: per task the dataset, then every arm × seed trained
/// and scored at its own recurrence, each step skipped when its output is already there — so an
/// interrupted study continues where it stopped when the same command runs again.
///
///     OUT/TASK/data/                       the generated dataset
///     OUT/TASK/ARM/seed-S/train/           a normal `loop train` run folder
///     OUT/TASK/ARM/seed-S/result.json      exact match per test type at the trained r, and the model's cost
struct LoopedVsDeepRunner {
    /// The study's name, as results.json records it.
    let study: String
    let preset: LoopedVsDeepPreset
    let seeds: [UInt64]
    let out: URL
    let plain: Bool

    func dataFolder(_ task: LoopedVsDeepTask) -> URL {
        out.appendingPathComponent(task.name).appendingPathComponent("data")
    }

    func seedFolder(_ task: LoopedVsDeepTask, _ arm: LoopedVsDeepArm, seed: UInt64) -> URL {
        out.appendingPathComponent(task.name).appendingPathComponent(arm.name).appendingPathComponent("seed-\(seed)")
    }

    /// The run's settings: the arm's on this task, on the task's data, at this seed.
    func settings(_ task: LoopedVsDeepTask, _ arm: LoopedVsDeepArm, seed: UInt64) -> RunSettings {
        var s = preset.settings(arm, task: task)
        s.data = dataFolder(task).path
        s.seed = seed
        return s
    }

    /// Everything not yet done; nil when a training run was interrupted.
    func run() throws -> LoopedVsDeepResults? {
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let arms = preset.arms
        let total = preset.tasks.count * arms.count * seeds.count
        var done = 0
        var tasks: [LoopedVsDeepTaskResults] = []
        for task in preset.tasks {
            try StudyStep.generateOnce(into: dataFolder(task), describing: task.data.description) { try task.data.write(to: $0) }
            var armResults: [LoopedVsDeepArmResults] = []
            for arm in arms {
                var runs: [LoopedVsDeepSeedRun] = []
                for seed in seeds {
                    done += 1
                    let label = "[\(task.name) \(arm.name), seed \(seed)] (\(done)/\(total))"
                    guard let run = try runSeed(task, arm, seed: seed, label: label) else { return nil }
                    runs.append(run)
                }
                armResults.append(LoopedVsDeepArmResults(name: arm.name, label: arm.label, seeds: runs))
            }
            tasks.append(LoopedVsDeepTaskResults(task: task.name, data: task.data.description, types: task.data.testTypes,
                                                 trainTypes: task.data.trainSampleTypes, arms: armResults))
        }
        return LoopedVsDeepResults(study: study, preset: preset.name, seeds: seeds,
                                   blocks: preset.blocks, loops: preset.loops, tasks: tasks)
    }

    private func runSeed(_ task: LoopedVsDeepTask, _ arm: LoopedVsDeepArm, seed: UInt64, label: String) throws -> LoopedVsDeepSeedRun? {
        let folder = seedFolder(task, arm, seed: seed)
        let resultFile = folder.appendingPathComponent("result.json")
        if let done = try? JSONDecoder().decode(LoopedVsDeepSeedRun.self, from: Data(contentsOf: resultFile)) {
            Console.log("\(label) done before: \(done.training)")
            return done
        }
        let settings = settings(task, arm, seed: seed)
        guard let summary = try StudyStep.trainOnce(settings, in: folder, label: label, model: arm.label, plain: plain) else { return nil }
        let training = String(summary.split(separator: "\n").first ?? "")
        Console.log("\(label) \(training)")

        let final = folder.appendingPathComponent("train/checkpoints/final")
        let state = try cliErrors { try Checkpoint.decodeJSON(TrainerState.self, from: final.appendingPathComponent(Trainer.stateFile)) }
        let (model, dataset) = try loadModelAndData(checkpoint: final.path, data: dataFolder(task).path)
        let config = try settings.trainingConfig()
        let recurrence = model.config.recurrence
        // Every test type, the training sample too; the score reads the held-out ones.
        let test = try cliErrors { try dataset.split(settings.testFile) }
        let accuracy = try cliErrors {
            try evaluateByType(model, split: test, evaluator: FixedRecurrenceEvaluator(recurrence: recurrence),
                               batchSize: config.evaluationBatchSize, padding: config.padding, truncate: config.truncate,
                               targets: config.targets, predictionPosition: config.predictionPosition)
        }
        let cost = try LoopedVsDeepArm.cost(of: settings, vocabularySize: dataset.vocabulary.count,
                                            sequenceLength: try trainingSequenceLength(config.padding, dataset: dataset))
        let result = LoopedVsDeepSeedRun(seed: seed, training: training, steps: state.step, trainingMinutes: state.elapsedSeconds / 60,
                                         accuracy: Dictionary(uniqueKeysWithValues: accuracy.map { ($0.type, $0.accuracy * 100) }),
                                         cost: ArmCost(cost))
        let scores = task.data.testTypes.map { String(format: "%@ %.1f%%", $0, result.accuracy[$0] ?? 0) }
        Console.log("\(label) exact match at r \(recurrence): \(scores.joined(separator: ", "))")
        try StudyReport.writeJSON(result, to: resultFile)
        return result
    }

    /// T for the FLOPs, as `loop train` counts it: the fixed padding, or the longest training input.
    private func trainingSequenceLength(_ padding: Padding, dataset: Dataset) throws -> Int {
        if case .fixed(let n) = padding { return n }
        return try cliErrors { try dataset.split("train") }.examples.map(\.inputIDs.count).max() ?? 1
    }
}
