import Foundation

// Element-wise kernels, data movement and reductions of `CPUBackend`.

extension CPUBackend {
    /// out[i] = f(x[i]) in 16-lane pieces, split over threads for large counts.
    @inline(__always)
    func map16(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int, _ f: (F16) -> F16) {
        parallelRanges(count, grain: 1 << 15, align: 16) { r in
            var i = r.lowerBound
            while i + 16 <= r.upperBound { store16(f(load16(x + i)), out + i); i += 16 }
            if i < r.upperBound { storePartial(f(loadPartial(x + i, r.upperBound - i)), out + i, r.upperBound - i) }
        }
    }

    /// out[i] = f(a[i], b[i]) in 16-lane pieces.
    @inline(__always)
    func zip16(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int,
               _ f: (F16, F16) -> F16) {
        parallelRanges(count, grain: 1 << 15, align: 16) { r in
            var i = r.lowerBound
            while i + 16 <= r.upperBound { store16(f(load16(a + i), load16(b + i)), out + i); i += 16 }
            let n = r.upperBound - i
            if n > 0 { storePartial(f(loadPartial(a + i, n), loadPartial(b + i, n)), out + i, n) }
        }
    }

    /// The lane-wise form of a unary op.
    @inline(__always)
    static func lanes(_ op: UnaryOp, _ v: F16) -> F16 {
        switch op {
        case .neg: return -v
        case .exp: return exp16(v)
        case .tanh: return tanh16(v)
        case .gelu: return gelu16(v)
        case .relu: return pointwiseMax(v, F16())
        case .square: return v * v
        case .sqrt: return v.squareRoot()
        case .scale(let s): return v * s
        case .shift(let s): return v + s
        case .log, .power:
            var o = v
            for l in 0..<16 { o[l] = ScalarMath.apply(op, v[l]) }
            return o
        }
    }

    public func unary(_ op: UnaryOp, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int) {
        switch op {
        case .gelu: map16(x, out, count: count) { gelu16($0) }
        case .exp: map16(x, out, count: count) { exp16($0) }
        case .scale(let s): map16(x, out, count: count) { $0 * s }
        case .shift(let s): map16(x, out, count: count) { $0 + s }
        default: map16(x, out, count: count) { CPUBackend.lanes(op, $0) }
        }
    }

    public func unaryBackward(_ op: UnaryOp, _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                              _ dx: UnsafeMutablePointer<Float>, count: Int, accumulate: Bool) {
        if op == .gelu { return geluBackward(x, dy, dx, count: count, accumulate: accumulate) }
        func derivative(_ v: F16) -> F16 {
            switch op {
            case .gelu: return geluDerivative16(v)  // not reached: geluBackward above
            case .exp: return exp16(v)
            case .tanh: let t = tanh16(v); return 1 - t * t
            case .neg: return F16(repeating: -1)
            case .scale(let s): return F16(repeating: s)
            case .shift: return F16(repeating: 1)
            case .square: return 2 * v
            case .relu: return F16(repeating: 1).replacing(with: 0, where: v .<= 0)
            case .sqrt: return 0.5 / v.squareRoot()
            case .log: return 1 / v
            case .power:
                var o = v
                for l in 0..<16 { o[l] = ScalarMath.derivative(op, v[l]) }
                return o
            }
        }
        if accumulate {
            parallelRanges(count, grain: 1 << 15, align: 16) { r in
                var i = r.lowerBound
                while i + 16 <= r.upperBound {
                    store16(load16(dx + i) + load16(dy + i) * derivative(load16(x + i)), dx + i); i += 16
                }
                let n = r.upperBound - i
                if n > 0 {
                    let g = loadPartial(UnsafePointer(dx + i), n) + loadPartial(dy + i, n) * derivative(loadPartial(x + i, n))
                    storePartial(g, dx + i, n)
                }
            }
        } else {
            zip16(x, dy, dx, count: count) { xv, gv in gv * derivative(xv) }
        }
    }

