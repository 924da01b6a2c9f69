import Foundation
import TensorKit

/// The keys and values of every call of a layer while decoding: one cache per (recurrence step t,
/// layer l), as *Reasoning with Latent Thoughts* (Saunshi et al., 2025) decodes looped models.
///
/// A looped model calls each layer r times per token, each time on a different hidden state, so
/// each call has keys and values of its own. Re-running the whole sequence, a token's call (t, l)
/// attends to the earlier tokens' keys and values of that same call; a cache per (t, l) keeps
/// exactly those, so cached decoding computes what the full forward pass does. One cache per layer
/// shared by its r calls (`Layout.sharedAcrossSteps`) keeps whichever step wrote last: the earlier
/// tokens' keys from step r − 1 are then read by every step. That layout exists only so the tests
/// can show the difference; decoding uses `perCall`.
///
/// Storage is allocated once, `[r, layers, batch, length, D]` for the keys and the same for the
/// values, and written in place: a decoding step adds one row per example and call, and no step
/// copies or grows the cache.
final class KVCache {
    enum Layout {
        /// One cache per (step, layer): what re-running the sequence computes.
        case perCall
        /// One cache per layer, overwritten by each step (the mistake the per-call layout avoids).
        case sharedAcrossSteps
    }

    let layout: Layout
    let layers: Int
    let batch: Int
    /// The most positions an example can hold (its prompt and the tokens fed back).
    let length: Int
    /// The model width D (every head's keys side by side, as `c_attn` writes them).
    let size: Int
    private let keys: Tensor
    private let values: Tensor

    init(recurrence: Int, layers: Int, batch: Int, length: Int, size: Int, layout: Layout = .perCall) {
        let slots = layout == .perCall ? recurrence : 1
        (self.layout, self.layers, self.batch, self.length, self.size) = (layout, layers, batch, length, size)
        keys = Tensor(zeros: [slots, layers, batch, length, size])
        values = Tensor(zeros: [slots, layers, batch, length, size])
    }

    /// Where (step, layer, example)'s position 0 starts in `keys` and `values`.
    private func base(step: Int, layer: Int, example: Int) -> Int {
        let slot = layout == .perCall ? step : 0
        return ((slot * layers + layer) * batch + example) * length * size
    }

    /// Stores the key and value of row `row` of `qkv` (`[..., 3D]`: q, k, v side by side, read as
    /// rows of 3D) as call (step, layer)'s entry for `example` at `position`.
    func store(_ qkv: Tensor, row: Int, example: Int, position: Int, step: Int, layer: Int) {
        precondition(position < length, "KVCache: position \(position) is beyond the cache's \(length)")
        let d = size, source = qkv.pointer + row * 3 * d
        let at = base(step: step, layer: layer, example: example) + position * d
        (keys.pointer + at).update(from: source + d, count: d)
        (values.pointer + at).update(from: source + 2 * d, count: d)
    }

    /// Causal attention for one new row per entry of `rows` at call (step, layer): row i of `qkv`
    /// (`[N, 3D]`) is the query of `rows[i].example` at `rows[i].position`, whose keys and values at
    /// positions 0…position must already be stored (its own included). Returns `[N, D]`, heads
    /// side by side. The arithmetic is TensorKit's `causalAttention` for one query: scores
    /// `q·k/√(D/heads)`, softmax with the row's maximum subtracted, the values weighted by the
    /// probabilities. Every key is a token (no padding), so no mask term is added.
    func attend(_ qkv: Tensor, rows: [(example: Int, position: Int)], step: Int, layer: Int, heads: Int) -> Tensor {
        let d = size, hd = d / heads
        let scale = 1 / Float(hd).squareRoot()
        let out = Tensor(uninitialized: [rows.count, d])
        withUnsafeTemporaryAllocation(of: Float.self, capacity: length) { buffer in
            let p = buffer.baseAddress!
            for (i, row) in rows.enumerated() {
                let start = base(step: step, layer: layer, example: row.example)
                let k = keys.pointer + start, v = values.pointer + start
                for h in 0..<heads {
                    let q = qkv.pointer + i * 3 * d + h * hd
                    var largest = -Float.infinity
                    for j in 0...row.position {
                        let s = Self.dot(q, k + j * d + h * hd, hd) * scale
                        p[j] = s
                        largest = max(largest, s)
                    }
                    var sum: Float = 0
                    for j in 0...row.position {
                        p[j] = Foundation.exp(p[j] - largest)
                        sum += p[j]
                    }
                    let inverse = 1 / sum
                    let o = out.pointer + i * d + h * hd
                    o.update(repeating: 0, count: hd)
                    for j in 0...row.position {
                        Self.addScaled(p[j] * inverse, v + j * d + h * hd, to: o, hd)
                    }
                }
            }
        }
        return out
    }

    /// Σ a[i]·b[i], eight lanes at a time.
    @inline(__always)
    private static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            acc = acc.addingProduct(UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self),
                                    UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self))
            i += 8
        }
        var sum = acc.sum()
        while i < n { sum += a[i] * b[i]; i += 1 }
        return sum
    }

    /// y += alpha·x.
    @inline(__always)
    private static func addScaled(_ alpha: Float, _ x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n {
            let sum = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
                .addingProduct(alpha, UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
            UnsafeMutableRawPointer(y + i).storeBytes(of: sum, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { y[i] += alpha * x[i]; i += 1 }
    }
}
