import ArgumentParser
import Foundation
import KnowledgeGraph
import RecurrentDepth
import Halting

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint per test type: at a fixed recurrence, over a range of recurrences, or with a halting policy.",
        discussion: """
        The checkpoint is a folder with config.json and model.safetensors (loop's, or a PyTorch state dict of the
        reference's model saved with safetensors). The output JSON uses the reference's keys: accuracy_per_type,
        avg_iterations_per_type, iterations_stats_per_type, config; a sweep writes accuracy_per_recurrence.
        The table goes to standard output; with --json (or --output -) the JSON report does instead, and the
        table goes to standard error.

        Examples:
          loop eval --checkpoint runs/perm/checkpoints/final --data data/perm --recurrence 4 --output eval-r4.json
          loop eval --checkpoint runs/perm/checkpoints/final --data data/perm --recurrence-range 1...16 --output sweep.json
          loop eval --checkpoint runs/perm/checkpoints/final --data data/perm --halting entropy-kl:eps_kl=0.001,threshold=3,max_iters=16 --output halting.json
          loop eval --checkpoint runs/perm/checkpoints/final --data data/perm --json | jq .accuracy_per_type
        """
    )

    @Option(help: "Checkpoint folder.") var checkpoint: String
    @Option(help: "Dataset folder.") var data: String
    @Option(help: "Run every example exactly N steps (default: the checkpoint's recurrence).") var recurrence: Int?
    @Option(help: "Accuracy for every recurrence in A...B, in one pass per batch.") var recurrenceRange: String?
    @Option(help: "Adaptive halting: NAME[:key=value,...] (see `loop list`).") var halting: String?
    @Option(help: "Only these test types, comma-separated.") var types: String?
    @OptionGroup var evaluation: EvaluationOptions
    @Option(help: "Where to write the JSON report (- for standard output).") var output: String?
    @Flag(help: "Print the JSON report on standard output instead of the table.") var json = false

    func validate() throws {
        let chosen = [recurrence != nil, recurrenceRange != nil, halting != nil].filter { $0 }.count
        if chosen > 1 { throw ValidationError("choose one of --recurrence, --recurrence-range and --halting") }
        if let r = recurrence, r < 1 { throw ValidationError("--recurrence must be at least 1") }
    }

    func run() throws {
        let (model, dataset) = try loadModelAndData(checkpoint: checkpoint, data: data)
        let (padding, position) = try evaluation.resolved(for: URL(fileURLWithPath: checkpoint))
        var split = try cliErrors { try dataset.split(evaluation.testFile) }
        if let types {
            let wanted = types.split(separator: ",").map(String.init)
            if let missing = wanted.first(where: { !split.types.contains($0) }) {
                throw CLIError("test type '\(missing)' is not in \(evaluation.testFile).json; it has \(split.types.joined(separator: ", "))")
            }
            split = split.selecting(types: wanted)
        }
        let config: [String: ReportValue] = ["checkpoint": .string(checkpoint), "data": .string(data)]
        let (jsonData, table): (Data, String) = try cliErrors {
            if let recurrenceRange {
                let sweep = try RecurrenceSweep(recurrences: try parseRange(recurrenceRange))
                let report = try sweep.evaluate(model, split: split, batchSize: evaluation.batchSize, padding: padding,
                                                truncate: evaluation.truncate, predictionPosition: position, config: config)
                return (try report.jsonData(), report.table())
            } else {
                let evaluator: any Evaluator
                if let halting {
                    evaluator = try AdaptiveEvaluator(policy: try activeRegistry.halting.make(halting))
                } else {
                    evaluator = FixedRecurrenceEvaluator(recurrence: recurrence ?? model.config.recurrence)
                }
                let report = try evaluateHalting(model, split: split, evaluator: evaluator, batchSize: evaluation.batchSize,
                                                 padding: padding, truncate: evaluation.truncate, predictionPosition: position,
                                                 config: config.merging(["evaluator": .string(evaluator.name)]) { $1 })
                return (try report.jsonData(), report.table())
            }
        }
        let jsonOnStandardOutput = json || output == Console.standardOutputPath
        if jsonOnStandardOutput { Console.log(table) } else { print(table) }
        if let output, output != Console.standardOutputPath { try Console.writeResult(jsonData, to: output) }
        if jsonOnStandardOutput { try Console.writeResult(jsonData, to: Console.standardOutputPath) }
    }
}
