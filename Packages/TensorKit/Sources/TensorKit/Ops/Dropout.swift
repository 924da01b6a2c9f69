// Inverted dropout: zero with probability p, scale the rest by 1/(1 − p).

extension Tensor {
    /// A mask of `shape` with 0 (probability p) or 1/(1 − p), drawn in row-major order.
    public static func dropoutMask(_ shape: [Int], p: Float, using generator: inout RandomGenerator) -> Tensor {
        precondition((0..<1).contains(p), "dropoutMask: probability \(p) is outside [0, 1)")
        let mask = Tensor(zeros: shape)
        let keep = 1 / (1 - p)
        for i in 0..<mask.count { mask.pointer[i] = generator.nextFloat() < p ? 0 : keep }
        return mask
    }

    /// self · mask with a fresh mask when p > 0; the identity when p == 0.
    public func dropout(_ p: Float, using generator: inout RandomGenerator) -> Tensor {
        p == 0 ? self : self * Tensor.dropoutMask(shape, p: p, using: &generator)
    }
}
