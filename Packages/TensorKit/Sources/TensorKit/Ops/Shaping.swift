// Views and copies: reshape (a view), permute/transpose, slice, concatenate, split, row gather.
import Foundation

extension Tensor {
    /// The same storage under another shape of equal count; one axis may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var target = newShape
        if let hole = target.firstIndex(of: -1) {
            let known = target.enumerated().filter { $0.offset != hole }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "reshaped: cannot infer -1 in \(newShape) from shape \(shape)")
            target[hole] = count / known
        }
        precondition(Shape.count(target) == count, "reshaped: shape \(shape) (\(count) elements) cannot become \(newShape)")
        let view = Tensor(shape: target, storage: storage)
        return view.recording("reshape", [self]) { g in [g.reshaped(self.shape)] }
    }

    /// A copy with the axes reordered: result axis i is input axis `axes[i]`.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.sorted() == Array(0..<rank), "permuted: \(axes) is not a permutation of the axes of shape \(shape)")
        let own = Shape.strides(shape)
        let target = axes.map { shape[$0] }
        let out = Tensor(zeros: target)
        Backends.current.copyStrided(pointer, strides: axes.map { own[$0] }, out.pointer, shape: target)
        return out.recording("permute", [self]) { g in
            var inverse = [Int](repeating: 0, count: axes.count)
            for (i, a) in axes.enumerated() { inverse[a] = i }
            return [g.permuted(inverse)]
        }
    }

    /// A copy with two axes swapped (the last two by default).
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        let (a, b) = (Shape.axis(a, rank: rank, "transposed"), Shape.axis(b, rank: rank, "transposed"))
        var axes = Array(0..<rank)
        axes.swapAt(a, b)
        return permuted(axes)
    }

    /// A copy of `range` along `axis`.
    public func sliced(axis: Int, _ range: Range<Int>) -> Tensor {
        let axis = Shape.axis(axis, rank: rank, "sliced")
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis],
                     "sliced: range \(range) is out of bounds for axis \(axis) of shape \(shape)")
        var target = shape
        target[axis] = range.count
        let (outer, n, inner) = Shape.split(shape, at: axis)
        let out = Tensor(zeros: target)
        for o in 0..<outer {
            (out.pointer + o * range.count * inner).update(from: pointer + (o * n + range.lowerBound) * inner,
                                                          count: range.count * inner)
        }
        return out.recording("slice", [self]) { g in
            let dx = Tensor(zeros: self.shape)
            for o in 0..<outer {
                (dx.pointer + (o * n + range.lowerBound) * inner).update(from: g.pointer + o * range.count * inner,
                                                                        count: range.count * inner)
            }
            return [dx]
        }
    }

    /// Joins tensors along `axis`; every other axis must agree.
    public static func concatenate(_ parts: [Tensor], axis: Int) -> Tensor {
        precondition(!parts.isEmpty, "concatenate: no tensors given")
        let first = parts[0]
        let axis = Shape.axis(axis, rank: first.rank, "concatenate")
        for p in parts {
            var a = p.shape, b = first.shape
            precondition(a.count == b.count, "concatenate: shapes \(first.shape) and \(p.shape) differ in rank")
            a[axis] = 0; b[axis] = 0
            precondition(a == b, "concatenate: shapes \(first.shape) and \(p.shape) differ off axis \(axis)")
        }
        let sizes = parts.map { $0.shape[axis] }
        var target = first.shape
        target[axis] = sizes.reduce(0, +)
        let (outer, total, inner) = Shape.split(target, at: axis)
        let out = Tensor(zeros: target)
        var start = 0
        for (p, size) in zip(parts, sizes) {
            for o in 0..<outer {
                (out.pointer + (o * total + start) * inner).update(from: p.pointer + o * size * inner, count: size * inner)
            }
            start += size
        }
        return out.recording("concatenate", parts) { g in g.split(sizes, axis: axis) }
    }

    /// Copies of consecutive pieces of `sizes` along `axis` (the sizes must add up to the axis).
    public func split(_ sizes: [Int], axis: Int) -> [Tensor] {
        let axis = Shape.axis(axis, rank: rank, "split")
        precondition(sizes.reduce(0, +) == shape[axis] && sizes.allSatisfy { $0 >= 0 },
                     "split: sizes \(sizes) do not add up to axis \(axis) of shape \(shape)")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return sliced(axis: axis, start..<(start + size))
        }
    }

    /// Rows of a table picked by id: `table[ids]` with shape `ids.shape + [cols]` (an embedding
    /// lookup; repeated ids accumulate their gradients). Ids out of range stop with a message.
    public func gatherRows(_ ids: IDTensor) -> Tensor {
        precondition(rank == 2, "gatherRows: the table must be 2-d, got \(shape)")
        let rows = shape[0], cols = shape[1]
        if let bad = ids.ids.firstIndex(where: { $0 < 0 || Int($0) >= rows }) {
            preconditionFailure("gatherRows: id \(ids.ids[bad]) at position \(bad) is out of range for a table of \(rows) rows")
        }
        let out = Tensor(zeros: ids.shape + [cols])
        ids.ids.withUnsafeBufferPointer {
            Backends.current.gatherRows(pointer, ids: $0.baseAddress!, count: ids.count, cols: cols, out.pointer)
        }
        return out.recording("gatherRows", [self]) { g in
            let dTable = Tensor(zeros: self.shape)
            ids.ids.withUnsafeBufferPointer {
                Backends.current.scatterAddRows(g.pointer, ids: $0.baseAddress!, count: ids.count, cols: cols, dTable.pointer)
            }
            return [dTable]
        }
    }

    /// Embedding lookup: `table[ids]` (PyTorch's `nn.Embedding`).
    public static func embedding(_ table: Tensor, _ ids: IDTensor) -> Tensor { table.gatherRows(ids) }
}
