import ArgumentParser
import Foundation
import KnowledgeGraph
import RecurrentDepth
import Analysis

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Run probes on checkpoints, a dataset and/or a run, and write their JSON and SVG figures.",
        discussion: """
        Each probe writes NAME.json and its figures (FIGURE.svg with FIGURE.json beside it) under --out.
        Several --checkpoint options give grid figures (name a checkpoint NAME=DIR to label its panel); several
        --run options overlay runs (training-curves). The files written are listed on standard error.

        Examples:
          loop analyze --probe logit-margin --checkpoint runs/perm/checkpoints/final --data data/perm --out figures
          loop analyze --probe logit-margin:splits=2hop_test,3hop_test,iterations=20 --checkpoint r4=runs/a/checkpoints/final \\
                       --checkpoint r8=runs/b/checkpoints/final --data data/perm --out figures
          loop analyze --probe grokking:train=2hop_train,iid=2hop_test,ood= --run runs/perm --out figures
          loop analyze --probe recurrence-sweep:sweep=sweep.json,report=halting.json --out figures
          loop analyze --probe training-curves --run runs/seed-1 --run runs/seed-2 --out figures
        """
    )

    @Option(help: "Probe NAME[:key=value,...]; repeat for several (see `loop list`).") var probe: [String]
    @Option(help: "Checkpoint folder, or NAME=DIR; repeat for several.") var checkpoint: [String] = []
    @Option(help: "Dataset folder.") var data: String?
    @Option(name: .customLong("run"), help: "Training run folder (metrics.jsonl, checkpoints/); repeat for several.") var runFolders: [String] = []
    @Option(help: "Recurrence steps per-step probes run (default 16).") var maxIters: Int = 16
    @OptionGroup var evaluation: EvaluationOptions
    @Option(help: "Output folder.") var out: String

    func run() throws {
        let probes = try probe.map { try activeRegistry.probes.make($0) }
        let models = checkpoint.enumerated().map { index, spec -> ProbeModel in
            if let eq = spec.firstIndex(of: "="), !spec[..<eq].contains("/") {
                let name = String(spec[..<eq])
                return ProbeModel(name: name, folder: URL(fileURLWithPath: String(spec[spec.index(after: eq)...])))
            }
            let url = URL(fileURLWithPath: spec)
            let name = checkpoint.count == 1 ? url.lastPathComponent : "\(index + 1)-\(url.lastPathComponent)"
            return ProbeModel(name: name, folder: url)
        }
        var dataset: Dataset?
        if let data {
            dataset = try cliErrors { try Dataset.load(from: URL(fileURLWithPath: data)) }
            for model in models {
                let config = try cliErrors { try Checkpoint.readConfig(from: model.folder!) }
                if dataset!.vocabulary.count > config.vocabSize {
                    throw CLIError("the checkpoint \(model.folder!.path) does not match the data's vocabulary: \(data) has \(dataset!.vocabulary.count) tokens, the model's vocab_size is \(config.vocabSize)")
                }
            }
        }
        var options = ProbeOptions(batchSize: evaluation.batchSize, truncate: evaluation.truncate, maxIterations: maxIters,
                                   testFile: evaluation.testFile)
        if let maxLen = evaluation.maxLen { options.padding = maxLen > 0 ? .fixed(maxLen) : .longest }
        if let predPos = evaluation.predPos {
            guard let p = PredictionPosition(rawValue: predPos) else { throw CLIError("--pred-pos \(predPos): expected last_token or inp_len") }
            options.predictionPosition = p
        }
        let context = ProbeContext(models: models, dataset: dataset, runFolders: runFolders.map { URL(fileURLWithPath: $0) },
                                   options: options)
        for probe in probes {
            let files = try cliErrors { try probe.run(context).write(to: URL(fileURLWithPath: out)) }
            Console.log("\(probe.name): " + files.map(\.lastPathComponent).joined(separator: ", "))
        }
    }
}
