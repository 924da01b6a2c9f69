import Foundation
import KnowledgeGraph
import RecurrentDepth
import Halting
import Analysis

/// Runs a study in a folder: the dataset, every arm × seed trained, swept over inference
/// recurrence and evaluated with adaptive halting, each step skipped when its output is already
/// there — so an interrupted study continues where it stopped when the same command runs again.
///
///     OUT/data/                       the generated dataset
///     OUT/ARM/seed-S/train/           a normal `loop train` run folder
///     OUT/ARM/seed-S/sweep.json       accuracy per recurrence (`loop eval --recurrence-range`)
///     OUT/ARM/seed-S/halting.json     adaptive halting (`loop eval --halting`)
///     OUT/ARM/seed-S/probes/          grokking stages and the bridge lens, also read at the relations
///                                     (`probes/at-relation/`), in studies that look for them
///     OUT/ARM/seed-S/result.json      what the report reads for this seed
struct StudyRunner {
    let study: Study
    let preset: StudyPreset
    let seeds: [UInt64]
    let out: URL
    let plain: Bool

    var dataFolder: URL { out.appendingPathComponent("data") }

    func seedFolder(_ arm: StudyArm, seed: UInt64) -> URL {
        out.appendingPathComponent(arm.name).appendingPathComponent("seed-\(seed)")
    }

    /// Everything not yet done; nil when a training run was interrupted (the study resumes on the next call).
    func run() throws -> StudyResults? {
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try writeData()
        var arms: [ArmResults] = []
        for (i, arm) in preset.arms.enumerated() {
            var results: [SeedRun] = []
            for seed in seeds {
                let step = "[\(arm.name), seed \(seed)] (\(i * seeds.count + results.count + 1)/\(preset.arms.count * seeds.count))"
                guard let result = try runSeed(arm, seed: seed, label: step) else { return nil }
                results.append(result)
            }
            arms.append(ArmResults(name: arm.name, label: arm.label, seeds: results))
        }
        return StudyResults(study: study.name, preset: preset.name, seeds: seeds, arms: arms, types: preset.reportedTypes)
    }

    /// The dataset, generated once and moved into place (`StudyStep.generateOnce`).
    private func writeData() throws {
        try StudyStep.generateOnce(into: dataFolder, describing: preset.data.description) { try preset.data.write(to: $0) }
    }

    /// The run's settings for one seed: the arm's, on this study's data.
    func settings(_ arm: StudyArm, seed: UInt64) -> RunSettings {
        var s = arm.settings
        s.data = dataFolder.path
        s.seed = seed
        return s
    }

