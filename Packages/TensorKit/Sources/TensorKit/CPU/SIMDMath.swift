// Vector helpers for the CPU kernels: 16-lane unaligned loads and stores, and exp, tanh, GELU
// and GELU′ on 16 lanes (as two 8-lane halves) and on 8.

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

/// e^x to about 2 ulp (Cephes' expf: range reduction by ln 2 in two parts, degree-6 polynomial).
/// Below −87.3 the result is 0, as expf's underflow. The 16-lane functions run as two 8-lane
/// halves: on AVX2 swiftc legalizes 16-lane masks and selects through 128-bit pieces and a stack
/// frame, several times slower than the same operations on the 256-bit registers.
@_transparent func exp16(_ x: F16) -> F16 {
    F16(lowHalf: exp8(x.lowHalf), highHalf: exp8(x.highHalf))
}

@_transparent func exp8(_ input: F8) -> F8 {
    // Masked selects rather than `clamped`, which swiftc lowers to a per-lane scalar loop.
    let low = input.replacing(with: -87.3, where: input .< -87.3)
    let x = low.replacing(with: 88.3, where: low .> 88.3)
    // Round x·log2(e) to the nearest integer with the 1.5·2²³ trick: the integer lands in the low mantissa bits.
    let magic = F8(repeating: 12582912)
    let shifted = x * 1.44269504088896341 + magic
    let n = shifted - magic
    // Fused multiply-adds throughout: `a * b + c` would stay two operations (and two roundings).
    let r1 = x.addingProduct(n, -0.693359375)
    let r = r1.addingProduct(n, 2.12194440e-4)
    let z = r * r
    var p = F8(repeating: 1.3981999507e-3).addingProduct(F8(repeating: 1.9875691500e-4), r)
    p = F8(repeating: 8.3334519073e-3).addingProduct(p, r)
    p = F8(repeating: 4.1665795894e-2).addingProduct(p, r)
    p = F8(repeating: 1.6666665459e-1).addingProduct(p, r)
    p = F8(repeating: 5.0000001201e-1).addingProduct(p, r)
    let y = (r + 1).addingProduct(p, z)
    let nBits = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
    let scale = unsafeBitCast((nBits &+ 127) &<< 23, to: F8.self)
    return (y * scale).replacing(with: 0, where: input .< -87.3)
}

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

/// GPT-2's tanh GELU and its derivative, lane-wise. With u = √(2/π)(x + 0.044715x³),
/// 0.5x(1 + tanh u) = x·σ(2u) = x / (1 + e^{−2u}): one exp and one division, no sign handling.
/// For u → −∞, e^{−2u} saturates at e^{88.3} (finite), so the result goes to −0 rather than NaN.
@_transparent func gelu16(_ x: F16) -> F16 {
    F16(lowHalf: gelu8(x.lowHalf), highHalf: gelu8(x.highHalf))
}

@_transparent func gelu8(_ x: F8) -> F8 {
    x / onePlusExpMinusTwoU(x, x2: x * x)
}

/// 1 + e^{−2u}, the denominator GELU and GELU′ share.
@_transparent func onePlusExpMinusTwoU(_ x: F8, x2: F8) -> F8 {
    1 + exp8((-2 * ScalarMath.geluC) * x.addingProduct(ScalarMath.geluA * x2, x))
}
/// d/dx x·σ(2u) = σ + x·σ(1 − σ)·2u′, u′ = √(2/π)(1 + 3·0.044715x²).
@_transparent func geluDerivative16(_ x: F16) -> F16 {
    F16(lowHalf: geluDerivative8(x.lowHalf), highHalf: geluDerivative8(x.highHalf))
}

@_transparent func geluDerivative8(_ x: F8) -> F8 {
    let x2 = x * x
    return geluDerivative8(x, x2: x2, sigma: 1 / onePlusExpMinusTwoU(x, x2: x2))
}

@_transparent func geluDerivative8(_ x: F8, x2: F8, sigma: F8) -> F8 {
    let twoUPrime = (2 * ScalarMath.geluC) * F8(repeating: 1).addingProduct(x2, 3 * ScalarMath.geluA)
    return sigma.addingProduct(x * sigma * (1 - sigma), twoUPrime)
}

/// GELU and GELU′ sharing one exp (a training forward pass keeps the derivative for the backward
/// one): the same operations as `gelu8` and `geluDerivative8`, so the same bits.
@_transparent func geluWithDerivative16(_ x: F16) -> (value: F16, derivative: F16) {
    let low = geluWithDerivative8(x.lowHalf), high = geluWithDerivative8(x.highHalf)
    return (F16(lowHalf: low.value, highHalf: high.value), F16(lowHalf: low.derivative, highHalf: high.derivative))
}

@_transparent func geluWithDerivative8(_ x: F8) -> (value: F8, derivative: F8) {
    let x2 = x * x
    let onePlusE = onePlusExpMinusTwoU(x, x2: x2)
    return (x / onePlusE, geluDerivative8(x, x2: x2, sigma: 1 / onePlusE))
}
