import TensorKit

/// How many slices a training batch is cut into: the slices run forward and backward side by side,
/// each on its own share of the threads, and the batch's gradient is the sum of theirs in slice
/// order.
///
/// Fixed, not the thread count, so that a run computes the same bits on any number of cores (the
/// count of slices sets how the gradient is rounded): with one thread the slices run one after the
/// other; with more threads than slices each slice's products and attention are split over its
/// group of threads (`ThreadPool.parallelFor(groups:)`), and no kernel's result depends on its
/// thread count. Two, because on two cores each then owns a whole slice and never waits for the
/// other inside a layer, where splitting every product over both cores made each core wait at
/// hundreds of joins per step.
public enum BatchShards {
    public static let `default` = 2

    /// Where the slices run by default: the current backend's threads, so that a backend limited
    /// to one thread (`CPUBackend(threads: 1)`, `loop train --backend cpu:threads=1`) or one
    /// without a pool (`ReferenceBackend`) runs them one after the other.
    public static var pool: ThreadPool? { (Backends.current as? CPUBackend)?.pool }
}

extension RecurrentGPT2 {
    /// The training loss — mean cross-entropy of `labels` at the read positions after `recurrence`
    /// steps (one per example, or every position of each span, `ModelInput.readPositions`) — with its gradient added to every parameter's `grad`, as
    /// `loss.backward()` would, computed in `shards` contiguous slices of the batch side by side
    /// on `pool` (by default the current backend's), each on a group of its threads, and summed in
    /// slice order. Returns the loss.
    ///
    /// Each slice's loss is weighted by its share of the batch's read positions, so the sum is the
    /// mean over every predicted token.
    ///
    /// With a `group` of N ranks the batch is cut in N slices (`shards` must be N): this rank computes
    /// slice `rank` on all of `pool`'s threads, and the group sums the slices' gradients in slice
    /// order (`SliceGradient.summed`), as one process does with N slices — so the gradient, and
    /// the weights after the step, equal a single process's with `shards: N` bit for bit. With
    /// dropout, each slice draws its masks from its own generator, forked from `dropout`'s in
    /// slice order (so `dropout.generator` advances by one draw per slice).
    public func addLossGradient(_ input: ModelInput, labels: IDTensor, recurrence: Int, labelSmoothing: Float = 0,
                                dropout: Dropout? = nil, gradientSteps: Int? = nil, shards: Int = BatchShards.default,
                                pool: ThreadPool? = BatchShards.pool, group: TrainingGroup? = nil) throws -> Float {
        let batch = input.batchSize
        let rows = input.readCount
        precondition(labels.shape == [rows], "addLossGradient: labels \(labels.shape) do not match the \(rows) positions read")
        // Checked whole, so an error names the example's place in the batch, not in a slice.
        try validate(input)
        if let group { precondition(shards == group.size, "addLossGradient: \(shards) slices for a group of \(group.size) ranks") }
        let count = max(1, min(shards, batch))
        // The slices this process computes: all, or its rank's (none when the batch has fewer examples than ranks).
        let mine = group.map { $0.rank < count ? [$0.rank] : [] } ?? Array(0..<count)
        let bounds = (0...count).map { $0 * batch / count }
        // Each slice's first label: its examples' read positions come before the next slice's.
        let firstRow = bounds.map { b in input.spans.map { $0[0..<b].reduce(0, +) } ?? b }
        let dropouts = (0..<count).map { _ in
            dropout.map { Dropout(embedding: $0.embedding, attention: $0.attention, residual: $0.residual, generator: $0.generator.fork()) }
        }
        let parameters = self.parameters
        var slices = [Result<SliceGradient, Error>?](repeating: nil, count: mine.count)
        slices.withUnsafeMutableBufferPointer { out in
            let run = { (m: Int) in
                let s = mine[m]
                // Each slice's buffers come from a pool partition of its own (see `BufferPool`).
                out[m] = Result { try BufferPool.withPartition(s + 1) {
                    let range = bounds[s]..<bounds[s + 1]
                    let logits = try self.monitoredLogits(input.examples(range), recurrence: recurrence, dropout: dropouts[s],
                                                          gradientSteps: gradientSteps)
                    let labelRange = firstRow[s]..<firstRow[s + 1]
                    let loss = Tensor.crossEntropy(logits, targets: IDTensor(shape: [labelRange.count], ids: Array(labels.ids[labelRange])),
                                                   labelSmoothing: labelSmoothing)
                    let weight = Float(labelRange.count) / Float(rows)
                    return SliceGradient(loss: loss.item * weight, gradients: loss.gradients(for: parameters, Tensor(scalar: weight)))
                } }
            }
            if let pool, !mine.isEmpty { pool.parallelFor(groups: mine.count, run) } else { mine.indices.forEach(run) }
        }
        let computed = try slices.map { try $0!.get() }
        let results = try group.map { [try SliceGradient.summed(computed.first, parameters: parameters, slices: count, in: $0)] } ?? computed
        // Into the first slice's gradient (its own, see `gradients(for:)`): no third copy of the weights' size.
        let sum = { (i: Int) in
            var total: Tensor?
            for result in results {
                guard let g = result.gradients[i] else { continue }
                if let total { total.addInPlace(g) } else { total = g }
            }
            guard let total else { return }
            let p = parameters[i]
            if let existing = p.grad { existing.addInPlace(total) } else { p.grad = total }
        }
        if let pool { pool.parallelFor(parameters.count, sum) } else { parameters.indices.forEach(sum) }
        return results.reduce(0) { $0 + $1.loss }
    }
}
