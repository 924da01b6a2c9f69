import Foundation
import KnowledgeGraph
import RecurrentDepth
import TensorKit

/// Which position of each example a per-step probe reads.
public enum MonitoredPosition: String, Codable, Sendable, CaseIterable {
    /// Where the model answers: the prediction position (`last_token` or `inp_len`).
    case predictionPosition = "pred_pos"
    /// `min(input_length, T − 1)`, the first pad position: what the reference's margin script
    /// monitors (the same as the last position for a model without position embeddings).
    case firstPad = "first_pad"

    public func positions(lengths: [Int], paddedLength: Int, predictionPosition: PredictionPosition) -> [Int] {
        switch self {
        case .predictionPosition: return predictionPosition.positions(lengths: lengths, paddedLength: paddedLength)
        case .firstPad: return lengths.map { min(max($0, 0), paddedLength - 1) }
        }
    }
}

/// The examples of `split` in file order, batched as the context says, as model inputs reading
/// `position`, with their answers.
func forEachBatch(of split: Split, model: ProbeModel, context: ProbeContext, position: MonitoredPosition,
                  _ body: (ModelInput, [Int32]) throws -> Void) throws {
    let (padding, predictionPosition) = context.evaluationSettings(for: model)
    let batcher = try Batcher(examples: split.examples, batchSize: max(1, context.options.batchSize), padding: padding,
                              truncate: context.options.truncate, splitName: split.name)
    for batch in batcher.batches() {
        var input = ModelInput(batch, predictionPosition: predictionPosition)
        input.positions = position.positions(lengths: batch.inputLengths.map(Int.init), paddedLength: batch.length,
                                             predictionPosition: predictionPosition)
        try body(input, batch.labels)
    }
}

/// At most `n` examples of `split` (all when `n` is 0), drawn without replacement by a fixed seed
/// so that repeated runs measure the same examples (the reference's `--sample_size`, seed 42).
func sample(_ split: Split, _ n: Int) -> Split {
    guard n > 0, split.count > n else { return split }
    var generator = SeededGenerator(seed: 42)
    let picked = generator.sample(n, from: split.count).sorted()
    return Split(name: split.name, examples: picked.map { split.examples[$0] })
}

/// "7hop_test" → "7-hop", as the reference labels its figures; other names unchanged.
public func displayLabel(forSplit name: String) -> String {
    // `2hop_test` → `2-hop test`: the hop count reads first, and train and test samples of the
    // same depth stay distinguishable in a legend.
    guard let hops = hopCount(ofType: name), name.hasPrefix("\(hops)hop") else { return name }
    let rest = name.dropFirst("\(hops)hop".count).drop { $0 == "_" }
    return rest.isEmpty ? "\(hops)-hop" : "\(hops)-hop \(rest)"
}

/// The hop count of a test type: `{k}hop…` is k, an atomic type (`atomic`, `id_atomic`,
/// `ood_atomic`, `atomic_facts`) is 1; anything else nil.
public func hopCount(ofType type: String) -> Int? {
    let digits = type.prefix { $0.isASCII && $0.isNumber }
    if !digits.isEmpty, type.dropFirst(digits.count).hasPrefix("hop"), let k = Int(digits) { return k }
    if type.contains("atomic") { return 1 }
    return nil
}
