import Foundation
import XCTest
import TensorKit
import FixtureSupport

/// Every op: the fast backend against the reference on awkward sizes, and the backward against
/// finite differences.
final class OpsTests: XCTestCase {
    let awkward = [1, 3, 17, 129]

    func testBinaryOpsWithBroadcasting() {
        let pairs: [([Int], [Int])] = [([3, 17], [3, 17]), ([129, 17], [17]), ([17, 3], [17, 1]), ([3, 1, 5], [4, 1]),
                                       ([1], [129]), ([2, 3], []), ([129], [129]),
                                       // Bias-shaped gradients: the 4-strip column sums, a ragged strip, and a 3-d input.
                                       ([37, 150], [150]), ([9, 2, 64], [64])]
        for (i, (sa, sb)) in pairs.enumerated() {
            let a = randomTensor(sa, seed: UInt64(i)), b = randomTensor(sb, seed: UInt64(100 + i)).unaryShift(3)
            crossCheck([a, b], "add \(sa) \(sb)") { $0[0] + $0[1] }
            crossCheck([a, b], "sub \(sa) \(sb)") { $0[0] - $0[1] }
            crossCheck([a, b], "mul \(sa) \(sb)") { $0[0] * $0[1] }
            crossCheck([a, b], "div \(sa) \(sb)") { $0[0] / $0[1] }
        }
        // Values: broadcasting a column against a row.
        let col = Tensor(shape: [2, 1], scalars: [1, 2]), row = Tensor([10, 20, 30])
        XCTAssertEqual((col + row).scalars, [11, 21, 31, 12, 22, 32])
        XCTAssertEqual((col * row).shape, [2, 3])
    }

    func testBinaryGradients() {
        let a = randomTensor([3, 4], seed: 1), b = randomTensor([4], seed: 2).unaryShift(3), c = randomTensor([3, 1], seed: 3)
        checkGradients([a, b], "add") { $0[0] + $0[1] }
        checkGradients([a, b], "sub") { $0[0] - $0[1] }
        checkGradients([a, b], "mul") { $0[0] * $0[1] }
        checkGradients([a, b], "div") { $0[0] / $0[1] }
        checkGradients([a, c], "mul column broadcast") { $0[0] * $0[1] }
        checkGradients([a], "scalar ops") { (2 - $0[0] * 3 + 1) / 4 }
    }

    func testUnaryOps() {
        for n in awkward {
            let x = randomTensor([n], seed: UInt64(n))
            let positive = x.detached().squared() + 0.5
            crossCheck([x], "neg \(n)") { -$0[0] }
            crossCheck([x], "exp \(n)") { $0[0].exp() }
            crossCheck([positive], "log \(n)") { $0[0].log() }
            crossCheck([positive], "sqrt \(n)") { $0[0].sqrt() }
            crossCheck([x], atol: 1e-6, "tanh \(n)") { $0[0].tanh() }
            crossCheck([x], "relu \(n)") { $0[0].relu() }
            crossCheck([x], "square \(n)") { $0[0].squared() }
            crossCheck([x * 3], atol: 1e-6, "gelu \(n)") { $0[0].gelu() }
            crossCheck([positive], "pow \(n)") { $0[0].pow(1.5) }
        }
        let x = randomTensor([3, 5], seed: 4)
        let away = Tensor(shape: [15], scalars: x.scalars.map { $0 + ($0 >= 0 ? 0.2 : -0.2) })
        checkGradients([x], "exp") { $0[0].exp() }
        checkGradients([x.squared() + 0.5], "log") { $0[0].log() }
        checkGradients([x.squared() + 0.5], "sqrt") { $0[0].sqrt() }
        checkGradients([x], "tanh") { $0[0].tanh() }
        checkGradients([away], "relu") { $0[0].relu() }
        checkGradients([x * 2], "gelu") { $0[0].gelu() }
        checkGradients([x.squared() + 0.5], "pow") { $0[0].pow(1.5) }
    }

