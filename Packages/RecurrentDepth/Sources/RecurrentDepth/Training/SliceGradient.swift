import TensorKit

/// One slice of a batch: its loss, weighted by its share of the batch's read positions, and its
/// gradient per parameter (nil for a parameter the slice does not reach).
struct SliceGradient {
    var loss: Float
    var gradients: [Tensor?]

    /// Values of one slice's gradients laid end to end (float32): what a rank sends per step.
    static func flatLength(parameters: [Tensor]) -> Int { parameters.reduce(0) { $0 + $1.count } }

    /// The sum over a group's slices — rank `s` computed slice `s`, this rank's is `local` (nil when
    /// the batch had no slice for it) — added in slice order, as one process adds its slices, so
    /// the bits are the same.
    ///
    /// A reduce-scatter then an allgather, both in a fixed order: the gradients, laid end to end,
    /// are cut in one chunk per rank; rank `r` receives chunk `r` of every slice (`allToAll`), sums
    /// it in slice order, and every rank gathers the summed chunks. Each rank sends and receives
    /// 2 (N − 1) / N of the gradients' size per step, as a ring allreduce does, yet unlike
    /// MPI_Allreduce the order of the additions does not depend on the network or the library.
    static func summed(_ local: SliceGradient?, parameters: [Tensor], slices: Int, in group: TrainingGroup) throws -> SliceGradient {
        let ranks = group.size
        // Each slice's header: whether the rank had a slice, its loss, and which parameters it reached.
        var header = [Float](repeating: 0, count: 2 + parameters.count)
        if let local {
            header[0] = 1
            header[1] = local.loss
            for (i, g) in local.gradients.enumerated() where g != nil { header[2 + i] = 1 }
        }
        let headers = try group.allGather(header)
        guard headers.count == header.count * ranks else {
            throw RecurrentDepthError.trainingGroup("the training group returned \(headers.count) values for \(ranks) ranks of \(header.count)")
        }
        var loss: Float = 0
        for s in 0..<slices {
            guard headers[s * header.count] == 1 else {
                throw RecurrentDepthError.trainingGroup("rank \(s) of the training group computed no slice of a batch cut in \(slices)")
            }
            loss += headers[s * header.count + 1]
        }
        // The slices that reached parameter i, in slice order.
        let reached = parameters.indices.map { i in (0..<slices).filter { headers[$0 * header.count + 2 + i] == 1 } }

        let sizes = parameters.map(\.count)
        let offsets = sizes.indices.map { sizes[..<$0].reduce(0, +) }
        let total = flatLength(parameters: parameters)
        let chunk = max(1, (total + ranks - 1) / ranks)
        var flat = [Float](repeating: 0, count: chunk * ranks)
        if let local {
            flat.withUnsafeMutableBufferPointer { out in
                for (i, g) in local.gradients.enumerated() {
                    if let g { out.baseAddress!.advanced(by: offsets[i]).update(from: g.pointer, count: g.count) }
                }
            }
        }
        // received[s * chunk ..< (s + 1) * chunk]: slice s's values of this rank's chunk.
        let received = try group.allToAll(flat, chunk: chunk)
        guard received.count == chunk * ranks else {
            throw RecurrentDepthError.trainingGroup("the training group returned \(received.count) values for \(ranks) chunks of \(chunk)")
        }
        let mine = (group.rank * chunk)..<min((group.rank + 1) * chunk, total)
        var sum = [Float](repeating: 0, count: chunk)
        received.withUnsafeBufferPointer { blocks in
            sum.withUnsafeMutableBufferPointer { out in
                for i in parameters.indices where !reached[i].isEmpty {
                    // The part of parameter i inside this rank's chunk.
                    let lower = max(offsets[i], mine.lowerBound), upper = min(offsets[i] + sizes[i], mine.upperBound)
                    guard lower < upper else { continue }
                    let target = out.baseAddress!.advanced(by: lower - mine.lowerBound)
                    let slice = { (s: Int) in blocks.baseAddress!.advanced(by: s * chunk + lower - mine.lowerBound) }
                    target.update(from: slice(reached[i][0]), count: upper - lower)
                    for s in reached[i].dropFirst() {
                        let values = slice(s)
                        for e in 0..<(upper - lower) { target[e] += values[e] }
                    }
                }
            }
        }
        let all = try group.allGather(sum)
        guard all.count == chunk * ranks else {
            throw RecurrentDepthError.trainingGroup("the training group returned \(all.count) values for \(ranks) chunks of \(chunk)")
        }
        let gradients = parameters.indices.map { i -> Tensor? in
            guard !reached[i].isEmpty else { return nil }
            let g = Tensor(uninitialized: parameters[i].shape)
            all.withUnsafeBufferPointer { g.pointer.update(from: $0.baseAddress!.advanced(by: offsets[i]), count: sizes[i]) }
            return g
        }
        return SliceGradient(loss: loss, gradients: gradients)
    }
}
