import XCTest
import TensorKit
import KnowledgeGraph
import FixtureSupport
@testable import RecurrentDepth

/// Answers of several tokens: the batch holds input + answer but its last token, every answer
/// token is read at the position before it, the loss averages over the predicted tokens, and an
/// example is right only when every token is. Checked against the full grid's hidden states read
/// position by position, an independent path through the model.
final class AnswerSpanTests: XCTestCase {
    /// Inputs of lengths `lengths` (ids from 1, no shared prefixes) padded to `width`, each read at
    /// its last `spans[e]` positions.
    func input(_ lengths: [Int], spans: [Int], width: Int, seed: UInt64 = 3) -> ModelInput {
        var generator = RandomGenerator(seed: seed)
        var ids: [Int32] = [], mask: [Float] = []
        for n in lengths {
            for j in 0..<width {
                ids.append(j < n ? Int32(1 + generator.nextInt(below: 29)) : 0)
                mask.append(j < n ? 1 : 0)
            }
        }
        return ModelInput(ids: IDTensor(shape: [lengths.count, width], ids: ids), mask: Tensor(shape: [lengths.count, width], scalars: mask),
                          positions: lengths.map { $0 - 1 }, spans: spans)
    }

    /// The logits at every read position, from the whole grid's final hidden states.
    func gridLogits(_ model: RecurrentGPT2, _ input: ModelInput, recurrence: Int) throws -> Tensor {
        let output = try model.run(input, recurrence: recurrence)
        let t = input.length
        let hidden = output.hidden!.reshaped([input.batchSize * t, model.config.embeddingSize])
        return model.readout(hidden.gatherRows(IDTensor(input.readPositions.map { $0.example * t + $0.position })))
    }

    func testSpanLogitsEqualTheFullGridsAtEveryReadPosition() throws {
        for positional in [PositionalEmbedding.learned, .none] {
            let model = try smallModel(positional: positional, injection: true)
            let x = input([5, 3, 7, 4], spans: [3, 1, 7, 2], width: 9)
            XCTAssertEqual(x.readCount, 13)
            try withoutGrad {
                let packed = try model.monitoredLogits(x, recurrence: 3)
                XCTAssertEqual(packed.shape, [13, 30])
                assertClose(packed.scalars, try gridLogits(model, x, recurrence: 3).scalars, atol: 1e-5, "\(positional)")
            }
        }
    }

    func testSpanLossAndGradientAreTheMeanOverPredictedTokens() throws {
        let model = try smallModel(positional: .learned, injection: false)
        let x = input([5, 3, 7, 4], spans: [3, 1, 7, 2], width: 8)
        var generator = RandomGenerator(seed: 11)
        let labels = IDTensor(shape: [13], ids: (0..<13).map { _ in Int32(generator.nextInt(below: 30)) })
        // Reference: mean cross-entropy over the 13 read positions of the full grid, one graph.
        let reference = Tensor.crossEntropy(try gridLogits(model, x, recurrence: 2), targets: labels)
        let expected = reference.gradients(for: model.parameters)
        for shards in [1, 2, 3] {
            for p in model.parameters { p.grad = nil }
            let loss = try model.addLossGradient(x, labels: labels, recurrence: 2, shards: shards, pool: nil)
            XCTAssertEqual(loss, reference.item, accuracy: 1e-5, "shards \(shards)")
            for (p, g) in zip(model.parameters, expected) {
                assertClose(p.grad!.scalars, g!.scalars, atol: 1e-5, "shards \(shards)")
            }
        }
    }

    func testSpansMustBeRealTokens() throws {
        let model = try smallModel()
        // Read at the padded batch's last position (last_token): the span covers padding.
        var x = input([3, 4], spans: [2, 2], width: 6)
        x.positions = [5, 5]
        XCTAssertThrowsError(try withoutGrad { try model.monitoredLogits(x, recurrence: 1) }) { error in
            XCTAssertTrue("\(error)".contains("padding"), "\(error)")
        }
        XCTAssertThrowsError(try withoutGrad { try model.monitoredLogits(input([3, 4], spans: [4, 1], width: 6), recurrence: 1) })
        // Halting observers watch one position per example.
        final class Watcher: RecurrenceObserver {
            func recurrenceDidFinish(_ step: RecurrenceStep) -> Set<Int> { [] }
        }
        XCTAssertThrowsError(try withoutGrad { try model.run(input([3, 4], spans: [2, 2], width: 6), recurrence: 1, observer: Watcher()) })
    }

    /// A batch of answers with several tokens through `ModelInput`: teacher forcing, and exact
    /// match counts an example right only when every token is.
    func testExactMatchNeedsEveryAnswerToken() throws {
        let examples = [Example(inputIDs: [1, 2], answer: [3, 4, 5], type: "t"), Example(inputIDs: [2, 1], answer: [6, 7, 8], type: "t"),
                        Example(inputIDs: [1, 1, 2], answer: [9], type: "t")]
        let batch = try Batcher(examples: examples, batchSize: 3, padding: .longest).batch(of: 0..<3)
        let x = ModelInput(batch, predictionPosition: .inputLength)
        XCTAssertEqual(x.positions, [3, 3, 2])
        XCTAssertEqual(x.spans, [3, 3, 1])
        XCTAssertEqual(batch.inputIDs, [1, 2, 3, 4, 2, 1, 6, 7, 1, 1, 2, 0])
        XCTAssertEqual(batch.labels, [3, 4, 5, 6, 7, 8, 9])
        // An evaluator that gets every token but the second example's middle one.
        struct Scripted: Evaluator {
            func answer(_ input: ModelInput, model: RecurrentGPT2) throws -> BatchAnswers {
                BatchAnswers(answers: [3, 4, 5, 6, 0, 8, 9], iterations: [1, 1, 1])
            }
            var name: String { "scripted" }
        }
        let results = try evaluateByType(try smallModel(), split: Split(name: "test", examples: examples), evaluator: Scripted(),
                                         batchSize: 3, padding: .longest, predictionPosition: .inputLength)
        XCTAssertEqual(results.map(\.correct), [2])
        XCTAssertEqual(results.map(\.count), [3])
    }
}
