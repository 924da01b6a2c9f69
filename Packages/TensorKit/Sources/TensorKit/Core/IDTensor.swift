/// An n-d array of integer ids (token ids, targets, argmax results), row-major.
public struct IDTensor: Equatable, Sendable {
    public var shape: [Int]
    public var ids: [Int32]

    public init(shape: [Int], ids: [Int32]) {
        precondition(Shape.count(shape) == ids.count,
                     "IDTensor: \(ids.count) ids do not fill shape \(shape) (\(Shape.count(shape)) elements)")
        self.shape = shape
        self.ids = ids
    }

    public init(shape: [Int], ids: [Int]) {
        self.init(shape: shape, ids: ids.map { Int32(truncatingIfNeeded: $0) })
    }

    /// A 1-d id tensor.
    public init(_ ids: [Int]) { self.init(shape: [ids.count], ids: ids) }

    public var count: Int { ids.count }
}
