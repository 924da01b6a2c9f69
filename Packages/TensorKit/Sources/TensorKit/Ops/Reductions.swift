// Reductions along one axis (sum, mean, max, argmax) and over everything.

extension Tensor {
    private func reducedShape(_ axis: Int, keepDims: Bool) -> [Int] {
        var s = shape
        if keepDims { s[axis] = 1 } else { s.remove(at: axis) }
        return s
    }

    /// Σ along `axis`.
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor {
        let axis = Shape.axis(axis, rank: rank, "sum")
        let (outer, n, inner) = Shape.split(shape, at: axis)
        let out = Tensor(zeros: reducedShape(axis, keepDims: keepDims))
        Backends.current.reduce(.sum, pointer, outer: outer, axis: n, inner: inner, out.pointer)
        return out.recording("sum", [self]) { g in
            [g.reshaped(self.reducedShape(axis, keepDims: true)).broadcast(to: self.shape)]
        }
    }

    /// Σ of every element, as a 0-d tensor.
    public func sum() -> Tensor { reshaped([count]).sum(axis: 0) }

    /// Mean along `axis`.
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor {
        let n = shape[Shape.axis(axis, rank: rank, "mean")]
        return sum(axis: axis, keepDims: keepDims) * (1 / Float(n))
    }

    /// Mean of every element, as a 0-d tensor.
    public func mean() -> Tensor { sum() * (1 / Float(count)) }

    /// Maximum along `axis`; its gradient goes to the first maximal element.
    public func max(axis: Int, keepDims: Bool = false) -> Tensor {
        let axis = Shape.axis(axis, rank: rank, "max")
        let (outer, n, inner) = Shape.split(shape, at: axis)
        precondition(n > 0, "max: axis \(axis) of shape \(shape) is empty")
        let out = Tensor(zeros: reducedShape(axis, keepDims: keepDims))
        Backends.current.reduce(.max, pointer, outer: outer, axis: n, inner: inner, out.pointer)
        return out.recording("max", [self]) { g in
            let winners = self.argmax(axis: axis)
            let dx = Tensor(zeros: self.shape)
            for o in 0..<outer {
                for i in 0..<inner {
                    let j = Int(winners.ids[o * inner + i])
                    dx.pointer[(o * n + j) * inner + i] = g.pointer[o * inner + i]
                }
            }
            return [dx]
        }
    }

    /// Index of the first maximum along `axis` (the axis is removed).
    public func argmax(axis: Int = -1) -> IDTensor {
        let axis = Shape.axis(axis, rank: rank, "argmax")
        let (outer, n, inner) = Shape.split(shape, at: axis)
        precondition(n > 0, "argmax: axis \(axis) of shape \(shape) is empty")
        var ids = [Int32](repeating: 0, count: outer * inner)
        ids.withUnsafeMutableBufferPointer {
            Backends.current.argmax(pointer, outer: outer, axis: n, inner: inner, $0.baseAddress!)
        }
        return IDTensor(shape: reducedShape(axis, keepDims: false), ids: ids)
    }
}
