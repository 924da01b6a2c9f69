import Foundation
import TensorKitVectorMath

/// The scalar definitions of the unary ops and their derivatives, shared by both backends so the
/// fast one differs from the reference only in how it loops, never in what it computes per element.
enum ScalarMath {
    @inline(__always)
    static func apply(_ op: UnaryOp, _ x: Float) -> Float {
        switch op {
        case .neg: return -x
        case .exp: return Foundation.exp(x)
        case .log: return Foundation.log(x)
        case .sqrt: return x.squareRoot()
        case .tanh: return Foundation.tanh(x)
        case .relu: return x > 0 ? x : 0
        case .square: return x * x
        case .gelu: return 0.5 * x * (1 + Foundation.tanh(GELUConstants.c * (x + GELUConstants.a * x * x * x)))
        case .scale(let s): return x * s
        case .shift(let s): return x + s
        case .power(let p): return Foundation.pow(x, p)
        }
    }

    /// d op(x) / dx.
    @inline(__always)
    static func derivative(_ op: UnaryOp, _ x: Float) -> Float {
        switch op {
        case .neg: return -1
        case .exp: return Foundation.exp(x)
        case .log: return 1 / x
        case .sqrt: return 0.5 / x.squareRoot()
        case .tanh: let t = Foundation.tanh(x); return 1 - t * t
        case .relu: return x > 0 ? 1 : 0
        case .square: return 2 * x
        case .gelu:
            let inner = GELUConstants.c * (x + GELUConstants.a * x * x * x)
            let t = Foundation.tanh(inner)
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELUConstants.c * (1 + 3 * GELUConstants.a * x * x)
        case .scale(let s): return s
        case .shift: return 1
        case .power(let p): return p * Foundation.pow(x, p - 1)
        }
    }

    @inline(__always)
    static func apply(_ op: BinaryOp, _ a: Float, _ b: Float) -> Float {
        switch op {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        }
    }
}

/// Walks every index of `shape` in row-major order, tracking an offset per stride set.
/// Used for the general (strided, broadcast) cases; fast paths avoid it.
@inline(__always)
func forEachIndex(shape: [Int], strides: [[Int]], _ body: (Int, [Int]) -> Void) {
    let total = Shape.count(shape)
    if total == 0 { return }
    let rank = shape.count
    var index = [Int](repeating: 0, count: rank)
    var offsets = [Int](repeating: 0, count: strides.count)
    for linear in 0..<total {
        body(linear, offsets)
        var axis = rank - 1
        while axis >= 0 {
            index[axis] += 1
            for s in 0..<strides.count { offsets[s] += strides[s][axis] }
            if index[axis] < shape[axis] { break }
            for s in 0..<strides.count { offsets[s] -= strides[s][axis] * shape[axis] }
            index[axis] = 0
            axis -= 1
        }
    }
}
