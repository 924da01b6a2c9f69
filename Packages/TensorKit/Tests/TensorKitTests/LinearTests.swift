import XCTest
import TensorKit
import FixtureSupport

/// `Tensor.linear`: the fused product + bias (+ GELU) (+ residual) against the reference backend,
/// against the ops it replaces, and against finite differences.
final class LinearTests: XCTestCase {
    /// Direct (small) and packed GEMM paths, ragged tiles, 2-d and 3-d inputs.
    static let shapes: [(input: [Int], outputs: Int)] = [([3, 5], 7), ([2, 4, 16], 48), ([150, 70], 45), ([4, 16, 128], 512)]

    /// `f` on fresh leaves made from `inputs`, and every input's gradient of `sum(f · upstream)`
    /// with a fixed random upstream gradient.
    func valueAndGradients(_ inputs: [Tensor], upstreamSeed: UInt64, _ f: ([Tensor]) -> Tensor) -> (Tensor, [Tensor]) {
        let xs = leaves(inputs)
        let y = f(xs)
        (y * randomTensor(y.shape, seed: upstreamSeed)).sum().backward()
        return (y.detached(), xs.map { $0.grad! })
    }

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
                let (fused, fusedGrads) = valueAndGradients(inputs, upstreamSeed: 8) {
                    Tensor.linear($0[0], weight: $0[1], bias: $0[2], activation: activation, residual: $0[3])
                }
                let (plain, plainGrads) = valueAndGradients(inputs, upstreamSeed: 8) {
                    $0[3] + Tensor.linear($0[0], weight: $0[1], bias: $0[2], activation: activation)
                }
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
                let (fused, fusedGrads) = valueAndGradients(inputs, upstreamSeed: 7) {
                    Tensor.linear($0[0], weight: $0[1], bias: $0[2], activation: activation)
                }
                let (plain, plainGrads) = valueAndGradients(inputs, upstreamSeed: 7) { xs in
                    let y = Tensor.matmul(xs[0], xs[1]) + xs[2]
                    return activation == .gelu ? y.gelu() : y
                }
                XCTAssertEqual(fused.shape, plain.shape)
                assertClose(fused, plain, rtol: 1e-6, atol: 1e-6, "linear \(input) \(activation) forward")
                for (g1, g2) in zip(fusedGrads, plainGrads) { assertClose(g1, g2, rtol: 1e-5, atol: 1e-5, "linear \(input) \(activation) gradient") }
                // Without a gradient the GELU layer keeps no derivative, and gives the same values.
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

    /// A weight applied several times (as at every recurrence step) collects the sum of its uses:
    /// the linear layer adds later uses straight into the leaf's gradient. Same sums as the plain
    /// ops' (up to the order of additions), also for a weight that is not a leaf, and a second
    /// backward adds to the first. Both sizes: the direct GEMM path and the packed one.
    func testReusedWeightAccumulatesItsGradient() {
        for (rows, width, seed) in [(5, 8, UInt64(100)), (192, 96, UInt64(110))] {
            let inputs = [randomTensor([rows, width], seed: seed), randomTensor([width, width], seed: seed + 1, std: 0.3),
                          randomTensor([width], seed: seed + 2)]
            let upstream = randomTensor([rows, width], seed: seed + 3)
            func run(backwards: Int = 1, nonLeafWeight: Bool = false,
                     _ layer: (Tensor, Tensor, Tensor) -> Tensor) -> [Tensor] {
                let xs = leaves(inputs)
                for _ in 0..<backwards {
                    let w = nonLeafWeight ? xs[1] * 1 : xs[1]
                    var h = xs[0]
                    for _ in 0..<3 { h = layer(h, w, xs[2]) }
                    (h * upstream).sum().backward()
                }
                return xs.map { $0.grad! }
            }
            let fused = run { Tensor.linear($0, weight: $1, bias: $2, activation: .gelu) }
            let plain = run { (Tensor.matmul($0, $1) + $2).gelu() }
            let nonLeaf = run(nonLeafWeight: true) { Tensor.linear($0, weight: $1, bias: $2, activation: .gelu) }
            let twice = run(backwards: 2) { Tensor.linear($0, weight: $1, bias: $2, activation: .gelu) }
            for i in 0..<3 {
                assertClose(fused[i], plain[i], rtol: 1e-5, atol: 1e-5, "input \(i), \(rows)×\(width): fused against plain ops")
                assertClose(nonLeaf[i], plain[i], rtol: 1e-5, atol: 1e-5, "input \(i), \(rows)×\(width): weight not a leaf")
                assertClose(twice[i], fused[i] * 2, rtol: 1e-5, atol: 1e-5, "input \(i), \(rows)×\(width): two backward passes add up")
            }
        }
    }
}
