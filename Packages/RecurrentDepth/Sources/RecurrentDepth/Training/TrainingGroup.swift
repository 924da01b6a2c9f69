/// The processes that train one model together, data-parallel: every rank holds the same weights
/// and builds the same batches; rank `r` computes the gradient of the batch's slice `r` (of `size`
/// slices, `addLossGradient(..., group:)`), and the slices' gradients are summed in rank order
/// (each rank sums one chunk of them, see `SliceGradient.summed`), so that every rank takes the
/// same optimizer step, with the same bits as one process, whatever the timing. Rank 0 alone
/// writes the run's files.
///
/// An MPI communicator is one (the `loop` app's MPI build); tests use an in-process one.
public protocol TrainingGroup: AnyObject {
    /// This process's place in the group, 0..<size.
    var rank: Int { get }
    var size: Int { get }
    /// Every rank's `local` (the same count on every rank), concatenated in rank order. Every rank
    /// must make the same calls in the same order.
    func allGather(_ local: [Float]) throws -> [Float]
    /// Block `j` (of `chunk` values) of every rank's `local` (`size` blocks) goes to rank `j`; the
    /// result is the blocks this rank received, in rank order. Every rank must make the same calls
    /// in the same order. A default implementation gathers everything (`allGather`) and keeps this
    /// rank's blocks; a communicator with a personalized exchange (MPI_Alltoall) sends 1/N as much.
    func allToAll(_ local: [Float], chunk: Int) throws -> [Float]
}

extension TrainingGroup {
    /// The rank that writes checkpoints and metrics.
    public var isPrimary: Bool { rank == 0 }

    /// Whether `flag` holds on any rank (a collective call), so that every rank stops at the same
    /// step when one is interrupted or one's clock reaches a time limit first.
    public func anyRank(_ flag: Bool) throws -> Bool {
        try allGather([flag ? 1 : 0]).contains { $0 != 0 }
    }

    public func allToAll(_ local: [Float], chunk: Int) throws -> [Float] {
        precondition(local.count == chunk * size, "allToAll: \(local.count) values are not \(size) blocks of \(chunk)")
        let all = try allGather(local)
        var mine: [Float] = []
        mine.reserveCapacity(local.count)
        for j in 0..<size {
            let start = (j * size + rank) * chunk
            mine.append(contentsOf: all[start..<(start + chunk)])
        }
        return mine
    }

    /// Bytes each rank sends per optimizer step training `model` in this group (and receives): a
    /// chunk of its slice's gradients to every other rank, then its summed chunk to every other
    /// rank — 2 (N − 1) / N of the gradients' size — plus a header of a few values per parameter.
    public func bytesSentPerStep(training model: RecurrentGPT2) -> Int {
        let parameters = model.parameters
        let chunk = (SliceGradient.flatLength(parameters: parameters) + size - 1) / size
        return (2 * chunk + 2 + parameters.count) * (size - 1) * MemoryLayout<Float>.size
    }
}
