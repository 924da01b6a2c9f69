import XCTest
import TensorKit

/// The same seed gives bitwise the same numbers with 1 and with 2 threads.
final class DeterminismTests: XCTestCase {
    /// A small transformer-like step: embedding, layer norm, attention, GELU MLP, tied
    /// unembedding, cross-entropy, backward and AdamW — large enough that kernels split over threads.
    func trainStep(threads: Int) -> [[Float]] {
        withBackend(CPUBackend(threads: threads)) {
            var rng = RandomGenerator(seed: 2024)
            let (b, t, d, heads, vocab) = (16, 12, 64, 4, 97)
            let table = Tensor.randomNormal([vocab, d], using: &rng, requiresGrad: true)
            let wqkv = Tensor.randomNormal([d, 3 * d], std: 0.02, using: &rng, requiresGrad: true)
            let wfc = Tensor.randomNormal([d, 4 * d], std: 0.02, using: &rng, requiresGrad: true)
            let wproj = Tensor.randomNormal([4 * d, d], std: 0.02, using: &rng, requiresGrad: true)
            let gamma = Tensor.ones([d], requiresGrad: true), beta = Tensor.zeros([d], requiresGrad: true)
            let params = [table, wqkv, wfc, wproj, gamma, beta]
            let ids = IDTensor(shape: [b, t], ids: (0..<(b * t)).map { _ in rng.nextInt(below: vocab) })
            let mask = Tensor.ones([b, t])
            let drop = Tensor.dropoutMask([b, heads, t, t], p: 0.1, using: &rng)
            var h = table.gatherRows(ids)
            h = h + Tensor.causalAttention(Tensor.matmul(Tensor.layerNorm(h, weight: gamma, bias: beta), wqkv),
                                           attentionMask: mask, heads: heads, dropoutMask: drop)
            h = h + Tensor.matmul(Tensor.matmul(h, wfc).gelu(), wproj)
            let last = h.sliced(axis: 1, (t - 1)..<t).reshaped([b, d])
            let logits = Tensor.matmul(last, table, transposeB: true)
            let loss = Tensor.crossEntropy(logits, targets: IDTensor(shape: [b], ids: (0..<b).map { $0 % vocab }),
                                           labelSmoothing: 0.1)
            loss.backward()
            let norm = clipGradientNorm(params, maxNorm: 0.5)
            AdamW(parameters: params, learningRate: 1e-3, weightDecay: 0.1).step()
            return [[loss.item, Float(norm)]] + params.map(\.scalars) + params.map { $0.grad!.scalars }
        }
    }

    func testTrainingStepIsIdenticalWithOneAndTwoThreads() {
        let one = trainStep(threads: 1), two = trainStep(threads: 2)
        XCTAssertEqual(one.count, two.count)
        for (i, (a, b)) in zip(one, two).enumerated() {
            XCTAssertEqual(a, b, "array \(i) differs between 1 and 2 threads")
        }
    }

    func testLargeKernelsAreIdenticalWithOneAndTwoThreads() {
        func run(_ threads: Int) -> [Float] {
            withBackend(CPUBackend(threads: threads)) {
                let a = randomTensor([300, 257], seed: 1), b = randomTensor([257, 129], seed: 2)
                let y = Tensor.matmul(a, b)
                let s = y.softmax() + y.gelu() + y.exp().log()
                return s.sum(axis: 0).scalars + s.sum(axis: 1).scalars + s.logSoftmax().scalars
            }
        }
        XCTAssertEqual(run(1), run(2))
    }
}
