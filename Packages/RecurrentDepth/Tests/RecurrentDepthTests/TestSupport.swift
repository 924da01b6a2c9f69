import TensorKit
import RecurrentDepth

/// A small fresh model for tests that need one.
func smallModel(positional: PositionalEmbedding = .learned, injection: Bool = false, seed: UInt64 = 7,
                vocab: Int = 30, d: Int = 16, layers: Int = 2, heads: Int = 2) throws -> RecurrentGPT2 {
    var generator = RandomGenerator(seed: seed)
    let config = ModelConfig(vocabSize: vocab, embeddingSize: d, layers: layers, heads: heads, positions: 12,
                             positionalEmbedding: positional, inputInjection: injection, recurrence: 3)
    return try RecurrentGPT2(config: config, generator: &generator)
}
