import XCTest
import TensorKit
import FixtureSupport
import ModelFixtureSupport
@testable import RecurrentDepth

/// Dropout where PyTorch puts it: the `dropout-r2` fixture's model run on the masks PyTorch drew
/// for one training pass (the embedding's, then per step and block the attention probabilities'
/// and both residual branches') gives PyTorch's logits after each step count, losses and gradients.
final class DropoutParityTests: XCTestCase {
    /// The case's masks for a pass of `recurrence` steps, as a `Dropout` that hands them out in order.
    func givenDropout(_ c: FixtureCase, recurrence: Int, config: ModelConfig) throws -> Dropout {
        let stored = try SafeTensorsArchive(contentsOf: c.folder.appendingPathComponent("masks.safetensors"))
        var masks = DropoutMasks(embedding: [try stored.tensor("embedding")])
        for t in 0..<recurrence {
            for l in 0..<config.layers {
                masks.attention.append(try stored.tensor("step\(t).block\(l).attn_probs"))
                masks.residual += [try stored.tensor("step\(t).block\(l).attn_out"), try stored.tensor("step\(t).block\(l).mlp_out")]
            }
        }
        return Dropout(embedding: config.embeddingDropout, attention: config.attentionDropout, residual: config.residualDropout, masks: masks)
    }

    func testDropoutMatchesPyTorchOnTheSameMasks() throws {
        let c = try FixtureCase("dropout-r2")
        let model = try Checkpoint.readModel(from: c.folder)
        let config = model.config
        XCTAssertTrue(config.embeddingDropout > 0 && config.attentionDropout > 0 && config.residualDropout > 0,
                      "the case exercises all three rates")
        let input = try c.input, recurrence = try c.recurrence, targets = try c.labels, losses = try c.losses

        for k in 1...recurrence {
            let dropout = try givenDropout(c, recurrence: k, config: config)
            let logits = try withoutGrad { model.readout(try model.run(input, recurrence: k, dropout: dropout).hidden!) }
            assertClose(logits, try c.expected.tensor("logits.r\(k)"), rtol: 1e-4, atol: 1e-4, "logits.r\(k)")
            XCTAssertEqual(dropout.givenMasks?.count, 0, "the \(k)-step pass uses every mask of PyTorch's")
        }
        // The masks matter: without them the logits are far from PyTorch's.
        let undropped = try withoutGrad { model.readout(try model.run(input, recurrence: recurrence).hidden!) }
        let expected = try c.expected.tensor("logits.r\(recurrence)")
        XCTAssertGreaterThan(zip(undropped.scalars, expected.scalars).map { abs($0 - $1) }.max()!, 1)

        func answerLogits() throws -> Tensor {
            let output = try model.run(input, recurrence: recurrence, dropout: try givenDropout(c, recurrence: recurrence, config: config))
            return model.readout(model.rows(of: output.hidden!, at: input.positions))
        }
        let plain = try withoutGrad { Tensor.crossEntropy(try answerLogits(), targets: targets) }
        XCTAssertEqual(Double(plain.item), losses["loss_ls0.0"]!, accuracy: 1e-5 * abs(losses["loss_ls0.0"]!), "loss ε 0")
        let loss = Tensor.crossEntropy(try answerLogits(), targets: targets, labelSmoothing: 0.1)
        XCTAssertEqual(Double(loss.item), losses["loss_ls0.1"]!, accuracy: 1e-5 * abs(losses["loss_ls0.1"]!), "loss ε 0.1")
        loss.backward()
        for (key, p) in model.namedParameters {
            let expected = try c.expected.tensor("grad.\(key)")
            let scale = expected.scalars.map(abs).max() ?? 1
            assertClose(p.grad!, expected, rtol: 1e-3, atol: 1e-4 * scale, "grad.\(key)")
        }
    }

    /// Given masks are handed out per kind in order, and the drawn masks are those of the generator.
    func testGivenMasksAreUsedInOrder() throws {
        let x = Tensor(shape: [1, 2], scalars: [3, 5])
        let first = Tensor(shape: [1, 2], scalars: [0, 2]), second = Tensor(shape: [1, 2], scalars: [2, 0])
        let given = Dropout(embedding: 0.5, attention: 0, residual: 0.5, masks: DropoutMasks(embedding: [first], residual: [second]))
        XCTAssertEqual(Dropout.apply(given, \.residual, to: x).scalars, [6, 0])
        XCTAssertEqual(Dropout.apply(given, \.embedding, to: x).scalars, [0, 10])
        XCTAssertNil(given.attentionMask(batch: 1, heads: 1, time: 2), "rate 0 draws no mask")
        XCTAssertEqual(given.givenMasks?.count, 0)

        var generator = RandomGenerator(seed: 4)
        let drawn = Dropout(embedding: 0.5, attention: 0, residual: 0, generator: generator)
        XCTAssertEqual(Dropout.apply(drawn, \.embedding, to: x).scalars, x.dropout(0.5, using: &generator).scalars)
        XCTAssertNil(drawn.givenMasks)
    }
}
