import ArgumentParser
import Foundation
import KnowledgeGraph
import RecurrentDepth
import Halting
import Analysis

/// `loop demo`: the main job on built-in data, end to end, in a few minutes.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train a looped model from scratch until it composes, then sweep recurrence, halt adaptively, probe margins, write a report.",
        discussion: """
        The composition study of `loop reproduce` with one seed, plus the logit-margin probe: a permutation graph
        (40 entities, 6 relations), a recurrent-depth GPT-2 (d 64, 2 layers, fixed r 4) trained on atomic facts and
        2- and 3-hop chains until it answers held-out chains (about 2 minutes on 2 cores), accuracy by inference
        recurrence 1...12 (deeper chains need more iterations; too many lower accuracy again), entropy-kl halting,
        and the answer's logit margin per iteration. Writes OUT/report.md with its figures; running it again reuses
        what is done.

        Example:
          swift run -c release --package-path Apps/loop loop demo
        """
    )

    @Option(help: "Output folder.") var out: String = "runs/demo"
    @Option(help: "Seed of the model.") var seed: UInt64 = 1
    @Option(help: "cpu-small (the demo) or smoke (seconds: checks the pipeline, the model does not learn).") var preset: String = "cpu-small"
    @Flag(help: "Print plain progress lines even on a terminal.") var plain = false

    func run() throws {
        let started = Date()
        let study = Study.composition
        let preset = try study.preset(named: self.preset)
        let root = URL(fileURLWithPath: out)
        let runner = StudyRunner(study: study, preset: preset, seeds: [seed], out: root, plain: plain)
        guard let results = try runner.run() else {
            Console.log("stopped; run the same command again to continue")
            throw ExitCode(ExitStatus.interrupted(by: Interruption.stopSignal ?? SIGINT))
        }

        Console.log("probing the logit margin per iteration")
        let arm = preset.arms[0]
        let checkpoint = runner.seedFolder(arm, seed: seed).appendingPathComponent("train/checkpoints/final")
        let settings = runner.settings(arm, seed: seed)
        let dataset = try cliErrors { try Dataset.load(from: runner.dataFolder) }
        let context = ProbeContext(models: [ProbeModel(name: "demo", label: "this run's model", folder: checkpoint)], dataset: dataset,
                                   runFolder: root, options: ProbeOptions(batchSize: 1024, padding: try settings.trainingConfig().padding,
                                                                          maxIterations: preset.sweep.upperBound))
        let figures = root.appendingPathComponent("figures")
        let probe = try activeRegistry.probes.make("logit-margin:splits=2hop_test,3hop_test")
        let margins = try cliErrors { try probe.run(context).write(to: figures) }.filter { $0.pathExtension == "svg" }

        let goals = study.goals(results)
        let minutes = Date().timeIntervalSince(started) / 60
        try StudyReport.write(results, study: study, preset: preset, goals: goals, command: "loop demo --out \(out) --seed \(seed)",
                              minutes: minutes, to: root, extraFigures: margins.map(\.lastPathComponent))
        for goal in goals { print("\(goal.met ? "met    " : "NOT met") \(goal.goal): \(goal.measured)") }
        print(String(format: "done in %.1f minutes: %@", minutes, root.appendingPathComponent("report.md").path))
    }
}
