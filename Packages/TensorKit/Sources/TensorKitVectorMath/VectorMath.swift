// e^x, GPT-2's GELU and GELU′, and a linear layer's per-element epilogue, written once for any lane
// count. Everything here is inlined into its caller and compiled for the caller's target: TensorKit
// uses 8 lanes on AVX2, its AVX-512 module 16 lanes on 512-bit registers. Same operations in the
// same order at every width, so every width gives the same bits.

/// A vector of floats with the lane-wise selects the functions below need. They are requirements
/// rather than uses of `.<` and `replacing(with:where:)` in generic code, where the standard
/// library's comparisons are per-lane scalar loops even after specialization; each conformance
/// below uses the concrete types' vector compares.
public protocol FloatVector: SIMD where Scalar == Float {
    /// `self` with `value` in the lanes where `condition` is below `bound`.
    func replacing(with value: Float, whereLanesOf condition: Self, areBelow bound: Float) -> Self
    /// `self` with `value` in the lanes where `condition` is above `bound`.
    func replacing(with value: Float, whereLanesOf condition: Self, areAbove bound: Float) -> Self
}

extension SIMD8: FloatVector where Scalar == Float {
    @_transparent
    public func replacing(with value: Float, whereLanesOf condition: Self, areBelow bound: Float) -> Self {
        replacing(with: value, where: condition .< bound)
    }
    @_transparent
    public func replacing(with value: Float, whereLanesOf condition: Self, areAbove bound: Float) -> Self {
        replacing(with: value, where: condition .> bound)
    }
}

// The same two methods as SIMD8's: each conformance must name its own concrete type for `.<` to
// be the vector compare.
extension SIMD16: FloatVector where Scalar == Float {
    @_transparent
    public func replacing(with value: Float, whereLanesOf condition: Self, areBelow bound: Float) -> Self {
        replacing(with: value, where: condition .< bound)
    }
    @_transparent
    public func replacing(with value: Float, whereLanesOf condition: Self, areAbove bound: Float) -> Self {
        replacing(with: value, where: condition .> bound)
    }
}

/// √(2/π) and the cubic coefficient of GPT-2's tanh GELU: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).
public enum GELUConstants {
    public static let c: Float = 0.7978845608028654
    public static let a: Float = 0.044715
}

/// e^x to about 2 ulp (Cephes' expf: range reduction by ln 2 in two parts, degree-6 polynomial).
/// Below −87.3 the result is 0, as expf's underflow.
@_transparent
public func vectorExp<V: FloatVector>(_ input: V) -> V {
    // Masked selects rather than `clamped`, which swiftc lowers to a per-lane scalar loop.
    let low = input.replacing(with: -87.3, whereLanesOf: input, areBelow: -87.3)
    let x = low.replacing(with: 88.3, whereLanesOf: low, areAbove: 88.3)
    // Round x·log2(e) to the nearest integer with the 1.5·2²³ trick: the integer lands in the low mantissa bits.
    let magic = V(repeating: 12582912)
    let shifted = x * 1.44269504088896341 + magic
    let n = shifted - magic
    // Fused multiply-adds throughout: `a * b + c` would stay two operations (and two roundings).
    let r1 = x.addingProduct(n, -0.693359375)
    let r = r1.addingProduct(n, 2.12194440e-4)
    let z = r * r
    var p = V(repeating: 1.3981999507e-3).addingProduct(V(repeating: 1.9875691500e-4), r)
    p = V(repeating: 8.3334519073e-3).addingProduct(p, r)
    p = V(repeating: 4.1665795894e-2).addingProduct(p, r)
    p = V(repeating: 1.6666665459e-1).addingProduct(p, r)
    p = V(repeating: 5.0000001201e-1).addingProduct(p, r)
    let y = (r + 1).addingProduct(p, z)
    let nBits = unsafeBitCast(shifted, to: V.MaskStorage.self) &- unsafeBitCast(magic, to: V.MaskStorage.self)
    let scale = unsafeBitCast((nBits &+ 127) &<< 23, to: V.self)
    return (y * scale).replacing(with: 0, whereLanesOf: input, areBelow: -87.3)
}

/// 1 + e^{−2u} with u = √(2/π)(x + 0.044715x³), given x²: GELU is x / (1 + e^{−2u}) = x·σ(2u),
/// one exp and one division, no sign handling. For u → −∞, e^{−2u} saturates at e^{88.3}
/// (finite), so GELU goes to −0 rather than NaN.
@_transparent
public func geluDenominator<V: FloatVector>(_ x: V, x2: V) -> V {
    1 + vectorExp((-2 * GELUConstants.c) * x.addingProduct(GELUConstants.a * x2, x))
}

/// d/dx x·σ(2u) = σ + x·σ(1 − σ)·2u′, u′ = √(2/π)(1 + 3·0.044715x²).
@_transparent
public func geluDerivative<V: FloatVector>(_ x: V, x2: V, sigma: V) -> V {
    let twoUPrime = (2 * GELUConstants.c) * V(repeating: 1).addingProduct(x2, 3 * GELUConstants.a)
    return sigma.addingProduct(x * sigma * (1 - sigma), twoUPrime)
}

/// GELU and GELU′ sharing one exp (a training forward pass keeps the derivative for the backward one).
@_transparent
public func geluWithDerivative<V: FloatVector>(_ x: V) -> (value: V, derivative: V) {
    let x2 = x * x
    let denominator = geluDenominator(x, x2: x2)
    return (x / denominator, geluDerivative(x, x2: x2, sigma: 1 / denominator))
}

/// What a linear layer does to one vector of its output after the bias: GELU (keeping GELU′ at
/// `derivative` when given), times the vector at `multiplier`, plus the one at `residual` (each
/// only when given).
@_transparent
public func linearEpilogue<V: FloatVector>(_ preActivation: V, gelu: Bool, derivative: UnsafeMutablePointer<Float>?,
                                           multiplier: UnsafePointer<Float>?, residual: UnsafePointer<Float>?) -> V {
    var y = preActivation
    if gelu {
        if let derivative {
            let (value, slope) = geluWithDerivative(y)
            UnsafeMutableRawPointer(derivative).storeBytes(of: slope, as: V.self)
            y = value
        } else {
            y = y / geluDenominator(y, x2: y * y)
        }
    }
    if let multiplier { y = y * UnsafeRawPointer(multiplier).loadUnaligned(as: V.self) }
    if let residual { y = UnsafeRawPointer(residual).loadUnaligned(as: V.self) + y }
    return y
}
