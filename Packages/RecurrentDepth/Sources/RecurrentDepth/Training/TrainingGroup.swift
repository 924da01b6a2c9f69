/// The processes that train one model together, data-parallel: every rank holds the same weights
/// and builds the same batches; rank `r` computes the gradient of the batch's slice `r` (of `size`
/// slices, `addLossGradient(..., group:)`), and every rank sums all slices' gradients itself, in
/// rank order, so that each takes the same optimizer step without a reduction whose order depends
/// on timing. Rank 0 alone writes the run's files.
///
/// An MPI communicator is one (the `loop` app's MPI build); tests use an in-process one.
public protocol TrainingGroup: AnyObject {
    /// This process's place in the group, 0..<size.
    var rank: Int { get }
    var size: Int { get }
    /// Every rank's `local` (the same count on every rank), concatenated in rank order. Every rank
    /// must make the same calls in the same order.
    func allGather(_ local: [Float]) throws -> [Float]
}

extension TrainingGroup {
    /// The rank that writes checkpoints and metrics.
    public var isPrimary: Bool { rank == 0 }

    /// Whether `flag` holds on any rank (a collective call), so that every rank stops at the same
    /// step when one is interrupted or one's clock reaches a time limit first.
    public func anyRank(_ flag: Bool) throws -> Bool {
        try allGather([flag ? 1 : 0]).contains { $0 != 0 }
    }
}
