// GPT-2 causal self-attention on a fused qkv projection, with a hand-written backward.

extension Tensor {
    /// Multi-head causal attention. `qkv` is `[B, T, 3·D]` (the output of `c_attn`: q, k and v
    /// side by side, each split into `heads` heads of D/heads); `attentionMask` is `[B, T]` of 1
    /// (token) and 0 (padding), or nil. Scores `q·k/√hd`; future keys get the float minimum, then
    /// `(1 − mask[key])·−10000` is added; softmax; `dropoutMask` (0 or 1/(1−p), shape
    /// `[B, heads, T, T]`) multiplies the probabilities in training. Returns `[B, T, D]`, heads merged.
    public static func causalAttention(_ qkv: Tensor, attentionMask: Tensor? = nil, heads: Int,
                                       dropoutMask: Tensor? = nil) -> Tensor {
        precondition(qkv.rank == 3 && qkv.shape[2] % (3 * heads) == 0,
                     "causalAttention: qkv must be [B, T, 3·D] with D divisible by \(heads) heads, got \(qkv.shape)")
        let (b, t) = (qkv.shape[0], qkv.shape[1])
        let d = qkv.shape[2] / 3, hd = d / heads
        if let attentionMask {
            precondition(attentionMask.shape == [b, t], "causalAttention: mask \(attentionMask.shape) must be [\(b), \(t)] for qkv \(qkv.shape)")
        }
        if let dropoutMask {
            precondition(dropoutMask.shape == [b, heads, t, t], "causalAttention: dropout mask \(dropoutMask.shape) must be [\(b), \(heads), \(t), \(t)]")
        }
        let probs = Tensor(uninitialized: [b, heads, t, t])
        let out = Tensor(uninitialized: [b, t, d])
        Backends.current.attention(qkv.pointer, keyMask: attentionMask?.pointer, batch: b, time: t, heads: heads, headDim: hd,
                                   dropoutMask: dropoutMask?.pointer, probs: probs.pointer, out.pointer)
        return out.recording("causalAttention", [qkv]) { g in
            let dqkv = Tensor(uninitialized: qkv.shape)
            Backends.current.attentionBackward(g.pointer, qkv: qkv.pointer, probs: probs.pointer,
                                               dropoutMask: dropoutMask?.pointer, batch: b, time: t, heads: heads,
                                               headDim: hd, dqkv.pointer, accumulate: false)
            return [dqkv]
        }
    }

    /// GPT-2's additive padding mask `(1 − mask)·−10000` from an attention mask of 1/0.
    public static func additiveMask(_ attentionMask: Tensor) -> Tensor {
        (1 - attentionMask.detached()) * -10000
    }
}
