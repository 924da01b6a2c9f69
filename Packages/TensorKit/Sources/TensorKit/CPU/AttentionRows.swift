// Causal attention for the common head widths (16, 32, 48, 64): one head's row of q, k, v or a
// gradient lives in up to four 16-lane registers, so the per-query sums (the output row, dQ) stay
// in registers instead of being re-read and re-written through memory once per key. Every sum is
// taken in the same order, with the same fused multiply-adds, as the any-width code, so both give
// bitwise-equal results.

/// A head width as a type (1 to 4 vectors of 16), so each specialization drops the unused lanes.
protocol HeadWidth { static var vectors: Int { get } }
enum HeadWidth16: HeadWidth { static var vectors: Int { 1 } }
enum HeadWidth32: HeadWidth { static var vectors: Int { 2 } }
enum HeadWidth48: HeadWidth { static var vectors: Int { 3 } }
enum HeadWidth64: HeadWidth { static var vectors: Int { 4 } }

/// One head's row, in registers.
struct HeadRow<W: HeadWidth> {
    var v0 = F16(), v1 = F16(), v2 = F16(), v3 = F16()

    @inline(__always) init() {}

    @inline(__always) init(_ p: UnsafePointer<Float>) {
        v0 = load16(p)
        if W.vectors > 1 { v1 = load16(p + 16) }
        if W.vectors > 2 { v2 = load16(p + 32) }
        if W.vectors > 3 { v3 = load16(p + 48) }
    }

    @inline(__always) init(_ p: UnsafeMutablePointer<Float>) { self.init(UnsafePointer(p)) }

    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) {
        store16(v0, p)
        if W.vectors > 1 { store16(v1, p + 16) }
        if W.vectors > 2 { store16(v2, p + 32) }
        if W.vectors > 3 { store16(v3, p + 48) }
    }

    /// self += alpha · x, as `CPUBackend.axpy`.
    @inline(__always) mutating func add(_ alpha: Float, _ x: HeadRow) {
        v0 = v0.addingProduct(alpha, x.v0)
        if W.vectors > 1 { v1 = v1.addingProduct(alpha, x.v1) }
        if W.vectors > 2 { v2 = v2.addingProduct(alpha, x.v2) }
        if W.vectors > 3 { v3 = v3.addingProduct(alpha, x.v3) }
    }

    /// The dot product, accumulated as `CPUBackend.dot` does (even vectors in one sum, odd in another).
    @inline(__always) func dot(_ x: HeadRow) -> Float {
        var a0 = F16(), a1 = F16()
        a0 = a0.addingProduct(v0, x.v0)
        if W.vectors > 1 { a1 = a1.addingProduct(v1, x.v1) }
        if W.vectors > 2 { a0 = a0.addingProduct(v2, x.v2) }
        if W.vectors > 3 { a1 = a1.addingProduct(v3, x.v3) }
        return horizontalSum(a0 + a1)
    }
}

/// In-memory row += alpha · x.
@inline(__always) func addToRow<W: HeadWidth>(_ p: UnsafeMutablePointer<Float>, _ alpha: Float, _ x: HeadRow<W>) {
    var row = HeadRow<W>(p)
    row.add(alpha, x)
    row.store(p)
}

extension CPUBackend {
    func attention<W: HeadWidth>(_: W.Type, _ qkv: UnsafePointer<Float>, keyMask: UnsafePointer<Float>?, batch: Int, time: Int,
                                 heads: Int, dropoutMask: UnsafePointer<Float>?,
                                 probs: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        let hd = W.vectors * 16, d = heads * hd, row = 3 * d, t = time
        let scale = 1 / Float(hd).squareRoot()
        forEachHead(batch: batch, heads: heads, time: t) { b, h, scores in
            let task = b * heads + h
            let base = qkv + (b * t * row + h * hd)
            let p = probs + task * t * t
            let drop = dropoutMask.map { $0 + task * t * t }
            for i in 0..<t {
                let q = HeadRow<W>(base + i * row)
                for j in 0...i {
                    var s = q.dot(HeadRow<W>(base + (j * row + d))) * scale
                    if let keyMask { s += (1 - keyMask[b * t + j]) * -10000 }
                    scores[j] = s
                }
                let pi = p + i * t
                CPUBackend.causalSoftmaxRow(scores, pi, query: i, time: t)
                var o = HeadRow<W>()
                for j in 0...i {
                    o.add(pi[j] * (drop?[i * t + j] ?? 1), HeadRow<W>(base + (j * row + 2 * d)))
                }
                o.store(out + ((b * t + i) * d + h * hd))
            }
        }
    }

    func attentionBackward<W: HeadWidth>(_: W.Type, _ dOut: UnsafePointer<Float>, qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                                         dropoutMask: UnsafePointer<Float>?, batch: Int, time: Int, heads: Int,
                                         _ dQKV: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let hd = W.vectors * 16, d = heads * hd, row = 3 * d, t = time
        let scale = 1 / Float(hd).squareRoot()
        forEachHead(batch: batch, heads: heads, time: t) { b, h, dProb in
            let task = b * heads + h
            let base = qkv + (b * t * row + h * hd)
            let dBase = dQKV + (b * t * row + h * hd)
            let p = probs + task * t * t
            let drop = dropoutMask.map { $0 + task * t * t }
            if !accumulate {
                // dQ rows are written whole below; dK and dV rows gather over queries.
                for s in 0..<t { HeadRow<W>().store(dBase + (s * row + d)); HeadRow<W>().store(dBase + (s * row + 2 * d)) }
            }
            for i in 0..<t {
                let g = HeadRow<W>(dOut + ((b * t + i) * d + h * hd))
                let pi = p + i * t
                var dot: Float = 0
                for j in 0...i {
                    let m = drop?[i * t + j] ?? 1
                    dProb[j] = g.dot(HeadRow<W>(base + (j * row + 2 * d))) * m
                    dot += dProb[j] * pi[j]
                    addToRow(dBase + (j * row + 2 * d), pi[j] * m, g)
                }
                let q = HeadRow<W>(base + i * row)
                var dq = accumulate ? HeadRow<W>(dBase + i * row) : HeadRow<W>()
                for j in 0...i {
                    let dScore = pi[j] * (dProb[j] - dot) * scale
                    dq.add(dScore, HeadRow<W>(base + (j * row + d)))
                    addToRow(dBase + (j * row + d), dScore, q)
                }
                dq.store(dBase + i * row)
            }
        }
    }
}
