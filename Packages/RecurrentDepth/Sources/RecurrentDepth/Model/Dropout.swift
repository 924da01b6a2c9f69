import TensorKit

/// Training-time dropout: the three rates of GPT-2 (embeddings, attention probabilities, residual
/// branches) and the seeded generator that draws every mask. Evaluation passes no `Dropout`, so it
/// never drops. A class, because every block of every step draws from the same generator in turn.
public final class Dropout {
    public let embedding: Float
    public let attention: Float
    public let residual: Float
    public var generator: RandomGenerator

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

    /// True when every rate is 0 (the model then computes exactly the dropout-free function).
    public var isIdentity: Bool { embedding == 0 && attention == 0 && residual == 0 }

    /// `x` with the rate at `rate` applied, or `x` itself when there is no dropout.
    static func apply(_ dropout: Dropout?, _ rate: KeyPath<Dropout, Float>, to x: Tensor) -> Tensor {
        guard let dropout, dropout[keyPath: rate] > 0 else { return x }
        return x.dropout(dropout[keyPath: rate], using: &dropout.generator)
    }

    func attentionMask(batch: Int, heads: Int, time: Int) -> Tensor? {
        attention > 0 ? Tensor.dropoutMask([batch, heads, time, time], p: attention, using: &generator) : nil
    }
}
