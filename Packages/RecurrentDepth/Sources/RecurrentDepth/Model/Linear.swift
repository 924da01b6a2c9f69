import TensorKit

/// GPT-2's "Conv1D": `matmul(x, weight) + bias`, with `weight` stored `[in, out]` as in the
/// reference's state_dict. Initialized `weight ~ N(0, 0.02)`, `bias = 0`.
public struct Linear {
    public let weight: Tensor
    public let bias: Tensor

    public init(weight: Tensor, bias: Tensor) {
        self.weight = weight
        self.bias = bias
    }

    init(inputs: Int, outputs: Int, generator: inout RandomGenerator) {
        weight = Tensor.randomNormal([inputs, outputs], std: 0.02, using: &generator)
        bias = Tensor(zeros: [outputs])
    }

    public func callAsFunction(_ x: Tensor, activation: Activation = .identity) -> Tensor {
        Tensor.linear(x, weight: weight, bias: bias, activation: activation)
    }

    /// `residual + self(x)`, the residual connection added in the same pass over the output.
    public func callAsFunction(_ x: Tensor, addingTo residual: Tensor) -> Tensor {
        Tensor.linear(x, weight: weight, bias: bias, residual: residual)
    }
}

/// LayerNorm's affine parameters: `(x − mean) / sqrt(var + eps) · weight + bias`, initialized 1 and 0.
public struct LayerNormWeights {
    public let weight: Tensor
    public let bias: Tensor
    public let eps: Float

    public init(weight: Tensor, bias: Tensor, eps: Float) {
        self.weight = weight
        self.bias = bias
        self.eps = eps
    }

    init(size: Int, eps: Float) {
        self.init(weight: Tensor.ones([size]), bias: Tensor(zeros: [size]), eps: eps)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { Tensor.layerNorm(x, weight: weight, bias: bias, eps: eps) }
}
