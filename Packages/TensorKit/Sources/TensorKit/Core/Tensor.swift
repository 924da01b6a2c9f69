/// A float32 n-d array, row-major and contiguous, that records how it was computed when a
/// gradient is wanted.
///
/// Every op returns a new tensor; `reshaped` shares storage (a view), everything else copies.
/// Shapes are checked when an op is built: a mismatch is a programmer error and stops with a
/// message naming both shapes. Errors from files and data throw instead.
public final class Tensor {
    public let shape: [Int]
    public let storage: TensorStorage

    /// Leaf tensors with `requiresGrad` receive `grad` from `backward()`; it accumulates across calls.
    public var requiresGrad: Bool
    public var grad: Tensor?

    /// How this tensor was computed, if it needs a gradient and was not created by the user.
    var gradNode: GradNode?

    /// A tensor over existing storage (which must hold at least `shape`'s count).
    public init(shape: [Int], storage: TensorStorage, requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        precondition(storage.count >= Shape.count(shape),
                     "Tensor: storage of \(storage.count) elements is too small for shape \(shape)")
        self.shape = shape
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// Zero-filled.
    public convenience init(zeros shape: [Int], requiresGrad: Bool = false) {
        self.init(shape: shape, storage: TensorStorage(count: Shape.count(shape)), requiresGrad: requiresGrad)
    }

    /// Storage a kernel will overwrite entirely (contents undefined until then).
    public convenience init(uninitialized shape: [Int], requiresGrad: Bool = false) {
        self.init(shape: shape, storage: TensorStorage(uninitializedCount: Shape.count(shape)), requiresGrad: requiresGrad)
    }

    /// From row-major values; stops when their count does not fill the shape.
    public convenience init(shape: [Int], scalars: [Float], requiresGrad: Bool = false) {
        precondition(Shape.count(shape) == scalars.count,
                     "Tensor: \(scalars.count) values do not fill shape \(shape) (\(Shape.count(shape)) elements)")
        self.init(uninitialized: shape, requiresGrad: requiresGrad)
        scalars.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: scalars.count) }
    }

    /// A 1-d tensor.
    public convenience init(_ scalars: [Float], requiresGrad: Bool = false) {
        self.init(shape: [scalars.count], scalars: scalars, requiresGrad: requiresGrad)
    }

    /// A 0-d tensor.
    public convenience init(scalar: Float, requiresGrad: Bool = false) {
        self.init(shape: [], scalars: [scalar], requiresGrad: requiresGrad)
    }

    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        Tensor(zeros: shape, requiresGrad: requiresGrad)
    }

    public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, 1, requiresGrad: requiresGrad)
    }

    public static func full(_ shape: [Int], _ value: Float, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitialized: shape, requiresGrad: requiresGrad)
        t.storage.pointer.update(repeating: value, count: t.count)
        return t
    }

    /// Values drawn from N(mean, std²) by `generator`, in row-major order.
    public static func randomNormal(_ shape: [Int], mean: Float = 0, std: Float = 1,
                                    using generator: inout RandomGenerator, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(zeros: shape, requiresGrad: requiresGrad)
        generator.fillNormal(t.storage.pointer, count: t.count, mean: mean, std: std)
        return t
    }

    /// Values drawn uniformly from [low, high) by `generator`, in row-major order.
    public static func randomUniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                                     using generator: inout RandomGenerator, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(zeros: shape, requiresGrad: requiresGrad)
        generator.fillUniform(t.storage.pointer, count: t.count, low: low, high: high)
        return t
    }

    // MARK: Reading

    public var rank: Int { shape.count }
    public var count: Int { Shape.count(shape) }
    public var pointer: UnsafeMutablePointer<Float> { storage.pointer }

    /// The values in row-major order.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// The single value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item: tensor of shape \(shape) has \(count) elements, not 1")
        return storage.pointer[0]
    }

    /// The value at a full index.
    public subscript(index: Int...) -> Float {
        precondition(index.count == rank, "subscript: index \(index) does not match shape \(shape)")
        var offset = 0
        for (axis, i) in index.enumerated() {
            precondition(i >= 0 && i < shape[axis], "subscript: index \(index) is out of range for shape \(shape)")
            offset = offset * shape[axis] + i
        }
        return storage.pointer[offset]
    }

    /// A copy that shares nothing and records nothing (PyTorch's `detach().clone()`).
    public func copy() -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.storage.pointer.update(from: storage.pointer, count: count)
        return t
    }

    /// The same storage without the history: gradients do not flow through it.
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(\(shape), [\(shown)\(count > 8 ? ", …" : "")])"
    }
}