    private func runSeed(_ arm: StudyArm, seed: UInt64, label: String) throws -> SeedRun? {
        let folder = seedFolder(arm, seed: seed)
        let resultFile = folder.appendingPathComponent("result.json")
        if let done = try? JSONDecoder().decode(SeedRun.self, from: Data(contentsOf: resultFile)) {
            Console.log("\(label) done before: \(done.training)")
            return done
        }
        let settings = settings(arm, seed: seed)
        let train = folder.appendingPathComponent("train")
        let final = train.appendingPathComponent("checkpoints/final")
        guard let summary = try StudyStep.trainOnce(settings, in: folder, label: label, model: arm.label, plain: plain) else { return nil }
        Console.log("\(label) \(summary.split(separator: "\n").first ?? "")")

        let state = try cliErrors { try Checkpoint.decodeJSON(TrainerState.self, from: final.appendingPathComponent(Trainer.stateFile)) }
        let (model, dataset) = try loadModelAndData(checkpoint: final.path, data: dataFolder.path)
        let test = try cliErrors { try dataset.split(settings.testFile) }.selecting(types: preset.reportedTypes)
        let training = try settings.trainingConfig()
        let source: [String: ReportValue] = ["checkpoint": .string(final.path), "data": .string(dataFolder.path)]
        Console.log("\(label) sweeping inference recurrence \(preset.sweep.lowerBound)...\(preset.sweep.upperBound)")
        let sweep = try cliErrors {
            try RecurrenceSweep(recurrences: preset.sweep).evaluate(model, split: test, batchSize: training.evaluationBatchSize,
                                                                     padding: training.padding, truncate: training.truncate,
                                                                     predictionPosition: training.predictionPosition, config: source)
        }
        try cliErrors { try sweep.write(to: folder.appendingPathComponent("sweep.json")) }
        var halting: [String: HaltingOutcome]?
        if let spec = preset.halting {
            let policy = try activeRegistry.halting.make(spec)
            Console.log("\(label) adaptive halting: \(policy.summary)")
            let report = try cliErrors {
                try evaluateHalting(model, split: test, evaluator: try AdaptiveEvaluator(policy: policy), batchSize: training.evaluationBatchSize,
                                    padding: training.padding, truncate: training.truncate,
                                    predictionPosition: training.predictionPosition, config: source)
            }
            try cliErrors { try report.write(to: folder.appendingPathComponent("halting.json")) }
            halting = Dictionary(uniqueKeysWithValues: report.results.map { ($0.type, HaltingOutcome(accuracy: $0.accuracy, meanIterations: $0.meanIterations)) })
        }
        var stages: [StageReached]?
        if let spec = preset.grokking {
            Console.log("\(label) grokking stages and the bridge lens")
            stages = try probeStages(spec, run: train, final: final, step: state.step, dataset: dataset, training: training,
                                     into: folder.appendingPathComponent("probes"))
        }
        let result = SeedRun(seed: seed, training: String(summary.split(separator: "\n").first ?? ""), steps: state.step,
                             trainingMinutes: state.elapsedSeconds / 60,
                             sweep: sweep.recurrences.map { RecurrenceAccuracy(r: $0, accuracy: sweep.accuracyPerRecurrence[$0] ?? [:]) },
                             halting: halting, stages: stages)
        try StudyReport.writeJSON(result, to: resultFile)
        return result
    }

    /// The grokking stages of a run, read off its evaluations with the epoch checkpoint nearest
    /// each, then the bridge lens on those checkpoints and the final one; both probes' JSON and
    /// figures go into `folder`.
    private func probeStages(_ spec: String, run: URL, final: URL, step: Int, dataset: Dataset, training: TrainingConfig,
                             into folder: URL) throws -> [StageReached] {
        let output = try cliErrors { try activeRegistry.probes.make(spec).run(ProbeContext(runFolder: run)) }
        try cliErrors { try output.write(to: folder) }
        let grokking = try AnalysisJSON.decode(GrokkingProbe.Result.self, from: output.json)
        var models = grokking.stages.compactMap { stage in
            stage.checkpoint.map { ProbeModel(name: stage.stage, label: "\(stage.stage) (step \($0.step))", folder: URL(fileURLWithPath: $0.path)) }
        }
        models.append(ProbeModel(name: "final", label: "final (step \(step))", folder: final))
        let context = ProbeContext(models: models, dataset: dataset,
                                   options: ProbeOptions(batchSize: training.evaluationBatchSize, predictionPosition: training.predictionPosition,
                                                         padding: training.padding, truncate: training.truncate,
                                                         maxIterations: preset.sweep.upperBound))
        // Each entity read where the model answers, and at the relation that leads to it.
        try cliErrors { try BridgeLensProbe(splits: preset.bridgeSplits, sampleSize: 300).run(context).write(to: folder) }
        try cliErrors {
            try BridgeLensProbe(splits: preset.bridgeSplits, reading: .relation, sampleSize: 300).run(context)
                .write(to: folder.appendingPathComponent("at-relation"))
        }
        return grokking.stages.map { StageReached(stage: $0.stage, step: $0.step, checkpoint: $0.checkpoint?.name) }
    }
}
