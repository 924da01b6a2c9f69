/// Shape arithmetic shared by every op.
public enum Shape {
    /// Number of elements of a shape (1 for a scalar `[]`).
    @inlinable public static func count(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Row-major element strides of a contiguous tensor.
    public static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = step
            step *= shape[axis]
        }
        return strides
    }

    /// Resolves a possibly negative axis against a rank, stopping with a message when out of range.
    public static func axis(_ axis: Int, rank: Int, _ op: String) -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        precondition(resolved >= 0 && resolved < max(rank, 1), "\(op): axis \(axis) is out of range for rank \(rank)")
        return resolved
    }

    /// NumPy broadcasting of two shapes, or a stop naming both.
    public static func broadcast(_ a: [Int], _ b: [Int], _ op: String) -> [Int] {
        let rank = max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a
        let pb = [Int](repeating: 1, count: rank - b.count) + b
        return (0..<rank).map { i in
            precondition(pa[i] == pb[i] || pa[i] == 1 || pb[i] == 1,
                         "\(op): shapes \(a) and \(b) cannot be broadcast together")
            return max(pa[i], pb[i])
        }
    }

    /// Strides to read a contiguous tensor of `shape` as if it had the (broadcast) shape `target`:
    /// 0 on the axes it is repeated along.
    public static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let padded = [Int](repeating: 1, count: target.count - shape.count) + shape
        let own = strides(padded)
        return (0..<target.count).map { padded[$0] == 1 && target[$0] != 1 ? 0 : own[$0] }
    }

    /// [outer, axis, inner] sizes around one axis.
    public static func split(_ shape: [Int], at axis: Int) -> (outer: Int, axis: Int, inner: Int) {
        (count(Array(shape[..<axis])), shape[axis], count(Array(shape[(axis + 1)...])))
    }
}
