/// Scales all gradients together so that their joint L2 norm is at most `maxNorm`
/// (PyTorch's `clip_grad_norm_`: coefficient maxNorm / (norm + 1e-6), applied only when below 1).
/// Returns the norm before clipping. Parameters without a gradient are ignored.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Double) -> Double {
    precondition(maxNorm > 0, "clipGradientNorm: maxNorm \(maxNorm) must be positive")
    let grads = parameters.compactMap(\.grad)
    let backend = Backends.current
    let total = grads.reduce(0.0) { $0 + backend.sumOfSquares($1.pointer, count: $1.count) }.squareRoot()
    let coefficient = maxNorm / (total + 1e-6)
    if coefficient < 1 {
        for g in grads { backend.unary(.scale(Float(coefficient)), g.pointer, g.pointer, count: g.count) }
    }
    return total
}
