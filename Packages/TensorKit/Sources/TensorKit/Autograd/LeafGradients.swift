/// Where one backward pass puts the gradients of leaves: in their own `grad` (`backward()`), or
/// in a table of its own (`gradients(for:)`), which is what lets passes over the same parameters
/// run on two threads at once. An op that adds straight into a leaf's gradient (a weight used at
/// every recurrence step) goes through the pass running on its thread, `LeafGradients.current`.
final class LeafGradients {
    // nil: the leaves' own `grad`.
    private var table: [ObjectIdentifier: Tensor]?

    init(intoLeaves: Bool) { table = intoLeaves ? nil : [:] }

    /// The gradient `leaf` holds so far, owned by the pass (safe to add into in place).
    func existing(_ leaf: Tensor) -> Tensor? {
        table == nil ? leaf.grad : table![ObjectIdentifier(leaf)]
    }

    /// Gives `leaf` its first gradient, which nothing else holds.
    func start(_ leaf: Tensor, _ owned: Tensor) {
        if table == nil { leaf.grad = owned } else { table![ObjectIdentifier(leaf)] = owned }
    }

    /// Adds the gradient reaching `leaf` at the end of the pass (which another gradient may share,
    /// so a first one is copied: every gradient the pass leaves behind is its holder's own).
    func deliver(_ leaf: Tensor, _ g: Tensor) {
        if let existing = existing(leaf) {
            existing.addInPlace(g)
        } else {
            start(leaf, g.copy())
        }
    }

    func gradient(of leaf: Tensor) -> Tensor? { table?[ObjectIdentifier(leaf)] }

    private static let slot = ThreadLocalSlot()

    /// The pass running on this thread, if any.
    static var current: LeafGradients? {
        slot.value.map { Unmanaged<LeafGradients>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Runs `body` as this thread's current pass.
    func run(_ body: () -> Void) {
        withExtendedLifetime(self) { Self.slot.with(Unmanaged.passUnretained(self).toOpaque(), body) }
    }
}
