// Softmax and log-softmax over the last axis.

extension Tensor {
    private func softmaxLike(log: Bool) -> Tensor {
        precondition(rank >= 1, "softmax: needs at least one axis, got a scalar")
        let cols = shape[rank - 1], rows = count / Swift.max(cols, 1)
        let out = Tensor(zeros: shape)
        Backends.current.softmaxRows(pointer, rows: rows, cols: cols, log: log, out.pointer)
        return out.recording(log ? "logSoftmax" : "softmax", [self]) { [unowned out] g in
            let dx = Tensor(zeros: self.shape)
            Backends.current.softmaxRowsBackward(out.pointer, g.pointer, rows: rows, cols: cols, log: log,
                                                 dx.pointer, accumulate: false)
            return [dx]
        }
    }

    /// exp(x − max) / Σ exp(x − max) along the last axis.
    public func softmax() -> Tensor { softmaxLike(log: false) }

    /// x − max − log Σ exp(x − max) along the last axis.
    public func logSoftmax() -> Tensor { softmaxLike(log: true) }
}
