import Foundation

// Row-wise fused kernels of `CPUBackend`: softmax, layer norm, cross-entropy. Rows are split over
// threads; each row is computed whole by one thread, so results never depend on the split.

extension CPUBackend {
    @inline(__always)
    func forEachRow(_ rows: Int, cols: Int, _ body: (Int) -> Void) {
        parallelRanges(rows, grain: Swift.max(1, 4096 / Swift.max(cols, 1))) { r in for row in r { body(row) } }
    }

    /// y = exp(x − shift) over a row; returns Σ y.
    @inline(__always)
    static func expShifted(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Float {
        var acc = F16()
        var j = 0
        while j + 16 <= n { let e = exp16(load16(x + j) - shift); store16(e, y + j); acc += e; j += 16 }
        if j < n {
            let e = exp16(loadPartial(x + j, n - j) - shift)
            storePartial(e, y + j, n - j)
            acc += e.replacing(with: 0, where: laneIndex16 .>= SIMD16<Int32>(repeating: Int32(n - j)))
        }
        return horizontalSum(acc)
    }

    public func softmaxRows(_ x: UnsafePointer<Float>, rows: Int, cols: Int, log: Bool, _ out: UnsafeMutablePointer<Float>) {
        forEachRow(rows, cols: cols) { r in
            let xr = x + r * cols, yr = out + r * cols
            let mx = CPUBackend.rowMax(xr, cols)
            let sum = CPUBackend.expShifted(xr, yr, cols, shift: mx)
            if log {
                let shift = mx + Foundation.log(sum)
                var j = 0
                while j + 16 <= cols { store16(load16(xr + j) - shift, yr + j); j += 16 }
                while j < cols { yr[j] = xr[j] - shift; j += 1 }
            } else {
                let inv = 1 / sum
                var j = 0
                while j + 16 <= cols { store16(load16(yr + j) * inv, yr + j); j += 16 }
                while j < cols { yr[j] *= inv; j += 1 }
            }
        }
    }

    public func softmaxRowsBackward(_ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, rows: Int, cols: Int,
                                    log: Bool, _ dx: UnsafeMutablePointer<Float>, accumulate: Bool) {
        forEachRow(rows, cols: cols) { r in
            let yr = y + r * cols, gr = dy + r * cols, dr = dx + r * cols
            let dot = log ? CPUBackend.rowSum(gr, cols) : CPUBackend.dot(gr, yr, cols)
            var j = 0
            while j < cols {
                let n = Swift.min(16, cols - j)
                let yv = n == 16 ? load16(yr + j) : loadPartial(yr + j, n)
                let gv = n == 16 ? load16(gr + j) : loadPartial(gr + j, n)
                var g = log ? gv - exp16(yv) * dot : yv * (gv - dot)
                if accumulate { g += n == 16 ? load16(dr + j) : loadPartial(UnsafePointer(dr + j), n) }
                if n == 16 { store16(g, dr + j) } else { storePartial(g, dr + j, n) }
                j += 16
            }
        }
    }

    /// Σ a·b over n elements with two vector accumulators.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var a0 = F16(), a1 = F16()
        var j = 0
        while j + 32 <= n {
            a0 = a0.addingProduct(load16(a + j), load16(b + j))
            a1 = a1.addingProduct(load16(a + j + 16), load16(b + j + 16))
            j += 32
        }
        if j + 16 <= n { a0 = a0.addingProduct(load16(a + j), load16(b + j)); j += 16 }
        if j < n { a1 = a1.addingProduct(loadPartial(a + j, n - j), loadPartial(b + j, n - j)) }
        return horizontalSum(a0 + a1)
    }

