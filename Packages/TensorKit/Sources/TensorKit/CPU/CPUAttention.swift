// Fused causal self-attention for short sequences (T ≤ ~64): one task per (batch, head), all of
// its scores in registers and a small stack buffer, no per-head GEMM calls.

extension CPUBackend {
    /// y[0..<n] += alpha · x[0..<n].
    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var j = 0
        while j + 16 <= n { store16(load16(y + j).addingProduct(alpha, load16(x + j)), y + j); j += 16 }
        while j < n { y[j] += alpha * x[j]; j += 1 }
    }

    /// Runs `body(b, h, scratch)` for every (batch row, head) pair, spread over the threads;
    /// `scratch` holds `time` floats of the calling thread's own.
    @inline(__always)
    func forEachHead(batch: Int, heads: Int, time: Int,
                     _ body: (_ b: Int, _ h: Int, _ scratch: UnsafeMutablePointer<Float>) -> Void) {
        parallelRanges(batch * heads, grain: 1) { tasks in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: Swift.max(time, 1)) { buffer in
                for task in tasks { body(task / heads, task % heads, buffer.baseAddress!) }
            }
        }
    }

    /// Query i's probabilities from its scores over keys 0...i: softmax there, zeros after (future keys).
    @inline(__always)
    static func causalSoftmaxRow(_ scores: UnsafeMutablePointer<Float>, _ pi: UnsafeMutablePointer<Float>, query i: Int, time t: Int) {
        let mx = rowMax(scores, i + 1)
        let inv = 1 / expShifted(scores, pi, i + 1, shift: mx)
        for j in 0...i { pi[j] *= inv }
        for j in (i + 1)..<t { pi[j] = 0 }
    }

    public func attention(_ qkv: UnsafePointer<Float>, keyMask: UnsafePointer<Float>?, batch: Int, time: Int,
                          heads: Int, headDim: Int, dropoutMask: UnsafePointer<Float>?,
                          probs: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        switch headDim {
        case 16: attention(HeadWidth16.self, qkv, keyMask: keyMask, batch: batch, time: time, heads: heads, dropoutMask: dropoutMask, probs: probs, out)
        case 32: attention(HeadWidth32.self, qkv, keyMask: keyMask, batch: batch, time: time, heads: heads, dropoutMask: dropoutMask, probs: probs, out)
        case 48: attention(HeadWidth48.self, qkv, keyMask: keyMask, batch: batch, time: time, heads: heads, dropoutMask: dropoutMask, probs: probs, out)
        case 64: attention(HeadWidth64.self, qkv, keyMask: keyMask, batch: batch, time: time, heads: heads, dropoutMask: dropoutMask, probs: probs, out)
        default: attentionAnyWidth(qkv, keyMask: keyMask, batch: batch, time: time, heads: heads, headDim: headDim,
                                   dropoutMask: dropoutMask, probs: probs, out)
        }
    }

    /// Any head width, rows read and written through memory.
    func attentionAnyWidth(_ qkv: UnsafePointer<Float>, keyMask: UnsafePointer<Float>?, batch: Int, time: Int,
                           heads: Int, headDim: Int, dropoutMask: UnsafePointer<Float>?,
                           probs: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        let d = heads * headDim, row = 3 * d, hd = headDim, t = time
        let scale = 1 / Float(headDim).squareRoot()
        forEachHead(batch: batch, heads: heads, time: t) { b, h, scores in
            let task = b * heads + h
            let p = probs + task * t * t
            let drop = dropoutMask.map { $0 + task * t * t }
            for i in 0..<t {
                let q = qkv + (b * t + i) * row + h * hd
                for j in 0...i {
                    let k = qkv + (b * t + j) * row + d + h * hd
                    var s = CPUBackend.dot(q, k, hd) * scale
                    if let keyMask { s += (1 - keyMask[b * t + j]) * -10000 }
                    scores[j] = s
                }
                let pi = p + i * t
                CPUBackend.causalSoftmaxRow(scores, pi, query: i, time: t)
                let o = out + (b * t + i) * d + h * hd
                o.update(repeating: 0, count: hd)
                for j in 0...i {
                    let w = pi[j] * (drop?[i * t + j] ?? 1)
                    CPUBackend.axpy(w, qkv + (b * t + j) * row + 2 * d + h * hd, o, hd)
                }
            }
        }
    }

    public func attentionBackward(_ dOut: UnsafePointer<Float>, qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                                  dropoutMask: UnsafePointer<Float>?, batch: Int, time: Int, heads: Int, headDim: Int,
                                  _ dQKV: UnsafeMutablePointer<Float>, accumulate: Bool) {
        switch headDim {
        case 16: attentionBackward(HeadWidth16.self, dOut, qkv: qkv, probs: probs, dropoutMask: dropoutMask, batch: batch, time: time, heads: heads, dQKV, accumulate: accumulate)
        case 32: attentionBackward(HeadWidth32.self, dOut, qkv: qkv, probs: probs, dropoutMask: dropoutMask, batch: batch, time: time, heads: heads, dQKV, accumulate: accumulate)
        case 48: attentionBackward(HeadWidth48.self, dOut, qkv: qkv, probs: probs, dropoutMask: dropoutMask, batch: batch, time: time, heads: heads, dQKV, accumulate: accumulate)
        case 64: attentionBackward(HeadWidth64.self, dOut, qkv: qkv, probs: probs, dropoutMask: dropoutMask, batch: batch, time: time, heads: heads, dQKV, accumulate: accumulate)
        default: attentionBackwardAnyWidth(dOut, qkv: qkv, probs: probs, dropoutMask: dropoutMask, batch: batch, time: time,
                                           heads: heads, headDim: headDim, dQKV, accumulate: accumulate)
        }
    }

    /// Any head width, rows read and written through memory.
    func attentionBackwardAnyWidth(_ dOut: UnsafePointer<Float>, qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                                   dropoutMask: UnsafePointer<Float>?, batch: Int, time: Int, heads: Int, headDim: Int,
                                   _ dQKV: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let d = heads * headDim, row = 3 * d, hd = headDim, t = time
        let scale = 1 / Float(headDim).squareRoot()
        forEachHead(batch: batch, heads: heads, time: t) { b, h, dProb in
            let task = b * heads + h
            let p = probs + task * t * t
            let drop = dropoutMask.map { $0 + task * t * t }
            @inline(__always) func at(_ s: Int, _ part: Int) -> Int { (b * t + s) * row + part * d + h * hd }
            if !accumulate {
                for s in 0..<t { for part in 0..<3 { (dQKV + at(s, part)).update(repeating: 0, count: hd) } }
            }
            for i in 0..<t {
                let g = dOut + (b * t + i) * d + h * hd
                let pi = p + i * t
                var dot: Float = 0
                for j in 0...i {
                    let m = drop?[i * t + j] ?? 1
                    dProb[j] = CPUBackend.dot(g, qkv + at(j, 2), hd) * m
                    dot += dProb[j] * pi[j]
                    CPUBackend.axpy(pi[j] * m, g, dQKV + at(j, 2), hd)
                }
                for j in 0...i {
                    let dScore = pi[j] * (dProb[j] - dot) * scale
                    CPUBackend.axpy(dScore, qkv + at(j, 1), dQKV + at(i, 0), hd)
                    CPUBackend.axpy(dScore, qkv + at(i, 0), dQKV + at(j, 1), hd)
                }
            }
        }
    }
}
