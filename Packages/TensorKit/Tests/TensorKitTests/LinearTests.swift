import XCTest
import TensorKit

/// `Tensor.linear`: the fused product + bias (+ GELU) (+ residual) against the reference backend,
/// against the ops it replaces, and against finite differences.
final class LinearTests: XCTestCase {
    /// Direct (small) and packed GEMM paths, ragged tiles, 2-d and 3-d inputs.
    static let shapes: [(input: [Int], outputs: Int)] = [([3, 5], 7), ([2, 4, 16], 48), ([150, 70], 45), ([4, 16, 128], 512)]

    func testMatchesReferenceBackend() {
        for (i, (input, n)) in Self.shapes.enumerated() {
            let k = input.last!
            let output = Array(input.dropLast()) + [n]
            for activation in [Activation.identity, .gelu] {
                crossCheck([randomTensor(input, seed: UInt64(10 + i)), randomTensor([k, n], seed: UInt64(20 + i), std: 0.2),
                            randomTensor([n], seed: UInt64(30 + i))], "linear \(input)·[\(k), \(n)] \(activation)") { xs in
                    Tensor.linear(xs[0], weight: xs[1], bias: xs[2], activation: activation)
                }
                crossCheck([randomTensor(input, seed: UInt64(10 + i)), randomTensor([k, n], seed: UInt64(20 + i), std: 0.2),
                            randomTensor([n], seed: UInt64(30 + i)), randomTensor(output, seed: UInt64(35 + i))],
                           "linear \(input)·[\(k), \(n)] \(activation) + residual") { xs in
                    Tensor.linear(xs[0], weight: xs[1], bias: xs[2], activation: activation, residual: xs[3])
                }
            }
        }
    }

    /// With a residual: the same values, bit for bit, as the linear layer and then `residual + y`, and
    /// the same gradients (the residual's is the output's). Every GEMM path: direct, packed, ragged tiles.
    func testResidualMatchesAddingAfterwards() {
        for (i, (input, n)) in Self.shapes.enumerated() {
            let k = input.last!
            let inputs = [randomTensor(input, seed: UInt64(70 + i)), randomTensor([k, n], seed: UInt64(80 + i), std: 0.2),
                          randomTensor([n], seed: UInt64(90 + i)), randomTensor(Array(input.dropLast()) + [n], seed: UInt64(95 + i))]
            for activation in [Activation.identity, .gelu] {
                func run(_ f: ([Tensor]) -> Tensor) -> (Tensor, [Tensor]) {
                    let xs = leaves(inputs)
                    let y = f(xs)
                    (y * randomTensor(y.shape, seed: 8)).sum().backward()
                    return (y.detached(), xs.map { $0.grad! })
                }
                let (fused, fusedGrads) = run {
                    Tensor.linear($0[0], weight: $0[1], bias: $0[2], activation: activation, residual: $0[3])
                }
                let (plain, plainGrads) = run { $0[3] + Tensor.linear($0[0], weight: $0[1], bias: $0[2], activation: activation) }
                XCTAssertEqual(fused.shape, plain.shape)
                XCTAssertEqual(fused.scalars, plain.scalars, "linear \(input) \(activation) + residual forward")
                for (g1, g2) in zip(fusedGrads, plainGrads) {
                    XCTAssertEqual(g1.scalars, g2.scalars, "linear \(input) \(activation) + residual gradient")
                }
                let inference = withoutGrad {
                    Tensor.linear(inputs[0], weight: inputs[1], bias: inputs[2], activation: activation, residual: inputs[3])
                }
                XCTAssertEqual(inference.scalars, fused.scalars, "linear \(input) \(activation) + residual under withoutGrad")
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
            checkGradients([randomTensor([2, 3, 6], seed: 4), randomTensor([6, 5], seed: 5, std: 0.5), randomTensor([5], seed: 6),
                            randomTensor([2, 3, 5], seed: 7)], "linear \(activation) + residual") { xs in
                Tensor.linear(xs[0], weight: xs[1], bias: xs[2], activation: activation, residual: xs[3])
            }
        }
    }
}
