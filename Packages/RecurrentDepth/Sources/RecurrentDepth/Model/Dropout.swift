import TensorKit

/// Training-time dropout: the three rates of GPT-2 (embeddings, attention probabilities, residual
/// branches) and the seeded generator that draws every mask. Evaluation passes no `Dropout`, so it
/// never drops. A class, because every block of every step draws from the same generator in turn.
///
/// Dropout is inverted: a mask holds 0 (probability p) or 1/(1 − p), and the input is multiplied by
/// it. A pass asks for masks in this order: the embedding's, then for every step and every block
/// the attention probabilities' `[B, H, T, T]`, the attention branch's and the MLP branch's.
public final class Dropout {
    public let embedding: Float
    public let attention: Float
    public let residual: Float
    public var generator: RandomGenerator
    /// Masks handed out instead of drawn, when the dropout was made with given masks; what is left
    /// of them after a pass.
    public private(set) var givenMasks: DropoutMasks?

    public init(embedding: Float, attention: Float, residual: Float, generator: RandomGenerator) {
        self.embedding = embedding
        self.attention = attention
        self.residual = residual
        self.generator = generator
    }

    public convenience init(config: ModelConfig, generator: RandomGenerator) {
        self.init(embedding: config.embeddingDropout, attention: config.attentionDropout,
                  residual: config.residualDropout, generator: generator)
    }

    /// Dropout that uses `masks` (each list in the order the pass asks for that kind) instead of
    /// drawing: a test runs loop on the masks another implementation drew. Running out of masks,
    /// or a mask of another shape than the one asked for, stops the program with a message.
    public convenience init(embedding: Float, attention: Float, residual: Float, masks: DropoutMasks) {
        self.init(embedding: embedding, attention: attention, residual: residual, generator: RandomGenerator(seed: 0))
        givenMasks = masks
    }

    /// True when every rate is 0 (the model then computes exactly the dropout-free function).
    public var isIdentity: Bool { embedding == 0 && attention == 0 && residual == 0 }

    /// `x` with the rate at `rate` applied, or `x` itself when there is no dropout.
    static func apply(_ dropout: Dropout?, _ rate: KeyPath<Dropout, Float>, to x: Tensor) -> Tensor {
        guard let dropout, dropout[keyPath: rate] > 0 else { return x }
        return x * dropout.mask(rate, shape: x.shape)
    }

    func attentionMask(batch: Int, heads: Int, time: Int) -> Tensor? {
        attention > 0 ? mask(\.attention, shape: [batch, heads, time, time]) : nil
    }

    /// The next mask for `rate`: the next given one, or a fresh draw from `generator`.
    private func mask(_ rate: KeyPath<Dropout, Float>, shape: [Int]) -> Tensor {
        guard givenMasks != nil else { return Tensor.dropoutMask(shape, p: self[keyPath: rate], using: &generator) }
        return givenMasks!.next(rate, shape: shape)
    }
}

/// Dropout masks to use in order, one list per rate of `Dropout` (each mask 0 or 1/(1 − p)).
public struct DropoutMasks {
    public var embedding: [Tensor]
    public var attention: [Tensor]
    public var residual: [Tensor]

    public init(embedding: [Tensor] = [], attention: [Tensor] = [], residual: [Tensor] = []) {
        self.embedding = embedding
        self.attention = attention
        self.residual = residual
    }

    /// The masks not used yet.
    public var count: Int { embedding.count + attention.count + residual.count }

    mutating func next(_ rate: KeyPath<Dropout, Float>, shape: [Int]) -> Tensor {
        let (list, kind): (WritableKeyPath<DropoutMasks, [Tensor]>, String) =
            rate == \Dropout.embedding ? (\.embedding, "embedding") : rate == \Dropout.attention ? (\.attention, "attention") : (\.residual, "residual")
        precondition(!self[keyPath: list].isEmpty, "Dropout: no given \(kind) mask left for the one of shape \(shape) the pass asks for")
        let mask = self[keyPath: list].removeFirst()
        precondition(mask.shape == shape, "Dropout: the next given \(kind) mask is \(mask.shape), the pass asks for \(shape)")
        return mask
    }
}
