/// Updates parameters from their gradients. Both optimizers here follow PyTorch's definitions so
/// that runs can be compared with the reference step for step.
public protocol Optimizer: AnyObject {
    var parameters: [Tensor] { get }
    /// The rate the next `step()` uses (a schedule sets it before each step).
    var learningRate: Double { get set }
    /// One update of every parameter that has a gradient; parameters without one are skipped.
    func step()
}

extension Optimizer {
    /// Clears every parameter's gradient (the next backward starts a fresh sum).
    public func zeroGrad() { for p in parameters { p.grad = nil } }
}
