/// One recorded operation: its inputs and how to turn the gradient of its output into theirs.
final class GradNode {
    let op: String
    let inputs: [Tensor]
    /// Gradients for each input (nil where an input needs none), given the output's gradient.
    let backward: (Tensor) -> [Tensor?]

    init(op: String, inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) {
        self.op = op
        self.inputs = inputs
        self.backward = backward
    }
}

/// Whether ops record history. Off inside `withoutGrad` and while `backward()` runs.
///
/// Per thread: data-parallel training runs one slice of a batch on each core, and one core's
/// backward must not stop the other's forward from recording. A new thread starts enabled.
public enum GradMode {
    // Set (to any non-nil value) on threads where recording is off.
    private static let disabled = ThreadLocalSlot()

    public static var isEnabled: Bool { disabled.value == nil }

    /// Runs `body` without recording history (inference, optimizer updates).
    public static func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
        try disabled.with(UnsafeMutableRawPointer(bitPattern: 1), body)
    }
}

/// Shorthand for `GradMode.withoutGrad`.
public func withoutGrad<R>(_ body: () throws -> R) rethrows -> R { try GradMode.withoutGrad(body) }

extension Tensor {
    /// Whether a result computed from `inputs` must record how it was made.
    static func needsGrad(_ inputs: [Tensor]) -> Bool {
        GradMode.isEnabled && inputs.contains { $0.requiresGrad }
    }

    /// Attaches history to a freshly computed result when any input needs a gradient.
    @discardableResult
    func recording(_ op: String, _ inputs: [Tensor], _ backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        if Tensor.needsGrad(inputs) {
            requiresGrad = true
            gradNode = GradNode(op: op, inputs: inputs, backward: backward)
        }
        return self
    }

    public var isLeaf: Bool { gradNode == nil }

    /// Back-propagates from this tensor: every leaf that requires a gradient gets d(self)/d(leaf)
    /// added to its `grad` (seeded with ones, or with `gradient` for a non-scalar output). A
    /// tensor used several times receives the sum of all its uses. The recorded graph is released.
    public func backward(_ gradient: Tensor? = nil) {
        propagate(gradient, into: LeafGradients(intoLeaves: true))
    }

    /// d(self)/d(leaf) for each of `leaves` (nil where self does not depend on it), scaled by
    /// `gradient` as in `backward`, without reading or changing any `grad` (PyTorch's
    /// `torch.autograd.grad`): graphs built on different threads over the same parameters can
    /// run their backward passes side by side. Each result is the caller's own (nothing else
    /// holds it; it may be changed in place). The recorded graph is released.
    public func gradients(for leaves: [Tensor], _ gradient: Tensor? = nil) -> [Tensor?] {
        let found = LeafGradients(intoLeaves: false)
        propagate(gradient, into: found)
        return leaves.map { found.gradient(of: $0) }
    }

    /// The backward pass: hands each leaf that requires a gradient its complete gradient.
    private func propagate(_ gradient: Tensor?, into leaves: LeafGradients) {
        precondition(requiresGrad, "backward: this tensor does not require a gradient (no input had requiresGrad, or it was computed in withoutGrad)")
        if let gradient {
            precondition(gradient.shape == shape, "backward: gradient shape \(gradient.shape) does not match tensor shape \(shape)")
        } else {
            precondition(count == 1, "backward: a tensor of shape \(shape) needs an explicit gradient")
        }
        GradMode.withoutGrad { leaves.run {
            let order = topologicalOrder()
            var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): gradient?.copy() ?? Tensor.ones(shape)]
            for tensor in order.reversed() {
                guard let g = grads.removeValue(forKey: ObjectIdentifier(tensor)) else { continue }
                guard let node = tensor.gradNode else {
                    leaves.deliver(tensor, g)
                    continue
                }
                let inputGrads = node.backward(g)
                for (input, inputGrad) in zip(node.inputs, inputGrads) {
                    guard let inputGrad, input.requiresGrad else { continue }
                    precondition(inputGrad.shape == input.shape,
                                 "backward of \(node.op): gradient shape \(inputGrad.shape) differs from input shape \(input.shape)")
                    let key = ObjectIdentifier(input)
                    // Out of place: a backward may hand the same tensor to several inputs.
                    grads[key] = grads[key].map { $0 + inputGrad } ?? inputGrad
                }
                tensor.gradNode = nil
            }
        } }
    }

    /// Tensors reachable from self through recorded history, inputs before the results using them.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative depth-first search: deep recurrences would overflow a recursive one.
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (tensor, expanded) = stack.popLast() {
            if expanded { order.append(tensor); continue }
            guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.gradNode?.inputs ?? [] where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        return order
    }

    /// Sets `grad` to nil (the next backward starts a fresh sum).
    public func zeroGrad() { grad = nil }
}
