// Cross-entropy with label smoothing, fused with its softmax.

extension Tensor {
    /// Mean over rows of PyTorch's `F.cross_entropy(logits, targets, label_smoothing: ε)`:
    /// `(1 − ε)·(−log p[target]) + ε·mean_j(−log p[j])` per row. logits are `[N, V]`, targets `[N]`.
    /// A target outside `0..<V` stops with a message naming it and its row.
    public static func crossEntropy(_ logits: Tensor, targets: IDTensor, labelSmoothing: Float = 0) -> Tensor {
        precondition(logits.rank == 2, "crossEntropy: logits must be [N, V], got \(logits.shape)")
        let rows = logits.shape[0], cols = logits.shape[1]
        precondition(targets.shape == [rows], "crossEntropy: targets \(targets.shape) do not match logits \(logits.shape)")
        precondition((0...1).contains(labelSmoothing), "crossEntropy: label smoothing \(labelSmoothing) is outside [0, 1]")
        if let bad = targets.ids.firstIndex(where: { $0 < 0 || Int($0) >= cols }) {
            preconditionFailure("crossEntropy: target \(targets.ids[bad]) in row \(bad) is outside 0..<\(cols)")
        }
        let losses = Tensor(zeros: [rows]), probs = Tensor(zeros: logits.shape)
        targets.ids.withUnsafeBufferPointer {
            Backends.current.crossEntropy(logits.pointer, targets: $0.baseAddress!, rows: rows, cols: cols,
                                          labelSmoothing: labelSmoothing, losses: losses.pointer, probs: probs.pointer)
        }
        let out = Tensor(scalar: losses.scalars.reduce(0, +) / Float(Swift.max(rows, 1)))
        return out.recording("crossEntropy", [logits]) { g in
            let scale = Tensor.full([rows], g.item / Float(Swift.max(rows, 1)))
            let dLogits = Tensor(zeros: logits.shape)
            targets.ids.withUnsafeBufferPointer {
                Backends.current.crossEntropyBackward(probs.pointer, targets: $0.baseAddress!, rows: rows, cols: cols,
                                                      labelSmoothing: labelSmoothing, scale: scale.pointer,
                                                      dLogits.pointer, accumulate: false)
            }
            return [dLogits]
        }
    }
}
