// A transformer's feed-forward branch as one op, so that its backward pass can take the gradient
// through GELU′ inside a product instead of in a pass of its own.

extension Tensor {
    /// `residual + gelu(x · hiddenWeight + hiddenBias) · outputWeight + outputBias`: x `[..., d]`,
    /// hiddenWeight `[d, h]`, outputWeight `[h, d]`; the same values as two `linear` calls (the
    /// first with `.gelu`, the second with the residual), in the same kernels.
    ///
    /// The backward pass differs in one place: the hidden layer's gradient, (g · outputWeightᵀ) ⊙
    /// GELU′, is one product whose epilogue multiplies by the kept GELU′ (`Backend.matmulMultiplied`)
    /// rather than a product and then a pass multiplying it; same operations, same bits.
    public static func feedForward(_ x: Tensor, hiddenWeight: Tensor, hiddenBias: Tensor, outputWeight: Tensor,
                                   outputBias: Tensor, residual: Tensor? = nil) -> Tensor {
        let d = x.shape.last ?? 0
        precondition(x.rank >= 1 && hiddenWeight.rank == 2 && hiddenWeight.shape[0] == d && outputWeight.rank == 2
                     && outputWeight.shape[0] == hiddenWeight.shape[1],
                     "feedForward: input \(x.shape), hidden weight \(hiddenWeight.shape) and output weight \(outputWeight.shape) do not chain ([in, out] each)")
        let (h, n) = (hiddenWeight.shape[1], outputWeight.shape[1])
        precondition(hiddenBias.shape == [h] && outputBias.shape == [n],
                     "feedForward: biases \(hiddenBias.shape) and \(outputBias.shape) must be [\(h)] and [\(n)]")
        let rows = x.count / Swift.max(d, 1)
        let shape = Array(x.shape.dropLast()) + [n]
        if let residual {
            precondition(residual.shape == shape, "feedForward: residual \(residual.shape) must be the output's shape \(shape)")
        }
        let weights = [x, hiddenWeight, hiddenBias, outputWeight, outputBias]
        let hidden = Tensor(uninitialized: [rows, h])
        // GELU′ is only kept when a gradient will need it.
        let derivative = Tensor.needsGrad(weights) ? Tensor(uninitialized: [rows, h]) : nil
        let backend = Backends.current
        backend.linear(m: rows, n: h, k: d, x: x.pointer, w: hiddenWeight.pointer, transposeW: false, bias: hiddenBias.pointer,
                       activation: .gelu, geluDerivative: derivative?.pointer, residual: nil, hidden.pointer)
        let out = Tensor(uninitialized: shape)
        backend.linear(m: rows, n: n, k: h, x: hidden.pointer, w: outputWeight.pointer, transposeW: false, bias: outputBias.pointer,
                       activation: .identity, geluDerivative: nil, residual: residual?.pointer, out.pointer)
        guard let derivative else { return out }
        return out.recording("feedForward", residual.map { weights + [$0] } ?? weights) { g in
            let flatG = g.reshaped([rows, n])
            let (_, dOutputWeight, dOutputBias) = linearGradients(hidden, weight: outputWeight, bias: outputBias, outputGradient: flatG)
            guard x.requiresGrad || hiddenWeight.requiresGrad || hiddenBias.requiresGrad else {
                return [nil, nil, nil, dOutputWeight, dOutputBias, g]
            }
            // (g · outputWeightᵀ) ⊙ GELU′ in one product.
            let dPre = Tensor(uninitialized: [rows, h])
            Backends.current.matmulMultiplied(m: rows, n: h, k: n, a: flatG.pointer, bTransposed: outputWeight.pointer,
                                              multiplier: derivative.pointer, dPre.pointer)
            let (dx, dHiddenWeight, dHiddenBias) = linearGradients(x, weight: hiddenWeight, bias: hiddenBias, outputGradient: dPre)
            // The residual passes its gradient through unchanged.
            return [dx, dHiddenWeight, dHiddenBias, dOutputWeight, dOutputBias, g]
        }
    }
}
