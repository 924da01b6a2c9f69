import ArgumentParser
import Foundation
import KnowledgeGraph
import RecurrentDepth
import Halting

/// Options shared by `loop eval` and `loop analyze`: how test batches are formed. Unset options
/// take the checkpoint's training config when it has one.
struct EvaluationOptions: ParsableArguments {
    @Option(help: "Test file of the dataset, without .json.") var testFile: String = "test"
    @Option(help: "Pad to this length; 0 pads to the longest in each batch (default: as trained, else 0).") var maxLen: Int?
    @Option(help: "Answer position: last_token or inp_len (default: as trained, else last_token).") var predPos: String?
    @Option(help: "Examples per batch.") var batchSize: Int = 512
    @Flag(help: "Cut sequences longer than max_len instead of failing.") var truncate = false

    func resolved(for checkpoint: URL) throws -> (padding: Padding, position: PredictionPosition) {
        let file = checkpoint.appendingPathComponent(Trainer.configFile)
        let training = FileManager.default.fileExists(atPath: file.path) ? try cliErrors { try Checkpoint.decodeJSON(TrainingConfig.self, from: file) } : nil
        let padding: Padding = maxLen.map { $0 > 0 ? .fixed($0) : .longest } ?? training?.padding ?? .longest
        var position = training?.predictionPosition ?? .lastToken
        if let predPos {
            guard let p = PredictionPosition(rawValue: predPos) else { throw CLIError("--pred-pos \(predPos): expected last_token or inp_len") }
            position = p
        }
        guard batchSize >= 1 else { throw CLIError("--batch-size must be at least 1") }
        return (padding, position)
    }
}

/// Loads a checkpoint and a dataset and checks that they belong together.
func loadModelAndData(checkpoint: String, data: String) throws -> (RecurrentGPT2, Dataset) {
    let model = try cliErrors { try Checkpoint.readModel(from: URL(fileURLWithPath: checkpoint)) }
    let dataset = try cliErrors { try Dataset.load(from: URL(fileURLWithPath: data)) }
    if dataset.vocabulary.count > model.config.vocabSize {
        throw CLIError("the checkpoint \(checkpoint) does not match the data's vocabulary: \(data) has \(dataset.vocabulary.count) tokens, the model's vocab_size is \(model.config.vocabSize)")
    }
    return (model, dataset)
}

/// Parses `A...B` (or `A..B`, `A-B`) into a range of recurrences.
func parseRange(_ text: String) throws -> ClosedRange<Int> {
    for separator in ["...", "..", "-"] where text.contains(separator) {
        let parts = text.components(separatedBy: separator)
        if parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a >= 1, b >= a { return a...b }
    }
    throw CLIError("--recurrence-range \(text): expected A...B with 1 ≤ A ≤ B, e.g. 1...16")
}
