import XCTest
import TensorKit

/// `Tensor.linear`: the fused product + bias (+ GELU) against the reference backend, against the
/// ops it replaces, and against finite differences.
final class LinearTests: XCTestCase {
    /// Direct (small) and packed GEMM paths, ragged tiles, 2-d and 3-d inputs.
    static let shapes: [(input: [Int], outputs: Int)] = [([3, 5], 7), ([2, 4, 16], 48), ([150, 70], 45), ([4, 16, 128], 512)]

    func testMatchesReferenceBackend() {
        for (i, (input, n)) in Self.shapes.enumerated() {
            let k = input.last!
            for activation in [Activation.identity, .gelu] {
                crossCheck([randomTensor(input, seed: UInt64(10 + i)), randomTensor([k, n], seed: UInt64(20 + i), std: 0.2),
                            randomTensor([n], seed: UInt64(30 + i))], "linear \(input)·[\(k), \(n)] \(activation)") { xs in
                    Tensor.linear(xs[0], weight: xs[1], bias: xs[2], activation: activation)
                }
            }
        }
    }

    /// The fused op computes what `matmul + bias` (then `.gelu()`) computes: same values, same gradients.
    func testMatchesUnfusedOps() {
        for (i, (input, n)) in Self.shapes.enumerated() {
            let k = input.last!
            let inputs = [randomTensor(input, seed: UInt64(40 + i)), randomTensor([k, n], seed: UInt64(50 + i), std: 0.2),
                          randomTensor([n], seed: UInt64(60 + i))]
            for activation in [Activation.identity, .gelu] {
                func run(_ f: ([Tensor]) -> Tensor) -> (Tensor, [Tensor]) {
                    let xs = leaves(inputs)
                    let y = f(xs)
                    (y * randomTensor(y.shape, seed: 7)).sum().backward()
                    return (y.detached(), xs.map { $0.grad! })
                }
                let (fused, fusedGrads) = run { Tensor.linear($0[0], weight: $0[1], bias: $0[2], activation: activation) }
                let (plain, plainGrads) = run { xs in
                    let y = Tensor.matmul(xs[0], xs[1]) + xs[2]
                    return activation == .gelu ? y.gelu() : y
                }
                XCTAssertEqual(fused.shape, plain.shape)
                assertClose(fused, plain, rtol: 1e-6, atol: 1e-6, "linear \(input) \(activation) forward")
                for (g1, g2) in zip(fusedGrads, plainGrads) { assertClose(g1, g2, rtol: 1e-5, atol: 1e-5, "linear \(input) \(activation) gradient") }
                // Without a gradient the GELU layer keeps no pre-activation, and gives the same values.
                let inference = withoutGrad { Tensor.linear(inputs[0], weight: inputs[1], bias: inputs[2], activation: activation) }
                XCTAssertEqual(inference.scalars, fused.scalars, "linear \(input) \(activation) under withoutGrad")
            }
        }
    }

    func testGradientsMatchFiniteDifferences() {
        for activation in [Activation.identity, .gelu] {
            checkGradients([randomTensor([2, 3, 6], seed: 1), randomTensor([6, 5], seed: 2, std: 0.5), randomTensor([5], seed: 3)],
                           "linear \(activation)") { xs in
                Tensor.linear(xs[0], weight: xs[1], bias: xs[2], activation: activation)
            }
        }
    }
}