    /// dx = dy · GELU′(x) (or dx += that), every MLP's backward pass, written out on 8-lane vectors:
    /// through the closures of `unaryBackward`, swiftc kept the derivative an outlined call per 16 lanes that
    /// computed on 128-bit pieces, at about half this loop's speed. The same operations lane for
    /// lane (the tail goes through the 16-lane form), so the same bits.
    func geluBackward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                      count: Int, accumulate: Bool) {
        parallelRanges(count, grain: 1 << 15, align: 16) { r in
            var i = r.lowerBound
            while i + 8 <= r.upperBound {
                var g = GEMM.load8(dy + i) * geluDerivative8(GEMM.load8(x + i))
                if accumulate { g = GEMM.load8(dx + i) + g }
                GEMM.store8(dx + i, g)
                i += 8
            }
            let n = r.upperBound - i
            if n > 0 {
                var g = loadPartial(dy + i, n) * geluDerivative16(loadPartial(x + i, n))
                if accumulate { g = loadPartial(UnsafePointer(dx + i), n) + g }
                storePartial(g, dx + i, n)
            }
        }
    }

    public func binary(_ op: BinaryOp, _ a: UnsafePointer<Float>, strides aStrides: [Int],
                       _ b: UnsafePointer<Float>, strides bStrides: [Int],
                       _ out: UnsafeMutablePointer<Float>, shape: [Int]) {
        let count = Shape.count(shape)
        guard count > 0 else { return }
        let dense = Shape.strides(shape)
        func f(_ x: F16, _ y: F16) -> F16 {
            switch op {
            case .add: return x + y
            case .sub: return x - y
            case .mul: return x * y
            case .div: return x / y
            }
        }
        if aStrides == dense && bStrides == dense {
            switch op {
            case .add: zip16(a, b, out, count: count) { $0 + $1 }
            case .sub: zip16(a, b, out, count: count) { $0 - $1 }
            case .mul: zip16(a, b, out, count: count) { $0 * $1 }
            case .div: zip16(a, b, out, count: count) { $0 / $1 }
            }
            return
        }
        // One operand contiguous, the other repeated along leading axes (a bias, a scalar):
        // process rows of the repeated operand's period (a row never crosses a period, so the
        // repeated operand is read at the row's own offsets).
        if let period = CPUBackend.rowPeriod(strides: bStrides, shape: shape), aStrides == dense {
            rowWise(count: count, period: period) { row, n in
                let x = a + row, o = out + row
                var j = 0
                while j + 16 <= n { store16(f(load16(x + j), load16(b + j)), o + j); j += 16 }
                for t in j..<n { o[t] = ScalarMath.apply(op, x[t], b[t]) }
            }
            return
        }
        if let period = CPUBackend.rowPeriod(strides: aStrides, shape: shape), bStrides == dense {
            rowWise(count: count, period: period) { row, n in
                let y = b + row, o = out + row
                var j = 0
                while j + 16 <= n { store16(f(load16(a + j), load16(y + j)), o + j); j += 16 }
                for t in j..<n { o[t] = ScalarMath.apply(op, a[t], y[t]) }
            }
            return
        }
        forEachIndex(shape: shape, strides: [aStrides, bStrides]) { i, o in
            out[i] = ScalarMath.apply(op, a[o[0]], b[o[1]])
        }
    }

    /// When `strides` read a contiguous block of the trailing axes repeated along the leading ones
    /// (strides 0 then dense), that block's element count; else nil. A scalar has period 1.
    static func rowPeriod(strides: [Int], shape: [Int]) -> Int? {
        var split = shape.count
        while split > 0 && strides[split - 1] != 0 { split -= 1 }
        // Axes split..< must be dense for the trailing block, axes ..<split all repeated.
        let trailing = Array(shape[split...])
        guard Array(strides[split...]) == Shape.strides(trailing), strides[..<split].allSatisfy({ $0 == 0 }) else { return nil }
        return Shape.count(trailing)
    }

    /// Calls body(rowStart, period) for each period-long row, rows split over threads.
    @inline(__always)
    private func rowWise(count: Int, period: Int, _ body: (Int, Int) -> Void) {
        let rows = count / period
        parallelRanges(rows, grain: Swift.max(1, (1 << 15) / Swift.max(period, 1))) { r in
            for row in r { body(row * period, period) }
        }
    }

    public func copyStrided(_ src: UnsafePointer<Float>, strides: [Int], _ dst: UnsafeMutablePointer<Float>, shape: [Int]) {
        let count = Shape.count(shape)
        guard count > 0 else { return }
        guard let last = shape.last else { dst[0] = src[0]; return }
        let outerShape = Array(shape.dropLast()), outerStrides = Array(strides.dropLast())
        let step = strides[strides.count - 1]
        forEachIndex(shape: outerShape, strides: [outerStrides]) { row, o in
            let d = dst + row * last, s = src + o[0]
            if step == 1 { d.update(from: s, count: last) } else { for j in 0..<last { d[j] = s[j * step] } }
        }
    }

    public func sumBroadcast(_ x: UnsafePointer<Float>, shape: [Int], _ out: UnsafeMutablePointer<Float>,
                             outStrides: [Int], outCount: Int) {
        out.update(repeating: 0, count: outCount)
        guard Shape.count(shape) > 0 else { return }
        guard let last = shape.last else { out[0] = x[0]; return }
        // Bias gradients: [rows, cols] summed into [cols]. Column strips are independent, and each
        // column is summed over rows in order, so threads never change the result.
        if shape.count >= 2, outStrides.last == 1, outStrides.dropLast().allSatisfy({ $0 == 0 }) {
            let rows = Shape.count(shape) / last
            parallelRanges((last + 15) / 16, grain: 4, align: 4) { strips in
                var s = strips.lowerBound
                // Four full strips at once: four independent sums, and 256 contiguous bytes read per row.
                while s + 4 <= strips.upperBound && (s + 4) * 16 <= last {
                    var a0 = F16(), a1 = F16(), a2 = F16(), a3 = F16()
                    var p = x + s * 16
                    for _ in 0..<rows {
                        a0 += load16(p); a1 += load16(p + 16); a2 += load16(p + 32); a3 += load16(p + 48)
                        p += last
                    }
                    let o = out + s * 16
                    store16(a0, o); store16(a1, o + 16); store16(a2, o + 32); store16(a3, o + 48)
                    s += 4
                }
                for s in s..<strips.upperBound {
                    let c0 = s * 16, n = Swift.min(16, last - c0)
                    var acc = F16()
                    if n == 16 {
                        for r in 0..<rows { acc += load16(x + r * last + c0) }
                        store16(acc, out + c0)
                    } else {
                        for r in 0..<rows { acc += loadPartial(x + r * last + c0, n) }
                        storePartial(acc, out + c0, n)
                    }
                }
            }
            return
        }
        let outerShape = Array(shape.dropLast()), outerStrides = Array(outStrides.dropLast())
        let step = outStrides[outStrides.count - 1]
        forEachIndex(shape: outerShape, strides: [outerStrides]) { row, o in
            let s = x + row * last, d = out + o[0]
            if step == 0 {
                var acc: Float = 0
                for j in 0..<last { acc += s[j] }
                d[0] += acc
            } else {
                for j in 0..<last { d[j * step] += s[j] }
            }
        }
    }

    public func gatherRows(_ table: UnsafePointer<Float>, ids: UnsafePointer<Int32>, count: Int, cols: Int,
                           _ out: UnsafeMutablePointer<Float>) {
        parallelRanges(count, grain: Swift.max(1, 8192 / Swift.max(cols, 1))) { r in
            for i in r { (out + i * cols).update(from: table + Int(ids[i]) * cols, count: cols) }
        }
    }

    public func scatterAddRows(_ dy: UnsafePointer<Float>, ids: UnsafePointer<Int32>, count: Int, cols: Int,
                               _ dTable: UnsafeMutablePointer<Float>) {
        // In id order on one thread: repeated ids must add up in a fixed order.
        for i in 0..<count {
            let d = dTable + Int(ids[i]) * cols, g = dy + i * cols
            var j = 0
            while j + 16 <= cols { store16(load16(d + j) + load16(g + j), d + j); j += 16 }
            while j < cols { d[j] += g[j]; j += 1 }
        }
    }

    public func reduce(_ op: ReduceOp, _ x: UnsafePointer<Float>, outer: Int, axis: Int, inner: Int,
                       _ out: UnsafeMutablePointer<Float>) {
        parallelRanges(outer, grain: Swift.max(1, 8192 / Swift.max(axis * inner, 1))) { r in
            for o in r {
                let src = x + o * axis * inner, dst = out + o * inner
                if inner == 1 {
                    dst[0] = op == .sum ? CPUBackend.rowSum(src, axis) : CPUBackend.rowMax(src, axis)
                    continue
                }
                // Accumulate whole rows of `inner` in axis order (the same order as the reference).
                if axis == 0 { dst.update(repeating: op == .sum ? 0 : -.infinity, count: inner); continue }
                dst.update(from: src, count: inner)
                for j in 1..<Swift.max(axis, 1) {
                    let row = src + j * inner
                    var i = 0
                    while i + 16 <= inner {
                        let v = load16(row + i), acc = load16(dst + i)
                        store16(op == .sum ? acc + v : pointwiseMax(acc, v), dst + i)
                        i += 16
                    }
                    while i < inner { dst[i] = op == .sum ? dst[i] + row[i] : Swift.max(dst[i], row[i]); i += 1 }
                }
            }
        }
    }

    static func rowSum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var a0 = F16(), a1 = F16()
        var j = 0
        while j + 32 <= n { a0 += load16(x + j); a1 += load16(x + j + 16); j += 32 }
        if j + 16 <= n { a0 += load16(x + j); j += 16 }
        if j < n { a1 += loadPartial(x + j, n - j) }
        return horizontalSum(a0 + a1)
    }

    static func rowMax(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = F16(repeating: -.infinity)
        var j = 0
        while j + 16 <= n { acc = pointwiseMax(acc, load16(x + j)); j += 16 }
        var m = horizontalMax(acc)
        while j < n { m = Swift.max(m, x[j]); j += 1 }
        return m
    }

    public func argmax(_ x: UnsafePointer<Float>, outer: Int, axis: Int, inner: Int, _ out: UnsafeMutablePointer<Int32>) {
        parallelRanges(outer, grain: Swift.max(1, 8192 / Swift.max(axis * inner, 1))) { r in
            for o in r {
                let src = x + o * axis * inner
                if inner == 1 {
                    // The vector maximum, then its first position (the first of ties, as PyTorch).
                    let best = CPUBackend.rowMax(src, axis)
                    var j = 0
                    while j < axis && src[j] != best { j += 1 }
                    out[o] = Int32(j < axis ? j : 0)
                    continue
                }
                for i in 0..<inner {
                    var best = 0
                    for j in 1..<Swift.max(axis, 1) where src[j * inner + i] > src[best * inner + i] { best = j }
                    out[o * inner + i] = Int32(best)
                }
            }
        }
    }
}
