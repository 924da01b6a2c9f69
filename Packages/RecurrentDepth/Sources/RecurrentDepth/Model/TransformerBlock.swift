import TensorKit

/// One pre-LayerNorm GPT-2 block, re-applied at every recurrence step:
///
///     h = h + dropout(c_proj(attention(c_attn(ln_1(h)))))
///     h = h + dropout(mlp.c_proj(gelu(mlp.c_fc(ln_2(h)))))
///
/// `c_attn` is `[D, 3D]` (q, k, v side by side), `c_proj` `[D, D]`, `c_fc` `[D, 4D]`, `mlp.c_proj` `[4D, D]`.
public struct TransformerBlock {
    public let ln1: LayerNormWeights
    public let attention: Linear
    public let attentionProjection: Linear
    public let ln2: LayerNormWeights
    public let feedForward: Linear
    public let feedForwardProjection: Linear
    public let heads: Int

    public init(ln1: LayerNormWeights, attention: Linear, attentionProjection: Linear, ln2: LayerNormWeights,
                feedForward: Linear, feedForwardProjection: Linear, heads: Int) {
        self.ln1 = ln1
        self.attention = attention
        self.attentionProjection = attentionProjection
        self.ln2 = ln2
        self.feedForward = feedForward
        self.feedForwardProjection = feedForwardProjection
        self.heads = heads
    }

    /// The reference's initialization; `cScale` multiplies both output projections.
    init(config: ModelConfig, generator: inout RandomGenerator) {
        let d = config.embeddingSize
        ln1 = LayerNormWeights(size: d, eps: config.layerNormEpsilon)
        attention = Linear(inputs: d, outputs: 3 * d, generator: &generator)
        attentionProjection = Linear(inputs: d, outputs: d, generator: &generator)
        ln2 = LayerNormWeights(size: d, eps: config.layerNormEpsilon)
        feedForward = Linear(inputs: d, outputs: 4 * d, generator: &generator)
        feedForwardProjection = Linear(inputs: 4 * d, outputs: d, generator: &generator)
        heads = config.heads
        for w in [attentionProjection.weight, feedForwardProjection.weight] {
            for i in 0..<w.count { w.pointer[i] *= config.cScale }
        }
    }

    /// The block's parameters under their state_dict names (without the `blocks.{i}.` prefix).
    public var namedParameters: [(String, Tensor)] {
        [("ln_1.weight", ln1.weight), ("ln_1.bias", ln1.bias),
         ("attn.c_attn.weight", attention.weight), ("attn.c_attn.bias", attention.bias),
         ("attn.c_proj.weight", attentionProjection.weight), ("attn.c_proj.bias", attentionProjection.bias),
         ("ln_2.weight", ln2.weight), ("ln_2.bias", ln2.bias),
         ("mlp.c_fc.weight", feedForward.weight), ("mlp.c_fc.bias", feedForward.bias),
         ("mlp.c_proj.weight", feedForwardProjection.weight), ("mlp.c_proj.bias", feedForwardProjection.bias)]
    }

    /// `h` is `[B, T, D]`, `mask` `[B, T]` of 1 (token) / 0 (padding): the block on the full grid.
    public func callAsFunction(_ h: Tensor, mask: Tensor, dropout: Dropout?) -> Tensor {
        let (b, t) = (h.shape[0], h.shape[1])
        let input = ModelInput(ids: IDTensor(shape: [b, t], ids: [Int32](repeating: 0, count: b * t)), mask: mask, positions: [])
        return self(h, rows: PassRows(grid: input), dropout: dropout, monitoredOnly: false)
    }

    /// The block on the rows a pass holds (`PassRows`): layer norms, projections and the MLP run on
    /// those rows; attention runs on the grid the rows lay out. With `monitoredOnly`, only each
    /// example's monitored row leaves the block, as `[B, D]`: every position still feeds the
    /// attention's keys and values, but the output projection, the residuals and the MLP run on the
    /// monitored rows alone (the model's very last block when only those rows are read).
    func callAsFunction(_ h: Tensor, rows: PassRows, dropout: Dropout?, monitoredOnly: Bool) -> Tensor {
        let grid = rows.attentionGrid(attention(ln1(h)))
        let attended = Tensor.causalAttention(grid, attentionMask: rows.input.mask, heads: heads,
                                              dropoutMask: dropout?.attentionMask(batch: rows.batch, heads: heads, time: rows.width))
        return afterAttention(rows.leaving(attended, monitoredOnly: monitoredOnly),
                              residual: rows.residual(h, monitoredOnly: monitoredOnly), dropout: dropout)
    }

    /// The block on hidden states `[..., D]` whose attention is `attend`: it receives their fused
    /// q, k, v (`[..., 3D]`) and returns the attention output (`[..., D]`). Greedy decoding
    /// (`Generation.swift`) stores the keys and values in its `KVCache` here, and a new token's
    /// row attends to the cached ones of the tokens before it; the rest is the block's own code,
    /// so decoding cannot drift from the forward pass. No dropout: decoding is inference.
    func callAsFunction(_ h: Tensor, attending attend: (Tensor) -> Tensor) -> Tensor {
        afterAttention(attend(attention(ln1(h))), residual: h, dropout: nil)
    }

    /// The attention's output projection into the residual, then the MLP branch.
    private func afterAttention(_ attended: Tensor, residual: Tensor, dropout: Dropout?) -> Tensor {
        let h = branch(attentionProjection, attended, addingTo: residual, dropout: dropout)
        return feedForwardBranch(ln2(h), addingTo: h, dropout: dropout)
    }

    /// `residual + dropout(mlp.c_proj(gelu(mlp.c_fc(x))))` as one op (`Tensor.feedForward`), the
    /// residual added in its last pass when there is no residual dropout.
    private func feedForwardBranch(_ x: Tensor, addingTo residual: Tensor, dropout: Dropout?) -> Tensor {
        func mlp(_ residual: Tensor?) -> Tensor {
            Tensor.feedForward(x, hiddenWeight: feedForward.weight, hiddenBias: feedForward.bias,
                               outputWeight: feedForwardProjection.weight, outputBias: feedForwardProjection.bias, residual: residual)
        }
        guard let dropout, dropout.residual > 0 else { return mlp(residual) }
        return residual + Dropout.apply(dropout, \.residual, to: mlp(nil))
    }

    /// `residual + dropout(projection(x))`; without residual dropout the addition happens in the
    /// projection's own pass over its output (the same values).
    private func branch(_ projection: Linear, _ x: Tensor, addingTo residual: Tensor, dropout: Dropout?) -> Tensor {
        guard let dropout, dropout.residual > 0 else { return projection(x, addingTo: residual) }
        return residual + Dropout.apply(dropout, \.residual, to: projection(x))
    }
}
