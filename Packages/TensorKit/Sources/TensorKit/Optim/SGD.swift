/// Stochastic gradient descent as PyTorch's `torch.optim.SGD`: coupled weight decay
/// (g ← g + λp), optional momentum (b ← μb + g, b = g on the first step), p ← p − lr·b.
public final class SGD: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Double
    public var momentum: Double, weightDecay: Double
    private var buffers: [Tensor?]

    public init(parameters: [Tensor], learningRate: Double, momentum: Double = 0, weightDecay: Double = 0) {
        precondition(learningRate >= 0 && momentum >= 0 && weightDecay >= 0, "SGD: negative learning rate, momentum or weight decay")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        buffers = parameters.map { _ in nil }
    }

    public func step() {
        let lr = Float(learningRate), mu = Float(momentum), wd = Float(weightDecay)
        for (i, p) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            let pp = p.pointer, gp = g.pointer
            var direction = gp
            let decayed = Tensor.zeros(p.shape)
            if wd != 0 {
                for j in 0..<p.count { decayed.pointer[j] = gp[j] + wd * pp[j] }
                direction = decayed.pointer
            }
            if mu != 0 {
                if let buffer = buffers[i] {
                    for j in 0..<p.count { buffer.pointer[j] = mu * buffer.pointer[j] + direction[j] }
                } else {
                    let buffer = Tensor.zeros(p.shape)
                    buffer.pointer.update(from: direction, count: p.count)
                    buffers[i] = buffer
                }
                direction = buffers[i]!.pointer
            }
            for j in 0..<p.count { pp[j] -= lr * direction[j] }
        }
    }
}
