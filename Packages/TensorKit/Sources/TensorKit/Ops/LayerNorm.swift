// Layer normalization over the last axis, fused with a hand-written backward.

extension Tensor {
    /// `(x − mean) / √(var + eps) · weight + bias` over the last axis (biased variance, as PyTorch).
    /// weight and bias have shape `[cols]`.
    public static func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, eps: Float = 1e-5) -> Tensor {
        let cols = x.shape.last ?? 0, rows = x.count / Swift.max(cols, 1)
        precondition(weight.shape == [cols] && bias.shape == [cols],
                     "layerNorm: weight \(weight.shape) and bias \(bias.shape) must both be [\(cols)] for input \(x.shape)")
        let out = Tensor(uninitialized: x.shape)
        let mean = Tensor(uninitialized: [rows]), rstd = Tensor(uninitialized: [rows])
        Backends.current.layerNorm(x.pointer, gamma: weight.pointer, beta: bias.pointer, rows: rows, cols: cols, eps: eps,
                                   out.pointer, mean: mean.pointer, rstd: rstd.pointer)
        return out.recording("layerNorm", [x, weight, bias]) { g in
            let dx = x.requiresGrad ? Tensor(uninitialized: x.shape) : nil
            let dw = weight.requiresGrad ? Tensor(zeros: [cols]) : nil
            let db = bias.requiresGrad ? Tensor(zeros: [cols]) : nil
            Backends.current.layerNormBackward(g.pointer, x: x.pointer, gamma: weight.pointer, mean: mean.pointer,
                                               rstd: rstd.pointer, rows: rows, cols: cols, dx: dx?.pointer,
                                               accumulate: false, dGamma: dw?.pointer, dBeta: db?.pointer)
            return [dx, dw, db]
        }
    }
}
