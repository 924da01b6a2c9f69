/// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019) exactly as PyTorch's
/// `torch.optim.AdamW` computes it on one tensor:
///
///     p ← p·(1 − lr·λ);  m ← m + (1 − β1)(g − m);  v ← β2·v + (1 − β2)·g²
///     p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
///
/// Defaults are PyTorch's (lr 1e-3, β 0.9/0.999, ε 1e-8, λ 0.01); decay applies to every parameter.
public final class AdamW: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Double
    public var beta1: Double, beta2: Double, eps: Double, weightDecay: Double
    /// Moments and step count per parameter (a parameter steps only when it has a gradient).
    public private(set) var firstMoments: [Tensor]
    public private(set) var secondMoments: [Tensor]
    public private(set) var steps: [Int]

    public init(parameters: [Tensor], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                eps: Double = 1e-8, weightDecay: Double = 0.01) {
        precondition(learningRate >= 0 && eps >= 0 && weightDecay >= 0, "AdamW: negative learning rate, eps or weight decay")
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2), "AdamW: betas \(beta1), \(beta2) must lie in [0, 1)")
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
        firstMoments = parameters.map { Tensor.zeros($0.shape) }
        secondMoments = parameters.map { Tensor.zeros($0.shape) }
        steps = parameters.map { _ in 0 }
    }

    public func step() {
        let backend = Backends.current
        for (i, p) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            precondition(g.shape == p.shape, "AdamW: gradient shape \(g.shape) differs from parameter shape \(p.shape)")
            steps[i] += 1
            let hyper = AdamWStep(lr: learningRate, beta1: beta1, beta2: beta2, eps: eps,
                                  weightDecay: weightDecay, step: steps[i])
            backend.adamW(p.pointer, grad: g.pointer, m: firstMoments[i].pointer, v: secondMoments[i].pointer,
                          count: p.count, hyper: hyper)
        }
    }

    /// Restores saved moments and step counts (from a checkpoint); shapes must match the parameters.
    public func restore(firstMoments m: [Tensor], secondMoments v: [Tensor], steps: [Int]) {
        precondition(m.count == parameters.count && v.count == parameters.count && steps.count == parameters.count,
                     "AdamW.restore: state for \(m.count) parameters, optimizer has \(parameters.count)")
        for i in parameters.indices {
            precondition(m[i].shape == parameters[i].shape && v[i].shape == parameters[i].shape,
                         "AdamW.restore: moment shapes \(m[i].shape), \(v[i].shape) differ from parameter \(i) of shape \(parameters[i].shape)")
        }
        firstMoments = m.map { $0.copy() }
        secondMoments = v.map { $0.copy() }
        self.steps = steps
    }
}
