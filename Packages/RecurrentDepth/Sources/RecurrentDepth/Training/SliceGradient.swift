import TensorKit

/// One slice of a batch: its loss, weighted by its share of the batch's read positions, and its
/// gradient per parameter (nil for a parameter the slice does not reach).
struct SliceGradient {
    var loss: Float
    var gradients: [Tensor?]

    /// Every slice's `SliceGradient`, in slice order, from the one `local` slice this rank computed
    /// (nil when the batch had no slice for it): each rank's is packed as one buffer of
    /// `[has slice, loss, has gradient per parameter…, every gradient's values…]` (every buffer the
    /// same length), the group gathers them in rank order, and slice `s` is rank `s`'s.
    static func exchange(_ local: SliceGradient?, parameters: [Tensor], slices: Int, in group: TrainingGroup) throws -> [SliceGradient] {
        let sizes = parameters.map(\.count)
        let length = 2 + parameters.count + sizes.reduce(0, +)
        var buffer = [Float](repeating: 0, count: length)
        if let local {
            buffer[0] = 1
            buffer[1] = local.loss
            var offset = 2 + parameters.count
            for (i, g) in local.gradients.enumerated() {
                if let g {
                    buffer[2 + i] = 1
                    buffer.withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: offset).update(from: g.pointer, count: g.count) }
                }
                offset += sizes[i]
            }
        }
        let all = try group.allGather(buffer)
        guard all.count == length * group.size else {
            throw RecurrentDepthError.trainingGroup("the training group returned \(all.count) values for \(group.size) ranks of \(length)")
        }
        return try (0..<slices).map { s in
            let base = s * length
            guard all[base] == 1 else {
                throw RecurrentDepthError.trainingGroup("rank \(s) of the training group computed no slice of a batch cut in \(slices)")
            }
            var offset = base + 2 + parameters.count
            let gradients = parameters.indices.map { i -> Tensor? in
                defer { offset += sizes[i] }
                guard all[base + 2 + i] == 1 else { return nil }
                let g = Tensor(uninitialized: parameters[i].shape)
                all.withUnsafeBufferPointer { g.pointer.update(from: $0.baseAddress!.advanced(by: offset), count: sizes[i]) }
                return g
            }
            return SliceGradient(loss: all[base + 1], gradients: gradients)
        }
    }
}