    /// GELU's backward kernel runs 8 lanes at a time and ends in a 16-lane tail: each x gets the
    /// same bits either way (7 values: all tail; 64: all vectors, one range), and accumulating adds
    /// dx + dy·GELU′(x) with the one rounding of that addition.
    func testGELUBackwardSameBitsInVectorsAndTail() {
        let backend = CPUBackend.shared
        let x = randomTensor([64], seed: 11).scalars.map { $0 * 4 }, dy = randomTensor([64], seed: 12).scalars
        var whole = [Float](repeating: .nan, count: 64), tail = [Float](repeating: .nan, count: 7)
        backend.unaryBackward(.gelu, x, dy, &whole, count: 64, accumulate: false)
        backend.unaryBackward(.gelu, x, dy, &tail, count: 7, accumulate: false)
        XCTAssertEqual(tail.map(\.bitPattern), whole.prefix(7).map(\.bitPattern))
        let start = randomTensor([64], seed: 13).scalars
        var accumulated = start
        backend.unaryBackward(.gelu, x, dy, &accumulated, count: 64, accumulate: true)
        XCTAssertEqual(accumulated.map(\.bitPattern), zip(start, whole).map { ($0 + $1).bitPattern })
        // And what GPT-2's formula says the derivative is.
        for i in 0..<64 {
            let d = Double(x[i]), c = (2 / Double.pi).squareRoot()
            let t = Foundation.tanh(c * (d + 0.044715 * d * d * d))
            let derivative = 0.5 * (1 + t) + 0.5 * d * (1 - t * t) * c * (1 + 3 * 0.044715 * d * d)
            XCTAssertEqual(Double(whole[i]), Double(dy[i]) * derivative, accuracy: 1e-5 * max(1, abs(Double(dy[i]) * derivative)))
        }
    }

