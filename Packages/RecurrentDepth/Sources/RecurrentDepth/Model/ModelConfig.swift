import Foundation

/// How token positions enter the residual stream.
public enum PositionalEmbedding: String, Codable, Sendable, CaseIterable {
    /// A trained table `position_embedding.weight` of `[n_positions, n_embd]`.
    case learned
    /// The fixed table: even dims `sin(p·10000^(−2i/d))`, odd dims `cos` of the same angle.
    case sinusoidal
    /// No position signal (NoPE): the causal mask alone orders the tokens.
    case none
}

/// The model's shape and options, stored as a checkpoint's `config.json` under the reference's keys
/// (`vocab_size`, `n_embd`, ...). The dropout rates and `c_scale` are loop's additions; a config
/// without them (the reference's, the fixtures') reads as dropout-free with `c_scale` 1.
public struct ModelConfig: Codable, Equatable, Sendable {
    public var vocabSize: Int
    public var embeddingSize: Int
    public var layers: Int
    public var heads: Int
    /// The longest sequence the position table covers (learned positions need it; the others accept any length up to it).
    public var positions: Int
    public var positionalEmbedding: PositionalEmbedding
    /// Add the embedded input to the hidden state before every recurrence step after the first.
    public var inputInjection: Bool
    /// The recurrence the model was trained with (the default for evaluation).
    public var recurrence: Int
    public var layerNormEpsilon: Float
    public var embeddingDropout: Float
    public var attentionDropout: Float
    public var residualDropout: Float
    /// Multiplies both `c_proj` weights after initialization (0 makes every block start as the identity).
    public var cScale: Float

    public init(vocabSize: Int, embeddingSize: Int = 128, layers: Int = 2, heads: Int = 4, positions: Int = 64,
                positionalEmbedding: PositionalEmbedding = .learned, inputInjection: Bool = false, recurrence: Int = 4,
                layerNormEpsilon: Float = 1e-5, embeddingDropout: Float = 0, attentionDropout: Float = 0,
                residualDropout: Float = 0, cScale: Float = 1) {
        self.vocabSize = vocabSize
        self.embeddingSize = embeddingSize
        self.layers = layers
        self.heads = heads
        self.positions = positions
        self.positionalEmbedding = positionalEmbedding
        self.inputInjection = inputInjection
        self.recurrence = recurrence
        self.layerNormEpsilon = layerNormEpsilon
        self.embeddingDropout = embeddingDropout
        self.attentionDropout = attentionDropout
        self.residualDropout = residualDropout
        self.cScale = cScale
    }

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", embeddingSize = "n_embd", layers = "n_layer", heads = "n_head"
        case positions = "n_positions", positionalEmbedding = "positional_embedding_type"
        case inputInjection = "input_injection", recurrence, layerNormEpsilon = "layer_norm_epsilon"
        case embeddingDropout = "embd_pdrop", attentionDropout = "attn_pdrop", residualDropout = "resid_pdrop"
        case cScale = "c_scale"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        embeddingSize = try c.decode(Int.self, forKey: .embeddingSize)
        layers = try c.decode(Int.self, forKey: .layers)
        heads = try c.decode(Int.self, forKey: .heads)
        positions = try c.decode(Int.self, forKey: .positions)
        positionalEmbedding = try c.decodeIfPresent(PositionalEmbedding.self, forKey: .positionalEmbedding) ?? .learned
        inputInjection = try c.decodeIfPresent(Bool.self, forKey: .inputInjection) ?? false
        recurrence = try c.decodeIfPresent(Int.self, forKey: .recurrence) ?? 1
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-5
        embeddingDropout = try c.decodeIfPresent(Float.self, forKey: .embeddingDropout) ?? 0
        attentionDropout = try c.decodeIfPresent(Float.self, forKey: .attentionDropout) ?? 0
        residualDropout = try c.decodeIfPresent(Float.self, forKey: .residualDropout) ?? 0
        cScale = try c.decodeIfPresent(Float.self, forKey: .cScale) ?? 1
    }

    public var headSize: Int { embeddingSize / heads }

    /// Every problem with the config, as one message per problem (empty when valid).
    public var problems: [String] {
        var found: [String] = []
        if vocabSize < 1 { found.append("vocab_size must be at least 1 (got \(vocabSize))") }
        if embeddingSize < 1 { found.append("n_embd must be at least 1 (got \(embeddingSize))") }
        if heads < 1 || embeddingSize % max(heads, 1) != 0 {
            found.append("n_embd (\(embeddingSize)) must be a positive multiple of n_head (\(heads))")
        }
        if layers < 1 { found.append("n_layer must be at least 1 (got \(layers))") }
        if positions < 1 { found.append("n_positions must be at least 1 (got \(positions))") }
        if recurrence < 1 { found.append("recurrence must be at least 1 (got \(recurrence))") }
        if !(layerNormEpsilon > 0) { found.append("layer_norm_epsilon must be positive (got \(layerNormEpsilon))") }
        for (key, p) in [("embd_pdrop", embeddingDropout), ("attn_pdrop", attentionDropout), ("resid_pdrop", residualDropout)]
        where !(0..<1).contains(p) {
            found.append("\(key) must be in [0, 1) (got \(p))")
        }
        if !cScale.isFinite { found.append("c_scale must be finite (got \(cScale))") }
        return found
    }
}
