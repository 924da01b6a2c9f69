import Foundation
import XCTest
import KnowledgeGraph
import TensorKit
import RecurrentDepth
import Halting

/// A batch of `count` random sequences for a model: lengths 2...T, random tokens, right-padded.
func randomInput(vocab: Int, length t: Int, count b: Int, seed: UInt64, position: PredictionPosition = .inputLength) -> ModelInput {
    var generator = SeededGenerator(seed: seed)
    var ids = [Int32](repeating: 0, count: b * t), mask = [Float](repeating: 0, count: b * t), lengths: [Int] = []
    for i in 0..<b {
        let n = 2 + generator.uniform(below: t - 1)
        lengths.append(n)
        for j in 0..<n { ids[i * t + j] = Int32(1 + generator.uniform(below: vocab - 1)); mask[i * t + j] = 1 }
    }
    return ModelInput(ids: IDTensor(shape: [b, t], ids: ids), mask: Tensor(shape: [b, t], scalars: mask),
                      positions: position.positions(lengths: lengths, paddedLength: t))
}

/// A small generated permutation-graph dataset (no files).
func smallDataset(seed: UInt64 = 5) throws -> GeneratedDataset {
    let parameters = DepthExtrapolationGenerator.Parameters(entities: 12, relations: 3, minHops: 2, maxHops: 3, trainChainsPerHop: 40,
                                                            testChainsPerHop: 20, atomicSampleInTest: 36, trainSampleInTest: 10,
                                                            smallTestPerType: 2, seed: seed)
    return try DepthExtrapolationGenerator(parameters: parameters).generate()
}

func smallModel(vocab: Int, seed: UInt64 = 7, injection: Bool = false) throws -> RecurrentGPT2 {
    var generator = RandomGenerator(seed: seed)
    let config = ModelConfig(vocabSize: vocab, embeddingSize: 32, layers: 2, heads: 4, positions: 8,
                             positionalEmbedding: .learned, inputInjection: injection, recurrence: 2)
    return try RecurrentGPT2(config: config, generator: &generator)
}

/// Logits over `v` tokens that are 0 on `support` and −40 elsewhere: a distribution (almost
/// exactly) uniform over the support, entropy ≈ ln |support|.
func uniformLogits(over support: Range<Int>, v: Int) -> [Float] {
    (0..<v).map { support.contains($0) ? 0 : -40 }
}