    func testGELUMatchesGPT2Formula() {
        let xs: [Float] = [-3, -1, -0.1, 0, 0.5, 2]
        let y = Tensor(xs).gelu().scalars
        for (x, v) in zip(xs, y) {
            let d = Double(x)
            let expected = 0.5 * d * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (d + 0.044715 * d * d * d)))
            XCTAssertEqual(Double(v), expected, accuracy: 1e-6)
        }
    }

    func testReductions() {
        for n in awkward {
            let x = randomTensor([3, n, 2], seed: UInt64(n))
            for axis in 0..<3 {
                crossCheck([x], "sum axis \(axis) n \(n)") { $0[0].sum(axis: axis) }
                crossCheck([x], "mean axis \(axis) n \(n)") { $0[0].mean(axis: axis, keepDims: true) }
                crossCheck([x], "max axis \(axis) n \(n)") { $0[0].max(axis: axis) }
                XCTAssertEqual(withBackend(CPUBackend.shared) { x.argmax(axis: axis) },
                               withBackend(ReferenceBackend.shared) { x.argmax(axis: axis) }, "argmax axis \(axis) n \(n)")
            }
            let row = randomTensor([5, n], seed: 7)
            XCTAssertEqual(withBackend(CPUBackend.shared) { row.argmax() }, withBackend(ReferenceBackend.shared) { row.argmax() })
        }
        let x = Tensor(shape: [2, 3], scalars: [1, 5, 5, -1, -2, -3])
        XCTAssertEqual(x.sum(axis: 1).scalars, [11, -6])
        XCTAssertEqual(x.mean().item, 5.0 / 6, accuracy: 1e-6)
        XCTAssertEqual(x.max(axis: 0).scalars, [1, 5, 5])
        XCTAssertEqual(x.argmax(axis: 1).ids, [1, 0], "first of tied maxima, as PyTorch")
        let g = randomTensor([4, 5], seed: 5)
        checkGradients([g], "sum") { $0[0].sum(axis: 0) }
        checkGradients([g], "mean") { $0[0].mean(axis: 1, keepDims: true) }
        checkGradients([g], "max") { $0[0].max(axis: 1) }
        checkGradients([g], "total sum") { $0[0].sum() * $0[0].mean() }
    }

    func testMatmul() {
        for m in awkward {
            for k in [1, 17] {
                for n in [3, 129] {
                    let a = randomTensor([m, k], seed: 1), b = randomTensor([k, n], seed: 2)
                    crossCheck([a, b], "matmul \(m)×\(k)×\(n)") { Tensor.matmul($0[0], $0[1]) }
                    let at = randomTensor([k, m], seed: 3), bt = randomTensor([n, k], seed: 4)
                    crossCheck([at, bt], "matmul ᵀᵀ \(m)×\(k)×\(n)") { Tensor.matmul($0[0], $0[1], transposeA: true, transposeB: true) }
                }
            }
        }
        let a = randomTensor([2, 3, 4], seed: 1), w = randomTensor([4, 5], seed: 2), b3 = randomTensor([2, 4, 5], seed: 3)
        let bt = randomTensor([2, 5, 4], seed: 4), at = randomTensor([2, 4, 3], seed: 5)
        checkGradients([a, w], "linear") { Tensor.matmul($0[0], $0[1]) }
        checkGradients([a, b3], "batched") { Tensor.matmul($0[0], $0[1]) }
        checkGradients([a, bt], "batched Bᵀ") { Tensor.matmul($0[0], $0[1], transposeB: true) }
        checkGradients([at, b3], "batched Aᵀ") { Tensor.matmul($0[0], $0[1], transposeA: true) }
        checkGradients([at, bt], "batched AᵀBᵀ") { Tensor.matmul($0[0], $0[1], transposeA: true, transposeB: true) }
        crossCheck([a, b3], "batched") { Tensor.matmul($0[0], $0[1]) }
        let x = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), y = Tensor(shape: [2, 1], scalars: [5, 6])
        XCTAssertEqual(Tensor.matmul(x, y).scalars, [17, 39])
    }

    func testSoftmaxAndLogSoftmax() {
        for n in awkward {
            let x = randomTensor([4, n], seed: UInt64(n), std: 3)
            crossCheck([x], "softmax \(n)") { $0[0].softmax() }
            crossCheck([x], "logSoftmax \(n)") { $0[0].logSoftmax() }
        }
        let x = randomTensor([3, 5], seed: 8)
        checkGradients([x], "softmax") { $0[0].softmax() }
        checkGradients([x], "logSoftmax") { $0[0].logSoftmax() }
        let rows = randomTensor([2, 4], seed: 9, std: 50).softmax().sum(axis: 1).scalars
        for s in rows { XCTAssertEqual(s, 1, accuracy: 1e-6) }
    }

    func testLayerNorm() {
        for n in awkward + [64] {
            let x = randomTensor([5, n], seed: UInt64(n), std: 2).unaryShift(1)
            let w = randomTensor([n], seed: 2), b = randomTensor([n], seed: 3)
            crossCheck([x, w, b], "layerNorm \(n)") { Tensor.layerNorm($0[0], weight: $0[1], bias: $0[2]) }
        }
        let x = randomTensor([2, 3, 6], seed: 4), w = randomTensor([6], seed: 5), b = randomTensor([6], seed: 6)
        checkGradients([x, w, b], "layerNorm") { Tensor.layerNorm($0[0], weight: $0[1], bias: $0[2]) }
        // Normalized rows have mean 0 and biased variance 1 (up to eps).
        let y = Tensor.layerNorm(randomTensor([1, 8], seed: 7, std: 4), weight: .ones([8]), bias: .zeros([8]))
        XCTAssertEqual(y.mean().item, 0, accuracy: 1e-5)
        XCTAssertEqual(y.squared().mean().item, 1, accuracy: 1e-3)
    }

    func testCrossEntropyWithLabelSmoothing() {
        for n in awkward where n > 1 {
            let logits = randomTensor([6, n], seed: UInt64(n), std: 3), targets = randomIDs([6], below: n, seed: 1)
            for eps: Float in [0, 0.1] {
                crossCheck([logits], "crossEntropy \(n) ε \(eps)") { Tensor.crossEntropy($0[0], targets: targets, labelSmoothing: eps) }
            }
        }
        let logits = randomTensor([4, 7], seed: 3), targets = IDTensor([0, 6, 3, 3])
        checkGradients([logits], "crossEntropy") { Tensor.crossEntropy($0[0], targets: targets, labelSmoothing: 0.1) }
        // PyTorch's definition, by hand in double: (1 − ε)·nll + ε·mean_j(−log p_j), mean over rows.
        let l: [Double] = [1, 2, 3]
        let lse = Foundation.log(l.map { Foundation.exp($0) }.reduce(0, +))
        let expected = 0.9 * (lse - 1) + 0.1 * l.map { lse - $0 }.reduce(0, +) / 3
        let got = Tensor.crossEntropy(Tensor(shape: [1, 3], scalars: [1, 2, 3]), targets: IDTensor([0]), labelSmoothing: 0.1).item
        XCTAssertEqual(Double(got), expected, accuracy: 1e-6)
    }

    func testAttention() {
        // Head widths 16, 32, 48 and 64 take the register path, the others the any-width one.
        for (b, t, heads, hd) in [(1, 1, 1, 1), (2, 3, 2, 3), (3, 17, 4, 16), (2, 16, 2, 16), (2, 12, 4, 17), (2, 12, 2, 32), (1, 9, 2, 48), (2, 5, 1, 64), (1, 1, 1, 32)] {
            let qkv = randomTensor([b, t, 3 * heads * hd], seed: UInt64(t), std: 0.7)
            var rng = RandomGenerator(seed: 5)
            let mask = Tensor(shape: [b, t], scalars: (0..<(b * t)).map { i in i % t < max(1, t - i / t - 1) ? 1 : 0 })
            let drop = Tensor.dropoutMask([b, heads, t, t], p: 0.1, using: &rng)
            crossCheck([qkv], "attention \(b)×\(t)×\(heads)×\(hd)") { Tensor.causalAttention($0[0], heads: heads) }
            crossCheck([qkv], "masked attention \(b)×\(t)×\(heads)×\(hd)") {
                Tensor.causalAttention($0[0], attentionMask: mask, heads: heads, dropoutMask: drop)
            }
        }
        let qkv = randomTensor([2, 4, 12], seed: 1)
        let mask = Tensor(shape: [2, 4], scalars: [1, 1, 1, 1, 1, 1, 0, 0])
        var rng = RandomGenerator(seed: 2)
        let drop = Tensor.dropoutMask([2, 2, 4, 4], p: 0.25, using: &rng)
        checkGradients([qkv], "attention") { Tensor.causalAttention($0[0], attentionMask: mask, heads: 2) }
        checkGradients([qkv], "attention with dropout") { Tensor.causalAttention($0[0], attentionMask: mask, heads: 2, dropoutMask: drop) }
        let wide = randomTensor([2, 4, 3 * 2 * 16], seed: 3)
        checkGradients([wide], "attention, head width 16") { Tensor.causalAttention($0[0], attentionMask: mask, heads: 2, dropoutMask: drop) }
    }

    /// With `accumulate`, the backward adds to what dQKV holds: the same as starting from zero and adding after.
    func testAttentionBackwardAccumulates() {
        for hd in [3, 16, 32] {
            let (b, t, heads) = (2, 5, 2)
            let width = 3 * heads * hd
            let qkv = randomTensor([b, t, width], seed: 21)
            let dOut = randomTensor([b, t, heads * hd], seed: 22)
            let prior = randomTensor([b, t, width], seed: 23)
            let probs = Tensor.zeros([b, heads, t, t])
            let out = Tensor.zeros([b, t, heads * hd])
            let cpu = CPUBackend.shared
            cpu.attention(qkv.pointer, keyMask: nil, batch: b, time: t, heads: heads, headDim: hd, dropoutMask: nil,
                          probs: probs.pointer, out.pointer)
            let fresh = Tensor.zeros([b, t, width])
            cpu.attentionBackward(dOut.pointer, qkv: qkv.pointer, probs: probs.pointer, dropoutMask: nil, batch: b, time: t,
                                  heads: heads, headDim: hd, fresh.pointer, accumulate: false)
            let added = prior.copy()
            cpu.attentionBackward(dOut.pointer, qkv: qkv.pointer, probs: probs.pointer, dropoutMask: nil, batch: b, time: t,
                                  heads: heads, headDim: hd, added.pointer, accumulate: true)
            assertClose(added, prior + fresh, "accumulated attention gradient, head width \(hd)")
        }
    }

    /// The fused attention equals the same math written with plain ops (the reference's formulation).
    func testAttentionMatchesComposedOps() {
        let (b, t, heads, hd) = (2, 5, 2, 4)
        let d = heads * hd
        let qkv = randomTensor([b, t, 3 * d], seed: 11)
        let mask = Tensor(shape: [b, t], scalars: [1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
        let fused = Tensor.causalAttention(qkv, attentionMask: mask, heads: heads)
        let parts = qkv.split([d, d, d], axis: 2).map { $0.reshaped([b, t, heads, hd]).permuted([0, 2, 1, 3]).reshaped([b * heads, t, hd]) }
        var scores = Tensor.matmul(parts[0], parts[1], transposeB: true) * (1 / Float(hd).squareRoot())
        let causal = Tensor(shape: [t, t], scalars: (0..<(t * t)).map { $0 % t > $0 / t ? -Float.greatestFiniteMagnitude : 0 })
        scores = scores + causal
        let padding = Tensor.additiveMask(mask).reshaped([b, 1, 1, t]).broadcast(to: [b, heads, 1, t]).reshaped([b * heads, 1, t])
        let probs = (scores + padding).softmax()
        let composed = Tensor.matmul(probs, parts[2]).reshaped([b, heads, t, hd]).permuted([0, 2, 1, 3]).reshaped([b, t, d])
        assertClose(fused, composed, "fused vs composed attention")
    }

    func testShapingOps() {
        let x = randomTensor([3, 4, 5], seed: 1)
        crossCheck([x], "permute") { $0[0].permuted([2, 0, 1]) }
        crossCheck([x], "transpose") { $0[0].transposed(0, 2) }
        XCTAssertEqual(x.permuted([2, 0, 1]).shape, [5, 3, 4])
        XCTAssertEqual(x.permuted([2, 0, 1])[4, 2, 1], x[2, 1, 4])
        checkGradients([x], "permute") { $0[0].permuted([1, 2, 0]) }
        checkGradients([x], "reshape") { $0[0].reshaped([12, -1]) }
        checkGradients([x], "slice") { $0[0].sliced(axis: 1, 1..<3) }
        checkGradients([x], "split+concat") { xs in
            let parts = xs[0].split([2, 3], axis: 2)
            return Tensor.concatenate([parts[1], parts[0] * 2], axis: 2)
        }
        XCTAssertEqual(x.sliced(axis: 2, 3..<4)[1, 2, 0], x[1, 2, 3])
        let joined = Tensor.concatenate(x.split([1, 2, 1], axis: 1), axis: 1)
        XCTAssertEqual(joined.scalars, x.scalars)
        XCTAssertEqual(x.reshaped([-1]).storage === x.storage, true, "reshape is a view")
        let broadcast = Tensor([1, 2]).broadcast(to: [3, 2])
        XCTAssertEqual(broadcast.scalars, [1, 2, 1, 2, 1, 2])
        checkGradients([randomTensor([1, 3], seed: 4)], "broadcast") { $0[0].broadcast(to: [4, 3]) }
    }

    func testEmbeddingGather() {
        for cols in awkward {
            let table = randomTensor([11, cols], seed: 1)
            let ids = randomIDs([4, 3], below: 11, seed: UInt64(cols))
            crossCheck([table], "gather \(cols)") { Tensor.embedding($0[0], ids) }
        }
        let table = randomTensor([5, 3], seed: 2)
        let ids = IDTensor(shape: [2, 2], ids: [4, 1, 4, 0])
        let rows = table.gatherRows(ids)
        XCTAssertEqual(rows.shape, [2, 2, 3])
        XCTAssertEqual(rows[1, 0, 2], table[4, 2])
        checkGradients([table], "gather with a repeated id") { $0[0].gatherRows(ids) }
    }

    func testAdditiveMaskAndDropout() {
        let mask = Tensor([1, 1, 0])
        XCTAssertEqual(Tensor.additiveMask(mask).scalars, [0, 0, -10000])
        var rng = RandomGenerator(seed: 3)
        let m = Tensor.dropoutMask([10_000], p: 0.25, using: &rng)
        let kept = m.scalars.filter { $0 != 0 }
        XCTAssertEqual(Double(kept.count) / 10_000, 0.75, accuracy: 0.02)
        XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
        let x = randomTensor([4], seed: 1)
        XCTAssertTrue(x.dropout(0, using: &rng) === x, "p = 0 is the identity")
    }
}

extension Tensor {
    /// x + s without recording (test inputs).
    func unaryShift(_ s: Float) -> Tensor { withoutGrad { self + s } }
}
