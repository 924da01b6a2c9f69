import Foundation
import KnowledgeGraph
import TensorKit

/// Accuracy of one test type.
public struct TypeAccuracy: Codable, Equatable {
    public var type: String
    public var count: Int
    public var correct: Int
    /// Mean recurrence steps used per example.
    public var meanIterations: Double

    public var accuracy: Double { count == 0 ? 0 : Double(correct) / Double(count) }
}

extension ModelInput {
    /// A KnowledgeGraph batch as model input: the id and mask arrays move into tensors whole.
    public init(_ batch: Batch, predictionPosition: PredictionPosition) {
        let spans = batch.targetCounts.contains { $0 != 1 } ? batch.targetCounts.map(Int.init) : nil
        self.init(ids: IDTensor(shape: [batch.size, batch.length], ids: batch.inputIDs),
                  mask: Tensor(shape: [batch.size, batch.length], scalars: batch.attentionMask),
                  positions: predictionPosition.positions(lengths: batch.inputLengths.map(Int.init), paddedLength: batch.length),
                  spans: spans)
    }
}

extension PredictionPosition {
    /// The padding that evaluates `split` one test type at a time and reads each example where
    /// training reads it. Training batches mix lengths, and `last_token` with padding to the longest
    /// reads a short example at its batch's last position, a padding position (the reference's
    /// collation, kept). Batches of one short type alone would read it at its own last token
    /// instead, a position training rarely answers at; so each type's batches are padded to the
    /// longest input of the whole split, the length its mixed batches have. Other combinations
    /// read the same position either way and keep `padding`.
    public func evaluationPadding(_ padding: Padding, split: Split) -> Padding {
        guard self == .lastToken, case .longest = padding else { return padding }
        return .fixed(split.examples.reduce(1) { Swift.max($0, $1.inputIDs.count) })
    }
}

/// Evaluates `split` one test type at a time (in the split's order of types), in batches, with
/// `evaluator` deciding how each batch is answered. Each example is read where training reads it
/// (`PredictionPosition.evaluationPadding(_:split:)`). An example is right when every token it
/// predicts is (exact match: for an answer of several tokens, what greedy decoding would give).
public func evaluateByType(_ model: RecurrentGPT2, split: Split, evaluator: Evaluator, batchSize: Int,
                           padding: Padding, truncate: Bool = false, targets: Targets = .answer,
                           predictionPosition: PredictionPosition) throws -> [TypeAccuracy] {
    var results: [TypeAccuracy] = []
    let padding = predictionPosition.evaluationPadding(padding, split: split)
    for (type, group) in split.groupedByType() {
        let batcher = try Batcher(examples: group.examples, batchSize: batchSize, padding: padding, truncate: truncate,
                                  targets: targets, splitName: "\(split.name) (\(type))")
        var result = TypeAccuracy(type: type, count: 0, correct: 0, meanIterations: 0)
        var iterations = 0
        for batch in batcher.batches() {
            let answers = try evaluator.answer(ModelInput(batch, predictionPosition: predictionPosition), model: model)
            guard answers.answers.count == batch.labels.count else {
                throw RecurrentDepthError.invalidInput("\(evaluator.name) gave \(answers.answers.count) answer tokens for "
                                                       + "\(batch.labels.count) predicted tokens; it reads one answer token per example")
            }
            var row = 0
            for i in 0..<batch.size {
                let n = Int(batch.targetCounts[i])
                if answers.answers[row..<row + n].elementsEqual(batch.labels[row..<row + n]) { result.correct += 1 }
                row += n
            }
            result.count += batch.size
            iterations += answers.iterations.reduce(0, +)
        }
        result.meanIterations = result.count == 0 ? 0 : Double(iterations) / Double(result.count)
        results.append(result)
    }
    return results
}

/// Perplexity of `split` per test type at a fixed recurrence: `exp` of the mean cross-entropy over
/// every token the examples predict (`targets`), the language-modelling measure.
public func perplexityByType(_ model: RecurrentGPT2, split: Split, recurrence: Int, batchSize: Int, padding: Padding,
                             targets: Targets, predictionPosition: PredictionPosition) throws -> [String: Double] {
    var result: [String: Double] = [:]
    for (type, group) in split.groupedByType() {
        let batcher = try Batcher(examples: group.examples, batchSize: batchSize, padding: padding, targets: targets,
                                  splitName: "\(split.name) (\(type))")
        var total = 0.0, tokens = 0
        for batch in batcher.batches() {
            let logits = try withoutGrad { try model.monitoredLogits(ModelInput(batch, predictionPosition: predictionPosition), recurrence: recurrence) }
            let loss = Tensor.crossEntropy(logits, targets: IDTensor(shape: [batch.labels.count], ids: batch.labels))
            total += Double(loss.item) * Double(batch.labels.count)
            tokens += batch.labels.count
        }
        result[type] = Foundation.exp(total / Double(max(tokens, 1)))
    }
    return result
}
