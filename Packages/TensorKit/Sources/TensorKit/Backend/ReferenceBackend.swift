import Foundation

/// The plain statement of every kernel: scalar loops, one thread, sums in the obvious order.
/// Slow on purpose: it is what the tests hold `CPUBackend` to, and a template for new backends.
public final class ReferenceBackend: Backend {
    public static let shared = ReferenceBackend()
    public init() {}
    public var name: String { "reference" }

    public func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var acc: Float = 0
                for p in 0..<k {
                    let x = transA ? a[p * lda + i] : a[i * lda + p]
                    let y = transB ? b[j * ldb + p] : b[p * ldb + j]
                    acc += x * y
                }
                c[i * ldc + j] = beta == 0 ? alpha * acc : alpha * acc + beta * c[i * ldc + j]
            }
        }
    }

    public func gemmBatched(batch: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, strideA: Int,
                            b: UnsafePointer<Float>, ldb: Int, strideB: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int) {
        for i in 0..<batch {
            gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a + i * strideA, lda: lda,
                 b: b + i * strideB, ldb: ldb, beta: beta, c: c + i * strideC, ldc: ldc)
        }
    }

    public func unary(_ op: UnaryOp, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { out[i] = ScalarMath.apply(op, x[i]) }
    }

    public func binary(_ op: BinaryOp, _ a: UnsafePointer<Float>, strides aStrides: [Int],
                       _ b: UnsafePointer<Float>, strides bStrides: [Int],
                       _ out: UnsafeMutablePointer<Float>, shape: [Int]) {
        forEachIndex(shape: shape, strides: [aStrides, bStrides]) { i, o in
            out[i] = ScalarMath.apply(op, a[o[0]], b[o[1]])
        }
    }

    public func unaryBackward(_ op: UnaryOp, _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                              _ dx: UnsafeMutablePointer<Float>, count: Int, accumulate: Bool) {
        for i in 0..<count {
            let g = dy[i] * ScalarMath.derivative(op, x[i])
            dx[i] = accumulate ? dx[i] + g : g
        }
    }

    public func copyStrided(_ src: UnsafePointer<Float>, strides: [Int], _ dst: UnsafeMutablePointer<Float>, shape: [Int]) {
        forEachIndex(shape: shape, strides: [strides]) { i, o in dst[i] = src[o[0]] }
    }

    public func sumBroadcast(_ x: UnsafePointer<Float>, shape: [Int], _ out: UnsafeMutablePointer<Float>,
                             outStrides: [Int], outCount: Int) {
        out.update(repeating: 0, count: outCount)
        forEachIndex(shape: shape, strides: [outStrides]) { i, o in out[o[0]] += x[i] }
    }

    public func gatherRows(_ table: UnsafePointer<Float>, ids: UnsafePointer<Int32>, count: Int, cols: Int,
                           _ out: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            for j in 0..<cols { out[i * cols + j] = table[Int(ids[i]) * cols + j] }
        }
    }

    public func scatterAddRows(_ dy: UnsafePointer<Float>, ids: UnsafePointer<Int32>, count: Int, cols: Int,
                               _ dTable: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            for j in 0..<cols { dTable[Int(ids[i]) * cols + j] += dy[i * cols + j] }
        }
    }

    public func reduce(_ op: ReduceOp, _ x: UnsafePointer<Float>, outer: Int, axis: Int, inner: Int,
                       _ out: UnsafeMutablePointer<Float>) {
        for o in 0..<outer {
            for i in 0..<inner {
                var acc: Float = op == .sum ? 0 : -.infinity
                for j in 0..<axis {
                    let v = x[(o * axis + j) * inner + i]
                    acc = op == .sum ? acc + v : Swift.max(acc, v)
                }
                out[o * inner + i] = acc
            }
        }
    }

    public func argmax(_ x: UnsafePointer<Float>, outer: Int, axis: Int, inner: Int, _ out: UnsafeMutablePointer<Int32>) {
        for o in 0..<outer {
            for i in 0..<inner {
                var best = 0
                for j in 1..<Swift.max(axis, 1) where x[(o * axis + j) * inner + i] > x[(o * axis + best) * inner + i] {
                    best = j
                }
                out[o * inner + i] = Int32(best)
            }
        }
    }

    public func softmaxRows(_ x: UnsafePointer<Float>, rows: Int, cols: Int, log: Bool, _ out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xr = x + r * cols, yr = out + r * cols
            var mx: Float = -.infinity
            for j in 0..<cols { mx = Swift.max(mx, xr[j]) }
            var sum: Float = 0
            for j in 0..<cols { sum += Foundation.exp(xr[j] - mx) }
            for j in 0..<cols {
                yr[j] = log ? xr[j] - mx - Foundation.log(sum) : Foundation.exp(xr[j] - mx) / sum
            }
        }
    }

    public func softmaxRowsBackward(_ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, rows: Int, cols: Int,
                                    log: Bool, _ dx: UnsafeMutablePointer<Float>, accumulate: Bool) {
        for r in 0..<rows {
            let yr = y + r * cols, gr = dy + r * cols, dr = dx + r * cols
            var dot: Float = 0
            for j in 0..<cols { dot += log ? gr[j] : gr[j] * yr[j] }
            for j in 0..<cols {
                // softmax: y(dy − Σ dy·y); log-softmax: dy − exp(y)·Σ dy.
                let g = log ? gr[j] - Foundation.exp(yr[j]) * dot : yr[j] * (gr[j] - dot)
                dr[j] = accumulate ? dr[j] + g : g
            }
        }
    }

    public func layerNorm(_ x: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                          rows: Int, cols: Int, eps: Float, _ out: UnsafeMutablePointer<Float>,
                          mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xr = x + r * cols
            var sum: Float = 0
            for j in 0..<cols { sum += xr[j] }
            let mu = sum / Float(cols)
            var sq: Float = 0
            for j in 0..<cols { sq += (xr[j] - mu) * (xr[j] - mu) }
            let rs = 1 / (sq / Float(cols) + eps).squareRoot()
            mean[r] = mu; rstd[r] = rs
            for j in 0..<cols { out[r * cols + j] = (xr[j] - mu) * rs * gamma[j] + beta[j] }
        }
    }

    public func layerNormBackward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
                                  mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows: Int, cols: Int,
                                  dx: UnsafeMutablePointer<Float>?, accumulate: Bool,
                                  dGamma: UnsafeMutablePointer<Float>?, dBeta: UnsafeMutablePointer<Float>?) {
        for r in 0..<rows {
            let xr = x + r * cols, gr = dy + r * cols
            let mu = mean[r], rs = rstd[r]
            // dx = rstd · (g·γ − mean(g·γ) − x̂ · mean(g·γ·x̂))
            var meanG: Float = 0, meanGX: Float = 0
            for j in 0..<cols {
                let xhat = (xr[j] - mu) * rs
                let gg = gr[j] * gamma[j]
                meanG += gg; meanGX += gg * xhat
                dGamma?[j] += gr[j] * xhat
                dBeta?[j] += gr[j]
            }
            meanG /= Float(cols); meanGX /= Float(cols)
            guard let dx else { continue }
            for j in 0..<cols {
                let xhat = (xr[j] - mu) * rs
                let g = rs * (gr[j] * gamma[j] - meanG - xhat * meanGX)
                dx[r * cols + j] = accumulate ? dx[r * cols + j] + g : g
            }
        }
    }

    public func crossEntropy(_ logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows: Int, cols: Int,
                             labelSmoothing: Float, losses: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>) {
        softmaxRows(logits, rows: rows, cols: cols, log: true, probs)
        for r in 0..<rows {
            let lp = probs + r * cols
            var sumLogP: Float = 0
            for j in 0..<cols { sumLogP += lp[j] }
            let nll = -lp[Int(targets[r])]
            losses[r] = (1 - labelSmoothing) * nll + labelSmoothing * (-sumLogP / Float(cols))
            for j in 0..<cols { lp[j] = Foundation.exp(lp[j]) }
        }
    }

    public func crossEntropyBackward(_ probs: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows: Int, cols: Int,
                                     labelSmoothing: Float, scale: UnsafePointer<Float>,
                                     _ dLogits: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let uniform = labelSmoothing / Float(cols)
        for r in 0..<rows {
            for j in 0..<cols {
                let target: Float = j == Int(targets[r]) ? 1 - labelSmoothing : 0
                let g = scale[r] * (probs[r * cols + j] - target - uniform)
                dLogits[r * cols + j] = accumulate ? dLogits[r * cols + j] + g : g
            }
        }
    }

    public func attention(_ qkv: UnsafePointer<Float>, keyMask: UnsafePointer<Float>?, batch: Int, time: Int,
                          heads: Int, headDim: Int, dropoutMask: UnsafePointer<Float>?,
                          probs: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        let d = heads * headDim, row = 3 * d
        let scale = 1 / Float(headDim).squareRoot()
        for b in 0..<batch {
            for h in 0..<heads {
                let p = probs + (b * heads + h) * time * time
                for i in 0..<time {
                    let q = qkv + (b * time + i) * row + h * headDim
                    var scores = [Float](repeating: 0, count: time)
                    for j in 0..<time {
                        if j > i { scores[j] = -Float.greatestFiniteMagnitude; continue }
                        let k = qkv + (b * time + j) * row + d + h * headDim
                        var dot: Float = 0
                        for c in 0..<headDim { dot += q[c] * k[c] }
                        scores[j] = dot * scale
                    }
                    if let keyMask {
                        for j in 0..<time { scores[j] += (1 - keyMask[b * time + j]) * -10000 }
                    }
                    let mx = scores.max()!
                    var sum: Float = 0
                    for j in 0..<time { scores[j] = Foundation.exp(scores[j] - mx); sum += scores[j] }
                    for j in 0..<time { p[i * time + j] = scores[j] / sum }
                    let o = out + (b * time + i) * d + h * headDim
                    for c in 0..<headDim {
                        var acc: Float = 0
                        for j in 0..<time {
                            let w = p[i * time + j] * (dropoutMask?[(b * heads + h) * time * time + i * time + j] ?? 1)
                            acc += w * qkv[(b * time + j) * row + 2 * d + h * headDim + c]
                        }
                        o[c] = acc
                    }
                }
            }
        }
    }

    public func attentionBackward(_ dOut: UnsafePointer<Float>, qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                                  dropoutMask: UnsafePointer<Float>?, batch: Int, time: Int, heads: Int, headDim: Int,
                                  _ dQKV: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let d = heads * headDim, row = 3 * d
        let scale = 1 / Float(headDim).squareRoot()
        if !accumulate { dQKV.update(repeating: 0, count: batch * time * row) }
        for b in 0..<batch {
            for h in 0..<heads {
                let base = (b * heads + h) * time * time
                func at(_ t: Int, _ part: Int, _ c: Int) -> Int { (b * time + t) * row + part * d + h * headDim + c }
                for i in 0..<time {
                    // dW[i, j] = dOut_i · v_j (through dropout), dV_j += W[i, j] · dOut_i.
                    var dProb = [Float](repeating: 0, count: time)
                    for j in 0..<time {
                        let drop = dropoutMask?[base + i * time + j] ?? 1
                        var dot: Float = 0
                        for c in 0..<headDim { dot += dOut[(b * time + i) * d + h * headDim + c] * qkv[at(j, 2, c)] }
                        dProb[j] = dot * drop
                        let w = probs[base + i * time + j] * drop
                        for c in 0..<headDim { dQKV[at(j, 2, c)] += w * dOut[(b * time + i) * d + h * headDim + c] }
                    }
                    // Softmax backward, then the scaled dot product.
                    var dot: Float = 0
                    for j in 0..<time { dot += dProb[j] * probs[base + i * time + j] }
                    for j in 0...i {
                        let dScore = probs[base + i * time + j] * (dProb[j] - dot) * scale
                        for c in 0..<headDim {
                            dQKV[at(i, 0, c)] += dScore * qkv[at(j, 1, c)]
                            dQKV[at(j, 1, c)] += dScore * qkv[at(i, 0, c)]
                        }
                    }
                }
            }
        }
    }

    public func adamW(_ param: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>,
                      m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int, hyper: AdamWStep) {
        for i in 0..<count {
            let g = grad[i]
            param[i] *= hyper.decayFactor
            m[i] += hyper.oneMinusBeta1 * (g - m[i])
            v[i] = v[i] * hyper.beta2 + hyper.oneMinusBeta2 * g * g
            let denom = v[i].squareRoot() / hyper.biasCorrection2Sqrt + hyper.eps
            param[i] += -hyper.stepSize * (m[i] / denom)
        }
    }

    public func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var acc: Double = 0
        for i in 0..<count { acc += Double(x[i]) * Double(x[i]) }
        return acc
    }

    public func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Double {
        var acc: Double = 0
        for i in 0..<count { acc += Double(a[i]) * Double(b[i]) }
        return acc
    }
}
