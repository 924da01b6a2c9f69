// Element-wise arithmetic with NumPy broadcasting, and the unary functions.

extension Tensor {
    /// a ∘ b broadcast to a common shape.
    static func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) -> Tensor {
        let shape = Shape.broadcast(a.shape, b.shape, "\(op)")
        let out = Tensor(uninitialized: shape)
        Backends.current.binary(op, a.pointer, strides: Shape.broadcastStrides(a.shape, to: shape),
                                b.pointer, strides: Shape.broadcastStrides(b.shape, to: shape),
                                out.pointer, shape: shape)
        return out.recording("\(op)", [a, b]) { g in
            switch op {
            case .add: return [a.requiresGrad ? g.summed(toShape: a.shape) : nil,
                               b.requiresGrad ? g.summed(toShape: b.shape) : nil]
            case .sub: return [a.requiresGrad ? g.summed(toShape: a.shape) : nil,
                               b.requiresGrad ? (-g).summed(toShape: b.shape) : nil]
            case .mul: return [a.requiresGrad ? (g * b).summed(toShape: a.shape) : nil,
                               b.requiresGrad ? (g * a).summed(toShape: b.shape) : nil]
            case .div: return [a.requiresGrad ? (g / b).summed(toShape: a.shape) : nil,
                               b.requiresGrad ? (-(g * a) / (b * b)).summed(toShape: b.shape) : nil]
            }
        }
    }

    /// op(x) element-wise.
    func unary(_ op: UnaryOp) -> Tensor {
        let out = Tensor(uninitialized: shape)
        Backends.current.unary(op, pointer, out.pointer, count: count)
        return out.recording("\(op)", [self]) { g in
            let dx = Tensor(uninitialized: self.shape)
            Backends.current.unaryBackward(op, self.pointer, g.pointer, dx.pointer, count: self.count, accumulate: false)
            return [dx]
        }
    }

    /// Sums a broadcast gradient back to `target` (the shape of the input that was broadcast).
    public func summed(toShape target: [Int]) -> Tensor {
        if target == shape { return self }
        let padded = [Int](repeating: 1, count: rank - target.count) + target
        let own = Shape.strides(padded)
        let outStrides = (0..<rank).map { padded[$0] == 1 ? 0 : own[$0] }
        let out = Tensor(zeros: target)
        Backends.current.sumBroadcast(pointer, shape: shape, out.pointer, outStrides: outStrides, outCount: out.count)
        return out.recording("sumToShape", [self]) { g in [g.broadcast(to: self.shape)] }
    }

    /// A copy repeated along size-1 (or missing leading) axes to `target`.
    public func broadcast(to target: [Int]) -> Tensor {
        if target == shape { return self }
        precondition(Shape.broadcast(shape, target, "broadcast") == target, "broadcast: shape \(shape) cannot be broadcast to \(target)")
        let out = Tensor(uninitialized: target)
        Backends.current.copyStrided(pointer, strides: Shape.broadcastStrides(shape, to: target), out.pointer, shape: target)
        return out.recording("broadcast", [self]) { g in [g.summed(toShape: self.shape)] }
    }

    /// self += other in place, without recording (gradient accumulation, optimizer code).
    public func addInPlace(_ other: Tensor) {
        precondition(shape == other.shape || other.count == count, "addInPlace: shapes \(shape) and \(other.shape) differ")
        Backends.current.binary(.add, pointer, strides: Shape.strides(shape), other.pointer, strides: Shape.strides(shape),
                                pointer, shape: shape)
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { binary(.add, a, b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { binary(.sub, a, b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { binary(.mul, a, b) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { binary(.div, a, b) }
    public static prefix func - (x: Tensor) -> Tensor { x.unary(.neg) }

    public static func + (a: Tensor, s: Float) -> Tensor { a.unary(.shift(s)) }
    public static func + (s: Float, a: Tensor) -> Tensor { a.unary(.shift(s)) }
    public static func - (a: Tensor, s: Float) -> Tensor { a.unary(.shift(-s)) }
    public static func - (s: Float, a: Tensor) -> Tensor { (-a).unary(.shift(s)) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.unary(.scale(s)) }
    public static func * (s: Float, a: Tensor) -> Tensor { a.unary(.scale(s)) }
    public static func / (a: Tensor, s: Float) -> Tensor { a.unary(.scale(1 / s)) }

    public func exp() -> Tensor { unary(.exp) }
    public func log() -> Tensor { unary(.log) }
    public func sqrt() -> Tensor { unary(.sqrt) }
    public func tanh() -> Tensor { unary(.tanh) }
    public func relu() -> Tensor { unary(.relu) }
    public func squared() -> Tensor { unary(.square) }
    public func pow(_ p: Float) -> Tensor { unary(.power(p)) }
    /// GPT-2's tanh-approximated GELU: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).
    public func gelu() -> Tensor { unary(.gelu) }
}
