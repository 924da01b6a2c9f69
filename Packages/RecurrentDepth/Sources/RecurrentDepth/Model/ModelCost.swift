import Foundation

/// What a model costs: its parameters and, at recurrence r and sequence length T, its effective
/// depth and the floating-point operations per token. It puts the paper's three shapes side by side
/// — k ⊗ L (k blocks run L times), kL ⊗ 1 (kL blocks run once) and k ⊗ 1 — at equal compute or equal
/// parameters: k ⊗ L and kL ⊗ 1 cost the same FLOPs and have the same effective depth, while kL ⊗ 1
/// holds L times the block parameters.
///
/// **Convention.** A FLOP is one multiply or one add, so a product of `[m, k]` by `[k, n]` is
/// `2·m·n·k`. Only matrix products are counted: layer norms, GELU, softmax, the residual and
/// injection additions, dropout and the embedding lookup are O(D) per token and left out. Per
/// token, with D the width, V the vocabulary and T the sequence length, one block's forward is
///
///     c_attn 2·D·3D + c_proj 2·D·D + mlp.c_fc 2·D·4D + mlp.c_proj 2·4D·D = 24·D²
///     attention scores q·kᵀ 2·T·D, and the weighted sum of values 2·T·D  =  4·T·D
///
/// (summed over heads, each of width D/heads); every query is counted against all T keys, the
/// usual convention, although a causal kernel computes about half of them. The readout
/// `ln_f(h)·Eᵀ` adds 2·D·V. So a forward pass is, per token,
///
///     forward = r · n_layer · (24·D² + 4·T·D) + 2·D·V
///
/// and training (forward and backward: the backward pass computes two products for each product
/// of the forward, one for each input's gradient) is taken as 3 × forward. These are the nominal
/// figures of a full pass over every position; the training loss reads one position per example,
/// and loop's passes skip the rows no answer reads (`PassRows`), so a step does less.
public struct ModelCost: Equatable, Sendable {
    public let config: ModelConfig
    public let recurrence: Int
    public let sequenceLength: Int

    public init(config: ModelConfig, recurrence: Int, sequenceLength: Int) {
        precondition(recurrence >= 1, "ModelCost: recurrence must be at least 1, got \(recurrence)")
        precondition(sequenceLength >= 1, "ModelCost: sequence length must be at least 1, got \(sequenceLength)")
        self.config = config
        self.recurrence = recurrence
        self.sequenceLength = sequenceLength
    }

    /// One block's parameters: `c_attn` 3D² + 3D, `c_proj` D² + D, `mlp.c_fc` 4D² + 4D,
    /// `mlp.c_proj` 4D² + D, two LayerNorms 4D — 12·D² + 13·D.
    public var parametersPerBlock: Int {
        let d = config.embeddingSize
        return 12 * d * d + 13 * d
    }

    /// Every block's parameters: n_layer × `parametersPerBlock`.
    public var blockParameters: Int { config.layers * parametersPerBlock }

    /// The token embedding (also the readout), the learned position table if any, and `ln_f`.
    public var otherParameters: Int {
        let d = config.embeddingSize
        return config.vocabSize * d + (config.positionalEmbedding == .learned ? config.positions * d : 0) + 2 * d
    }

    /// Every parameter of the model (`RecurrentGPT2.parameterCount`); the recurrence adds none.
    public var parameters: Int { blockParameters + otherParameters }

    /// Blocks a token passes through: n_layer × r.
    public var effectiveDepth: Int { config.layers * recurrence }

    /// One block's forward FLOPs per token: 24·D² + 4·T·D.
    public var blockFLOPsPerToken: Int {
        let d = config.embeddingSize
        return 24 * d * d + 4 * sequenceLength * d
    }

    /// The readout's FLOPs per token: 2·D·V.
    public var readoutFLOPsPerToken: Int { 2 * config.embeddingSize * config.vocabSize }

    /// A forward pass per token (inference): `effectiveDepth` × `blockFLOPsPerToken` + the readout.
    public var forwardFLOPsPerToken: Int { effectiveDepth * blockFLOPsPerToken + readoutFLOPsPerToken }

    /// A training step per token, forward and backward: 3 × `forwardFLOPsPerToken`.
    public var trainingFLOPsPerToken: Int { 3 * forwardFLOPsPerToken }

    /// `1.23 M` style: the number with an SI prefix and three significant digits.
    public static func abbreviated(_ value: Int) -> String {
        let prefixes = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
        let v = Double(value)
        guard let (scale, prefix) = prefixes.first(where: { abs(v) >= $0.0 }) else { return "\(value) " }
        let scaled = v / scale
        let digits = scaled >= 100 ? 0 : scaled >= 10 ? 1 : 2
        return String(format: "%.\(digits)f \(prefix)", scaled)
    }

    /// `433152 parameters (198272 per block), effective depth 2×4 = 8, 3.41 MFLOP/token forward,
    /// 10.2 MFLOP/token training (T = 50)`: what `loop train` prints before training.
    public var summary: String {
        "\(parameters) parameters (\(parametersPerBlock) per block), effective depth \(config.layers)×\(recurrence) = \(effectiveDepth), "
            + "\(Self.abbreviated(forwardFLOPsPerToken))FLOP/token forward, \(Self.abbreviated(trainingFLOPsPerToken))FLOP/token training "
            + "(T = \(sequenceLength))"
    }
}
