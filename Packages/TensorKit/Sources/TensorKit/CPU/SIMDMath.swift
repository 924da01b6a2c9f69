// Vector helpers for the CPU kernels: 16-lane unaligned loads and stores, and exp, tanh, GELU
// and GELU′ on 16 lanes (as two 8-lane halves) and on 8.

import TensorKitVectorMath

typealias F16 = SIMD16<Float>
typealias F8 = SIMD8<Float>

/// 0, 1, …, 15: masks off the padding lanes of a tail.
let laneIndex16 = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

@inline(__always) func load16(_ p: UnsafePointer<Float>) -> F16 {
    UnsafeRawPointer(p).loadUnaligned(as: F16.self)
}
@inline(__always) func load16(_ p: UnsafeMutablePointer<Float>) -> F16 {
    UnsafeRawPointer(p).loadUnaligned(as: F16.self)
}
@inline(__always) func store16(_ v: F16, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: F16.self)
}

/// The first `n` (< 16) elements, zero-padded: tails go through the same vector code as the body,
/// so an element's result never depends on where a chunk boundary fell.
/// (A byte copy through the vector's own storage: inserting lanes one by one at a variable index
/// compiles to a store and a stalled reload of the whole vector per lane.)
@inline(__always) func loadPartial(_ p: UnsafePointer<Float>, _ n: Int) -> F16 {
    var v = F16()
    withUnsafeMutableBytes(of: &v) { $0.baseAddress!.copyMemory(from: p, byteCount: n &* 4) }
    return v
}
@inline(__always) func storePartial(_ v: F16, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
    withUnsafeBytes(of: v) { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: n &* 4) }
}

/// Horizontal sum by halving (SIMD16.sum() would be 15 dependent scalar adds).
@inline(__always) func horizontalSum(_ v: F16) -> Float {
    let a = v.lowHalf + v.highHalf
    let b = a.lowHalf + a.highHalf
    let c = b.lowHalf + b.highHalf
    return c[0] + c[1]
}
@inline(__always) func horizontalMax(_ v: F16) -> Float {
    let a = pointwiseMax(v.lowHalf, v.highHalf)
    let b = pointwiseMax(a.lowHalf, a.highHalf)
    let c = pointwiseMax(b.lowHalf, b.highHalf)
    return Swift.max(c[0], c[1])
}

/// e^x to about 2 ulp (`vectorExp`). The 16-lane functions run as two 8-lane halves: on AVX2
/// swiftc legalizes 16-lane masks and selects through 128-bit pieces and a stack frame, several
/// times slower than the same operations on the 256-bit registers.
@_transparent func exp16(_ x: F16) -> F16 {
    F16(lowHalf: exp8(x.lowHalf), highHalf: exp8(x.highHalf))
}

@_transparent func exp8(_ x: F8) -> F8 { vectorExp(x) }

/// tanh(x) = sign(x)·(1 − 2/(e^{2|x|} + 1)); absolute error about 1e-7.
@_transparent func tanh16(_ x: F16) -> F16 {
    F16(lowHalf: tanh8(x.lowHalf), highHalf: tanh8(x.highHalf))
}

@_transparent func tanh8(_ x: F8) -> F8 {
    let e = exp8(2 * abs8(x))
    let t = 1 - 2 / (e + 1)
    return t.replacing(with: -t, where: x .< 0)
}

@inline(__always) func abs8(_ x: F8) -> F8 {
    unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: F8.self)
}

/// GPT-2's tanh GELU and its derivative, lane-wise (TensorKitVectorMath has the formulas).
@_transparent func gelu16(_ x: F16) -> F16 {
    F16(lowHalf: gelu8(x.lowHalf), highHalf: gelu8(x.highHalf))
}

@_transparent func gelu8(_ x: F8) -> F8 {
    x / geluDenominator(x, x2: x * x)
}

@_transparent func geluDerivative16(_ x: F16) -> F16 {
    F16(lowHalf: geluDerivative8(x.lowHalf), highHalf: geluDerivative8(x.highHalf))
}

@_transparent func geluDerivative8(_ x: F8) -> F8 {
    let x2 = x * x
    return geluDerivative(x, x2: x2, sigma: 1 / geluDenominator(x, x2: x2))
}

/// GELU and GELU′ sharing one exp: the same operations as `gelu8` and `geluDerivative8`, so the same bits.
@_transparent func geluWithDerivative16(_ x: F16) -> (value: F16, derivative: F16) {
    let low = geluWithDerivative(x.lowHalf), high = geluWithDerivative(x.highHalf)
    return (F16(lowHalf: low.value, highHalf: high.value), F16(lowHalf: low.derivative, highHalf: high.derivative))
}
