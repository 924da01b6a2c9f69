import XCTest
import TensorKit

/// `Tensor.feedForward`: the fused GELU feed-forward branch against the two linear layers it
/// replaces (bit for bit, values and gradients), the reference backend and finite differences.
final class FeedForwardTests: XCTestCase {
    /// (input, hidden width, output width): the direct GEMM path, packed ones with ragged tiles, a
    /// transformer's d → 4d → d at d 128.
    static let shapes: [(input: [Int], hidden: Int, outputs: Int)] = [([3, 5], 7, 5), ([2, 9, 16], 40, 24),
                                                                        ([150, 70], 45, 70), ([4, 16, 128], 512, 128)]

    func inputs(_ input: [Int], _ h: Int, _ n: Int, seed: UInt64, residual: Bool) -> [Tensor] {
        let d = input.last!
        let weights = [randomTensor(input, seed: seed), randomTensor([d, h], seed: seed + 1, std: 0.3), randomTensor([h], seed: seed + 2),
                       randomTensor([h, n], seed: seed + 3, std: 0.3), randomTensor([n], seed: seed + 4)]
        return residual ? weights + [randomTensor(Array(input.dropLast()) + [n], seed: seed + 5)] : weights
    }

    func fused(_ xs: [Tensor]) -> Tensor {
        Tensor.feedForward(xs[0], hiddenWeight: xs[1], hiddenBias: xs[2], outputWeight: xs[3], outputBias: xs[4],
                           residual: xs.count > 5 ? xs[5] : nil)
    }

    func twoLayers(_ xs: [Tensor]) -> Tensor {
        let hidden = Tensor.linear(xs[0], weight: xs[1], bias: xs[2], activation: .gelu)
        return Tensor.linear(hidden, weight: xs[3], bias: xs[4], residual: xs.count > 5 ? xs[5] : nil)
    }

    /// `f`'s value and every input's gradient of `sum(f · upstream)`, applied `times` times in a
    /// row with the same weights (as at every recurrence step; `n` must then equal d).
    func run(_ inputs: [Tensor], times: Int = 1, _ f: ([Tensor]) -> Tensor) -> (Tensor, [Tensor]) {
        let xs = leaves(inputs)
        var y = xs[0]
        for _ in 0..<times { y = f([y] + xs.dropFirst()) }
        (y * randomTensor(y.shape, seed: 99)).sum().backward()
        return (y.detached(), xs.map { $0.grad! })
    }

    /// The same kernels in the same order, and in the backward pass GELU′ multiplied inside the
    /// product instead of after it: same bits, with and without a residual, on every GEMM path.
    func testMatchesTwoLinearLayersBitwise() {
        for (i, (input, h, n)) in Self.shapes.enumerated() {
            for residual in [false, true] {
                let xs = inputs(input, h, n, seed: UInt64(10 * i + 1), residual: residual)
                let (value, gradients) = run(xs, fused)
                let (expected, expectedGradients) = run(xs, twoLayers)
                XCTAssertEqual(value.shape, expected.shape)
                XCTAssertEqual(value.scalars.map(\.bitPattern), expected.scalars.map(\.bitPattern), "\(input) → \(h) → \(n) residual \(residual)")
                for (j, (g, e)) in zip(gradients, expectedGradients).enumerated() {
                    XCTAssertEqual(g.scalars.map(\.bitPattern), e.scalars.map(\.bitPattern), "input \(j) of \(input) → \(h) → \(n) residual \(residual)")
                }
                let inference = withoutGrad { fused(xs) }
                XCTAssertEqual(inference.scalars.map(\.bitPattern), expected.scalars.map(\.bitPattern), "\(input) under withoutGrad")
            }
        }
    }

    /// Weights re-applied three times (a recurrent block): each weight collects all three uses, as
    /// with the two linear layers.
    func testReappliedWeightsMatchTwoLinearLayersBitwise() {
        for (input, h) in [([5, 8], 16), ([3, 64, 96], 384)] {
            let xs = inputs(input, h, input.last!, seed: 50, residual: false)
            let (value, gradients) = run(xs, times: 3, fused)
            let (expected, expectedGradients) = run(xs, times: 3, twoLayers)
            XCTAssertEqual(value.scalars.map(\.bitPattern), expected.scalars.map(\.bitPattern), "\(input) → \(h), 3 applications")
            for (j, (g, e)) in zip(gradients, expectedGradients).enumerated() {
                XCTAssertEqual(g.scalars.map(\.bitPattern), e.scalars.map(\.bitPattern), "input \(j) of \(input) → \(h), 3 applications")
            }
        }
    }

    /// With the input and the hidden layer frozen, only the output layer gets gradients, the same
    /// bits as with two linear layers, and the frozen tensors none.
    func testFrozenHiddenLayerGetsNoGradient() {
        let xs = inputs([4, 16, 32], 64, 32, seed: 60, residual: false)
        func grads(_ f: ([Tensor]) -> Tensor) -> [Tensor?] {
            let trained = leaves(Array(xs[3...]))
            let all = Array(xs[..<3]) + trained
            (f(all) * randomTensor([4, 16, 32], seed: 98)).sum().backward()
            return all.map(\.grad)
        }
        let fusedGrads = grads(fused), expected = grads(twoLayers)
        for i in 0..<3 { XCTAssertNil(fusedGrads[i], "frozen input \(i)") }
        for i in 3..<5 {
            XCTAssertNotNil(fusedGrads[i], "trained input \(i)")
            XCTAssertEqual(fusedGrads[i]?.scalars.map(\.bitPattern), expected[i]?.scalars.map(\.bitPattern), "input \(i)")
        }
    }

    func testMatchesReferenceBackend() {
        for (i, (input, h, n)) in Self.shapes.enumerated() {
            for residual in [false, true] {
                crossCheck(inputs(input, h, n, seed: UInt64(10 * i + 5), residual: residual), "feedForward \(input) → \(h) → \(n) residual \(residual)", fused)
            }
        }
    }

    func testGradientsMatchFiniteDifferences() {
        for residual in [false, true] {
            checkGradients(inputs([2, 3, 6], 10, 5, seed: 70, residual: residual), "feedForward residual \(residual)", fused)
        }
    }
}
