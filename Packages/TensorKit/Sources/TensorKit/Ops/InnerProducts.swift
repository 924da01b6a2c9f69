// Inner products of whole tensors: the dot product, the Euclidean norm and the cosine similarity,
// each over every element (the tensors read as flat vectors), summed in double precision and
// returned as a 0-d tensor. A weight matrix has tens of thousands of elements; summed in float
// their rounding would swamp the small changes of a cosine that finite differences and training
// both look at.

extension Tensor {
    /// Σ aᵢ·bᵢ over every element of two tensors of the same shape: the inner product of the
    /// tensors flattened. Gradients: `g·b` for `a`, `g·a` for `b`.
    public static func dot(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "dot: shapes \(a.shape) and \(b.shape) differ")
        let value = Backends.current.dot(a.pointer, b.pointer, count: a.count)
        return Tensor(scalar: Float(value)).recording("dot", [a, b]) { g in
            let s = g.item
            return [a.requiresGrad ? b * s : nil, b.requiresGrad ? a * s : nil]
        }
    }

    /// ‖x‖ = √(Σ xᵢ²) over every element (the Frobenius norm of a matrix). Its gradient is `g·x/‖x‖`,
    /// and 0 at x = 0, where the norm has none (PyTorch's choice too).
    public func norm() -> Tensor {
        let n = Backends.current.sumOfSquares(pointer, count: count).squareRoot()
        return Tensor(scalar: Float(n)).recording("norm", [self]) { g in
            [n > 0 ? self * Float(Double(g.item) / n) : Tensor(zeros: self.shape)]
        }
    }

    /// cos(a, b) = a·b / (‖a‖·‖b‖) over every element of two tensors of the same shape: the cosine
    /// of the angle between them as flat vectors, in [−1, 1]. Gradients:
    ///
    ///     ∂cos/∂a = b / (‖a‖‖b‖) − cos · a / ‖a‖²        (and the same with a and b exchanged)
    ///
    /// A tensor of zeros has no direction, so its cosine with anything is taken as 0, with a
    /// gradient of 0 for both inputs. (PyTorch's `cosine_similarity` divides by the norms clamped at
    /// a small ε instead, which near zero gives gradients of size 1/ε.)
    public static func cosineSimilarity(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "cosineSimilarity: shapes \(a.shape) and \(b.shape) differ")
        let backend = Backends.current
        let aa = backend.sumOfSquares(a.pointer, count: a.count), bb = backend.sumOfSquares(b.pointer, count: b.count)
        guard aa > 0, bb > 0 else {
            return Tensor(scalar: 0).recording("cosineSimilarity", [a, b]) { _ in
                [a.requiresGrad ? Tensor(zeros: a.shape) : nil, b.requiresGrad ? Tensor(zeros: b.shape) : nil]
            }
        }
        let ab = backend.dot(a.pointer, b.pointer, count: a.count)
        let normProduct = aa.squareRoot() * bb.squareRoot()
        let cosine = ab / normProduct
        return Tensor(scalar: Float(cosine)).recording("cosineSimilarity", [a, b]) { g in
            let g = Double(g.item)
            func gradient(of x: Tensor, other y: Tensor, squaredNorm: Double) -> Tensor {
                y * Float(g / normProduct) - x * Float(g * cosine / squaredNorm)
            }
            return [a.requiresGrad ? gradient(of: a, other: b, squaredNorm: aa) : nil,
                    b.requiresGrad ? gradient(of: b, other: a, squaredNorm: bb) : nil]
        }
    }
}
