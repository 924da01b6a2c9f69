import XCTest
import TensorKit
import RecurrentDepth
import FixtureSupport

final class ModelTests: XCTestCase {
    /// The reference's initialization: embeddings N(0, 1), projections N(0, 0.02), biases 0,
    /// LayerNorm 1/0, `c_scale` on both `c_proj` weights.
    func testInitialization() throws {
        var generator = RandomGenerator(seed: 1)
        let config = ModelConfig(vocabSize: 200, embeddingSize: 64, layers: 2, heads: 4, positions: 50, cScale: 0.5)
        let model = try RecurrentGPT2(config: config, generator: &generator)
        func std(_ t: Tensor) -> Double {
            let x = t.scalars.map(Double.init), mean = x.reduce(0, +) / Double(x.count)
            return (x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(x.count)).squareRoot()
        }
        XCTAssertEqual(std(model.tokenEmbedding), 1, accuracy: 0.03)
        XCTAssertEqual(std(model.positionEmbedding!), 1, accuracy: 0.05)
        XCTAssertEqual(std(model.blocks[0].attention.weight), 0.02, accuracy: 0.001)
        XCTAssertEqual(std(model.blocks[1].feedForwardProjection.weight), 0.01, accuracy: 0.0005)
        XCTAssertEqual(std(model.blocks[1].attentionProjection.weight), 0.01, accuracy: 0.001)
        XCTAssertTrue(model.blocks[0].attention.bias.scalars.allSatisfy { $0 == 0 })
        XCTAssertTrue(model.finalNorm.weight.scalars.allSatisfy { $0 == 1 })
        XCTAssertEqual(model.namedParameters.count, 2 + 12 * 2 + 2)
        XCTAssertEqual(model.parameterCount, 200 * 64 + 50 * 64 + 2 * (12 * 64 * 64 + 13 * 64) + 2 * 64)
    }

    /// `c_scale` 0 (the extrapolation default) makes every block the identity at initialization.
    func testZeroCScaleStartsEveryBlockAsIdentity() throws {
        var generator = RandomGenerator(seed: 2)
        let config = ModelConfig(vocabSize: 20, embeddingSize: 16, layers: 2, heads: 2, positions: 8, recurrence: 3, cScale: 0)
        let model = try RecurrentGPT2(config: config, generator: &generator)
        let input = ModelInput(ids: IDTensor(shape: [1, 3], ids: [3, 4, 5]), mask: Tensor.ones([1, 3]), positions: [2])
        try withoutGrad {
            let out = try model.run(input, recurrence: 3)
            assertClose(out.hidden!, model.embed(input.ids), rtol: 0, atol: 0, "identity blocks")
        }
    }

    /// `monitoredLogits` computes only what reaches the monitored rows: the logits and every
    /// parameter gradient equal those read from the full hidden states, for positions that differ
    /// per example (padding included) and with input injection.
    func testMonitoredLogitsEqualTheFullForward() throws {
        var generator = RandomGenerator(seed: 4)
        let config = ModelConfig(vocabSize: 30, embeddingSize: 32, layers: 2, heads: 4, positions: 8,
                                 inputInjection: true, recurrence: 3, cScale: 1)
        let model = try RecurrentGPT2(config: config, generator: &generator)
        let input = ModelInput(ids: IDTensor(shape: [3, 5], ids: [1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 9, 10, 11, 12, 13]),
                               mask: Tensor(shape: [3, 5], scalars: [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1]),
                               positions: [4, 2, 0])
        let targets = IDTensor([3, 4, 5])
        func gradients(_ logits: () throws -> Tensor) rethrows -> (Tensor, [[Float]]) {
            for p in model.parameters { p.zeroGrad() }
            let l = try logits()
            Tensor.crossEntropy(l, targets: targets).backward()
            return (l.detached(), model.parameters.map { $0.grad?.scalars ?? [] })
        }
        let (pruned, prunedGrads) = try gradients { try model.monitoredLogits(input, recurrence: 3) }
        let (full, fullGrads) = try gradients {
            let output = try model.run(input, recurrence: 3)
            return model.readout(model.rows(of: output.hidden!, at: output.positions))
        }
        XCTAssertEqual(pruned.shape, [3, 30])
        assertClose(pruned, full, rtol: 1e-5, atol: 1e-6, "monitored logits")
        for (name, (a, b)) in zip(model.namedParameters.map(\.0), zip(prunedGrads, fullGrads)) {
            assertClose(Tensor(a), Tensor(b), rtol: 1e-4, atol: 1e-6, "gradient of \(name)")
        }
    }

    /// All dropout rates 0 compute exactly the model without dropout; positive rates change the
    /// training forward pass, reproducibly for the same generator state.
    func testDropout() throws {
        let model = try smallModel()
        let input = ModelInput(ids: IDTensor(shape: [2, 4], ids: [1, 2, 3, 4, 5, 6, 7, 0]),
                               mask: Tensor(shape: [2, 4], scalars: [1, 1, 1, 1, 1, 1, 1, 0]), positions: [3, 2])
        try withoutGrad {
            let plain = try model.monitoredLogits(input, recurrence: 2)
            let zero = try model.monitoredLogits(input, recurrence: 2, dropout: Dropout(embedding: 0, attention: 0, residual: 0, generator: RandomGenerator(seed: 3)))
            XCTAssertEqual(plain.scalars, zero.scalars)
            let a = try model.monitoredLogits(input, recurrence: 2, dropout: Dropout(embedding: 0.1, attention: 0.1, residual: 0.1, generator: RandomGenerator(seed: 3)))
            let b = try model.monitoredLogits(input, recurrence: 2, dropout: Dropout(embedding: 0.1, attention: 0.1, residual: 0.1, generator: RandomGenerator(seed: 3)))
            XCTAssertNotEqual(plain.scalars, a.scalars)
            XCTAssertEqual(a.scalars, b.scalars)
            for (name, rates) in [("embedding", (0.5, 0.0, 0.0)), ("attention", (0.0, 0.5, 0.0)), ("residual", (0.0, 0.0, 0.5))] {
                let d = Dropout(embedding: Float(rates.0), attention: Float(rates.1), residual: Float(rates.2), generator: RandomGenerator(seed: 4))
                XCTAssertNotEqual(try model.monitoredLogits(input, recurrence: 2, dropout: d).scalars, plain.scalars, name)
            }
        }
    }

    func testInvalidConfigsAreRejectedWithEveryProblem() {
        var generator = RandomGenerator(seed: 1)
        let config = ModelConfig(vocabSize: 0, embeddingSize: 30, layers: 0, heads: 4, positions: 8, embeddingDropout: 1)
        XCTAssertThrowsError(try RecurrentGPT2(config: config, generator: &generator)) { error in
            let text = "\(error)"
            for part in ["vocab_size", "n_head (4)", "n_layer", "embd_pdrop"] { XCTAssertTrue(text.contains(part), text) }
        }
    }

    func testSinusoidTableFollowsTheFormula() {
        let table = RecurrentGPT2.sinusoidTable(positions: 5, size: 6)
        for p in 0..<5 {
            for i in stride(from: 0, to: 6, by: 2) {
                let angle = Double(p) / pow(10000, Double(i) / 6)
                XCTAssertEqual(Double(table[p, i]), sin(angle), accuracy: 1e-6)
                XCTAssertEqual(Double(table[p, i + 1]), cos(angle), accuracy: 1e-6)
            }
        }
    }
}
