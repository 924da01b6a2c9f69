// A linear layer as one op: the product, the bias, the activation and a residual in one pass over the output.

extension Tensor {
    /// `activation(x · weight + bias)` over the last axis of x: x `[..., k]`, weight `[k, n]`,
    /// bias `[n]` → `[..., n]`. The same values as `matmul(x, weight) + bias` (then `.gelu()`), with
    /// the bias and GELU applied while each output tile is still in cache instead of in two
    /// further passes. For `.gelu` GELU′ is kept for the backward pass (computed with GELU, from
    /// the same exponential, rather than again from a kept pre-activation).
    ///
    /// - residual: when given (the output's shape), added last — `residual + activation(x · weight + bias)`,
    ///   a residual connection in the same pass, the same values as adding it afterwards.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor, activation: Activation = .identity,
                              residual: Tensor? = nil) -> Tensor {
        let k = x.shape.last ?? 0
        precondition(x.rank >= 1 && weight.rank == 2 && weight.shape[0] == k,
                     "linear: input \(x.shape) does not match weight \(weight.shape) ([in, out])")
        let n = weight.shape[1]
        precondition(bias.shape == [n], "linear: bias \(bias.shape) must be [\(n)] for weight \(weight.shape)")
        let rows = x.count / Swift.max(k, 1)
        let shape = Array(x.shape.dropLast()) + [n]
        if let residual {
            precondition(residual.shape == shape, "linear: residual \(residual.shape) must be the output's shape \(shape)")
        }
        let out = Tensor(uninitialized: shape)
        // GELU′ is only kept when a gradient will need it.
        let derivative = activation == .gelu && Tensor.needsGrad([x, weight, bias]) ? Tensor(uninitialized: shape) : nil
        Backends.current.linear(m: rows, n: n, k: k, x: x.pointer, w: weight.pointer, transposeW: false, bias: bias.pointer,
                                activation: activation, geluDerivative: derivative?.pointer, residual: residual?.pointer,
                                out.pointer)
        let inputs = residual.map { [x, weight, bias, $0] } ?? [x, weight, bias]
        return out.recording("linear", inputs) { g in
            // Through the activation first: dPre = g · act′(pre) (backward runs without recording).
            let dPre = derivative.map { g * $0 } ?? g
            let (dx, dw, db) = linearGradients(x, weight: weight, bias: bias, outputGradient: dPre.reshaped([rows, n]))
            // The residual passes its gradient through unchanged.
            return [dx, dw, db, g]
        }
    }

    /// The gradients of `x · weight + bias` (x `[..., k]`) given the gradient of that sum as
    /// `[rows, n]`: nil for an input that needs none, and for a weight whose gradient went
    /// straight into the running pass's sum (see `weightGradient`).
    static func linearGradients(_ x: Tensor, weight: Tensor, bias: Tensor,
                                outputGradient g: Tensor) -> (dx: Tensor?, dw: Tensor?, db: Tensor?) {
        let (rows, n) = (g.shape[0], g.shape[1])
        let dx: Tensor? = x.requiresGrad ? matmul(g, weight, transposeB: true).reshaped(x.shape) : nil
        let dw: Tensor? = weight.requiresGrad ? weightGradient(x.reshaped([rows, weight.shape[0]]), g, weight) : nil
        let db: Tensor? = bias.requiresGrad ? g.summed(toShape: [n]) : nil
        return (dx, dw, db)
    }

    /// dW = xᵀ·g for the backward pass above. A leaf weight that already holds a gradient in this
    /// pass (a layer re-applied at every recurrence step) gets the product added straight into
    /// it, in the GEMM's own pass over dW (β = 1), instead of a fresh product, a sum and a copy —
    /// three passes over a d²-sized matrix per use. Returns nil then: the weight's gradient is
    /// already complete.
    static func weightGradient(_ x: Tensor, _ g: Tensor, _ weight: Tensor) -> Tensor? {
        guard weight.isLeaf, let pass = LeafGradients.current else { return matmul(x, g, transposeA: true) }
        let (rows, k, n) = (x.shape[0], x.shape[1], g.shape[1])
        if let existing = pass.existing(weight) {
            Backends.current.gemm(transA: true, transB: false, m: k, n: n, k: rows, alpha: 1, a: x.pointer, lda: k,
                                  b: g.pointer, ldb: n, beta: 1, c: existing.pointer, ldc: n)
        } else {
            // A fresh product that nothing else holds: the leaf can own it without a copy.
            pass.start(weight, matmul(x, g, transposeA: true))
        }
        return nil
    }
}
