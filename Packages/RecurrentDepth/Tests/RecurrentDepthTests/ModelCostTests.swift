import XCTest
import TensorKit
@testable import RecurrentDepth

/// `ModelCost`: a hand count on a tiny config, the model's own parameter count, and the paper's
/// comparison of k ⊗ L with kL ⊗ 1 and k ⊗ 1.
final class ModelCostTests: XCTestCase {
    /// V 10, D 4, 2 layers, 2 heads (width 2), learned positions 8, r 3, T 5, counted by hand:
    ///
    ///     per block: c_attn 4·12 + 12 = 60, c_proj 4·4 + 4 = 20, mlp.c_fc 4·16 + 16 = 80,
    ///                mlp.c_proj 16·4 + 4 = 68, ln_1 and ln_2 2·(4 + 4) = 16           → 244
    ///     the rest:  token embedding 10·4 = 40, positions 8·4 = 32, ln_f 4 + 4 = 8    → 80
    ///     in all:    2·244 + 80 = 568
    ///
    ///     per token and block: c_attn 2·4·12 = 96, c_proj 2·4·4 = 32, mlp.c_fc 2·4·16 = 128,
    ///                mlp.c_proj 2·16·4 = 128; per head q·kᵀ 2·5·2 = 20 and the values 2·5·2 = 20,
    ///                two heads → 80                                                     → 464
    ///     forward:   3 steps · 2 blocks · 464 = 2784, readout 2·4·10 = 80               → 2864
    ///     training:  3 · 2864                                                           → 8592
    func testTinyConfigAgainstAHandCount() throws {
        let config = ModelConfig(vocabSize: 10, embeddingSize: 4, layers: 2, heads: 2, positions: 8, positionalEmbedding: .learned)
        let cost = ModelCost(config: config, recurrence: 3, sequenceLength: 5)
        XCTAssertEqual(cost.parametersPerBlock, 244)
        XCTAssertEqual(cost.blockParameters, 488)
        XCTAssertEqual(cost.otherParameters, 80)
        XCTAssertEqual(cost.parameters, 568)
        XCTAssertEqual(cost.effectiveDepth, 6)
        XCTAssertEqual(cost.blockFLOPsPerToken, 464)
        XCTAssertEqual(cost.readoutFLOPsPerToken, 80)
        XCTAssertEqual(cost.forwardFLOPsPerToken, 2864)
        XCTAssertEqual(cost.trainingFLOPsPerToken, 8592)
    }

    /// The parameter count is the model's, whatever the positions.
    func testParametersAreTheModelsOwn() throws {
        for positional in PositionalEmbedding.allCases {
            for (d, layers) in [(8, 1), (16, 3), (32, 2)] {
                let config = ModelConfig(vocabSize: 23, embeddingSize: d, layers: layers, heads: 2, positions: 11, positionalEmbedding: positional)
                var generator = RandomGenerator(seed: 1)
                let model = try RecurrentGPT2(config: config, generator: &generator)
                let cost = ModelCost(config: config, recurrence: 4, sequenceLength: 7)
                XCTAssertEqual(cost.parameters, model.parameterCount, "\(positional) d \(d) layers \(layers)")
                XCTAssertEqual(cost.parametersPerBlock, model.blocks[0].namedParameters.reduce(0) { $0 + $1.1.count })
            }
        }
    }

    /// k ⊗ L and kL ⊗ 1 do the same work at the same effective depth; kL ⊗ 1 holds L times the
    /// block parameters. k ⊗ 1 has k ⊗ L's parameters and 1/L of its block work.
    func testLoopedAndDeepModelsCompareAtEqualFLOPs() {
        let (k, loops, d, t) = (2, 4, 64, 50)
        func cost(layers: Int, r: Int) -> ModelCost {
            ModelCost(config: ModelConfig(vocabSize: 220, embeddingSize: d, layers: layers, heads: 4, positions: t), recurrence: r, sequenceLength: t)
        }
        let looped = cost(layers: k, r: loops), deep = cost(layers: k * loops, r: 1), shallow = cost(layers: k, r: 1)
        XCTAssertEqual(looped.forwardFLOPsPerToken, deep.forwardFLOPsPerToken)
        XCTAssertEqual(looped.trainingFLOPsPerToken, deep.trainingFLOPsPerToken)
        XCTAssertEqual(looped.effectiveDepth, deep.effectiveDepth)
        XCTAssertEqual(looped.effectiveDepth, k * loops)
        XCTAssertEqual(deep.blockParameters, loops * looped.blockParameters)
        XCTAssertEqual(deep.parametersPerBlock, looped.parametersPerBlock)
        XCTAssertEqual(shallow.parameters, looped.parameters)
        XCTAssertEqual(looped.forwardFLOPsPerToken - looped.readoutFLOPsPerToken,
                       loops * (shallow.forwardFLOPsPerToken - shallow.readoutFLOPsPerToken))
    }

    /// Attention grows with the sequence length; the rest does not.
    func testAttentionScalesWithTheSequenceLength() {
        let config = ModelConfig(vocabSize: 10, embeddingSize: 8, layers: 3, heads: 2)
        let short = ModelCost(config: config, recurrence: 2, sequenceLength: 10), long = ModelCost(config: config, recurrence: 2, sequenceLength: 20)
        XCTAssertEqual(long.forwardFLOPsPerToken - short.forwardFLOPsPerToken, 2 * 3 * 4 * 10 * 8)
        XCTAssertEqual(long.parameters, short.parameters)
    }

    func testSummaryNamesEachFigure() {
        let cost = ModelCost(config: ModelConfig(vocabSize: 220, embeddingSize: 128, layers: 2, heads: 4, positions: 64), recurrence: 4, sequenceLength: 50)
        let summary = cost.summary
        for part in ["433152 parameters (198272 per block)", "effective depth 2×4 = 8", "3.41 MFLOP/token forward", "10.2 MFLOP/token training", "T = 50"] {
            XCTAssertTrue(summary.contains(part), "\(summary) lacks \(part)")
        }
        XCTAssertEqual(ModelCost.abbreviated(999), "999 ")
        XCTAssertEqual(ModelCost.abbreviated(1_234_567), "1.23 M")
        XCTAssertEqual(ModelCost.abbreviated(45_600), "45.6 k")
    }
}