    public func layerNorm(_ x: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                          rows: Int, cols: Int, eps: Float, _ out: UnsafeMutablePointer<Float>,
                          mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>) {
        forEachRow(rows, cols: cols) { r in
            let xr = x + r * cols, yr = out + r * cols
            let mu = CPUBackend.rowSum(xr, cols) / Float(cols)
            var sq = F16()
            var j = 0
            while j + 16 <= cols { let d = load16(xr + j) - mu; sq = sq.addingProduct(d, d); j += 16 }
            var tail: Float = 0
            while j < cols { let d = xr[j] - mu; tail += d * d; j += 1 }
            let rs = 1 / ((horizontalSum(sq) + tail) / Float(cols) + eps).squareRoot()
            mean[r] = mu; rstd[r] = rs
            j = 0
            while j + 16 <= cols {
                store16(((load16(xr + j) - mu) * rs) * load16(gamma + j) + load16(beta + j), yr + j)
                j += 16
            }
            while j < cols { yr[j] = (xr[j] - mu) * rs * gamma[j] + beta[j]; j += 1 }
        }
    }

    public func layerNormBackward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
                                  mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows: Int, cols: Int,
                                  dx: UnsafeMutablePointer<Float>?, accumulate: Bool,
                                  dGamma: UnsafeMutablePointer<Float>?, dBeta: UnsafeMutablePointer<Float>?) {
        if let dx {
            forEachRow(rows, cols: cols) { r in
                let xr = x + r * cols, gr = dy + r * cols, dr = dx + r * cols
                let mu = mean[r], rs = rstd[r]
                var sG = F16(), sGX = F16()
                var j = 0
                while j < cols {
                    let n = Swift.min(16, cols - j)
                    let xv = n == 16 ? load16(xr + j) : loadPartial(xr + j, n)
                    let gv = n == 16 ? load16(gr + j) : loadPartial(gr + j, n)
                    let gm = n == 16 ? load16(gamma + j) : loadPartial(gamma + j, n)
                    let gg = gv * gm
                    sG += gg
                    sGX = sGX.addingProduct(gg, (xv - mu) * rs)
                    j += 16
                }
                let meanG = horizontalSum(sG) / Float(cols), meanGX = horizontalSum(sGX) / Float(cols)
                j = 0
                while j < cols {
                    let n = Swift.min(16, cols - j)
                    let xv = n == 16 ? load16(xr + j) : loadPartial(xr + j, n)
                    let gv = n == 16 ? load16(gr + j) : loadPartial(gr + j, n)
                    let gm = n == 16 ? load16(gamma + j) : loadPartial(gamma + j, n)
                    let xhat = (xv - mu) * rs
                    var g = rs * (gv * gm - meanG - xhat * meanGX)
                    if accumulate { g += n == 16 ? load16(dr + j) : loadPartial(UnsafePointer(dr + j), n) }
                    if n == 16 { store16(g, dr + j) } else { storePartial(g, dr + j, n) }
                    j += 16
                }
            }
        }
        guard dGamma != nil || dBeta != nil else { return }
        // Column strips, each summed over rows in order: independent of the thread count.
        parallelRanges((cols + 15) / 16, grain: 2) { strips in
            for s in strips {
                let c0 = s * 16, n = Swift.min(16, cols - c0)
                var accG = F16(), accB = F16()
                for r in 0..<rows {
                    let xv = n == 16 ? load16(x + r * cols + c0) : loadPartial(x + r * cols + c0, n)
                    let gv = n == 16 ? load16(dy + r * cols + c0) : loadPartial(dy + r * cols + c0, n)
                    accG = accG.addingProduct(gv, (xv - mean[r]) * rstd[r])
                    accB += gv
                }
                if let dGamma {
                    let v = accG + (n == 16 ? load16(dGamma + c0) : loadPartial(UnsafePointer(dGamma + c0), n))
                    if n == 16 { store16(v, dGamma + c0) } else { storePartial(v, dGamma + c0, n) }
                }
                if let dBeta {
                    let v = accB + (n == 16 ? load16(dBeta + c0) : loadPartial(UnsafePointer(dBeta + c0), n))
                    if n == 16 { store16(v, dBeta + c0) } else { storePartial(v, dBeta + c0, n) }
                }
            }
        }
    }

    public func crossEntropy(_ logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows: Int, cols: Int,
                             labelSmoothing: Float, losses: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>) {
        forEachRow(rows, cols: cols) { r in
            let xr = logits + r * cols, pr = probs + r * cols
            let mx = CPUBackend.rowMax(xr, cols)
            let sum = CPUBackend.expShifted(xr, pr, cols, shift: mx)
            let logSum = Foundation.log(sum)
            let inv = 1 / sum
            var j = 0
            while j + 16 <= cols { store16(load16(pr + j) * inv, pr + j); j += 16 }
            while j < cols { pr[j] *= inv; j += 1 }
            // −log p[j] = mx + log Σ − x[j]; its mean over j is mx + log Σ − mean(x).
            let nllTarget = mx + logSum - xr[Int(targets[r])]
            let meanNLL = mx + logSum - CPUBackend.rowSum(xr, cols) / Float(cols)
            losses[r] = (1 - labelSmoothing) * nllTarget + labelSmoothing * meanNLL
        }
    }

    public func crossEntropyBackward(_ probs: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows: Int, cols: Int,
                                     labelSmoothing: Float, scale: UnsafePointer<Float>,
                                     _ dLogits: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let uniform = labelSmoothing / Float(cols)
        forEachRow(rows, cols: cols) { r in
            let pr = probs + r * cols, dr = dLogits + r * cols, s = scale[r]
            var j = 0
            while j < cols {
                let n = Swift.min(16, cols - j)
                var g = ((n == 16 ? load16(pr + j) : loadPartial(pr + j, n)) - uniform) * s
                if accumulate { g += n == 16 ? load16(dr + j) : loadPartial(UnsafePointer(dr + j), n) }
                if n == 16 { store16(g, dr + j) } else { storePartial(g, dr + j, n) }
                j += 16
            }
            dr[Int(targets[r])] -= s * (1 - labelSmoothing)
        }
    }

    public func adamW(_ param: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>,
                      m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int, hyper: AdamWStep) {
        // The same operations in the same order as the reference (no fused multiply-adds), so the
        // update is bitwise PyTorch's single-tensor AdamW.
        parallelRanges(count, grain: 1 << 14, align: 16) { r in
            var i = r.lowerBound
            while i < r.upperBound {
                let n = Swift.min(16, r.upperBound - i)
                let full = n == 16
                let g = full ? load16(grad + i) : loadPartial(grad + i, n)
                let p0 = full ? load16(param + i) : loadPartial(UnsafePointer(param + i), n)
                let m0 = full ? load16(m + i) : loadPartial(UnsafePointer(m + i), n)
                let v0 = full ? load16(v + i) : loadPartial(UnsafePointer(v + i), n)
                let p1 = p0 * hyper.decayFactor
                let m1 = m0 + hyper.oneMinusBeta1 * (g - m0)
                let v1 = v0 * hyper.beta2 + hyper.oneMinusBeta2 * g * g
                let denom = v1.squareRoot() / hyper.biasCorrection2Sqrt + hyper.eps
                let p2 = p1 + -hyper.stepSize * (m1 / denom)
                if full { store16(p2, param + i); store16(m1, m + i); store16(v1, v + i) } else {
                    storePartial(p2, param + i, n); storePartial(m1, m + i, n); storePartial(v1, v + i, n)
                }
                i += 16
            }
        }
    }

    public func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double { dot(x, x, count: count) }

    public func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Double {
        // Fixed 4096-element blocks, each in double, added in block order: thread-count independent.
        let block = 4096, blocks = (count + block - 1) / block
        var partials = [Double](repeating: 0, count: blocks)
        partials.withUnsafeMutableBufferPointer { part in
            let out = part.baseAddress!
            parallelRanges(blocks, grain: 8) { r in
                for k in r {
                    var acc = SIMD8<Double>()
                    var i = k * block
                    let end = Swift.min(count, i + block)
                    while i + 8 <= end {
                        let u = SIMD8<Double>(UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self))
                        let v = SIMD8<Double>(UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self))
                        acc = acc.addingProduct(u, v)
                        i += 8
                    }
                    var s = acc.sum()
                    while i < end { s += Double(a[i]) * Double(b[i]); i += 1 }
                    out[k] = s
                }
            }
        }
        return partials.reduce(0, +)
    }
}
