import TensorKit

/// One batch as the model reads it: token ids `[B, T]` (right-padded), the attention mask `[B, T]`
/// (1 token, 0 padding) and, per example, the position whose logits answer.
public struct ModelInput {
    public var ids: IDTensor
    public var mask: Tensor
    public var positions: [Int]
    /// For each example, how many consecutive positions ending at `positions[e]` are read: an answer
    /// of several tokens under teacher forcing, or every position for language modelling. Each is a
    /// real token. nil reads one position per example.
    public var spans: [Int]?

    public init(ids: IDTensor, mask: Tensor, positions: [Int], spans: [Int]? = nil) {
        self.ids = ids
        self.mask = mask
        self.positions = positions
        self.spans = spans
    }

    /// The positions read, example after example, ascending within each: the rows of the
    /// monitored logits.
    public var readPositions: [(example: Int, position: Int)] {
        guard let spans else { return positions.enumerated().map { ($0.offset, $0.element) } }
        return positions.indices.flatMap { e in (positions[e] - spans[e] + 1...positions[e]).map { (e, $0) } }
    }

    /// How many rows the monitored logits have.
    public var readCount: Int { spans?.reduce(0, +) ?? positions.count }

    public var batchSize: Int { ids.shape[0] }
    public var length: Int { ids.shape[1] }

    /// The positions example `e`'s monitored row reads, ascending: the unmasked positions before
    /// it, then the monitored position itself (given `mask`, the mask's scalars). Every other
    /// position is a padding key of weight exactly 0 or comes after it. nil when the monitored
    /// position is padding with no unmasked position before it: its softmax then spreads over
    /// padding keys, which all count.
    func monitoredReads(of e: Int, mask: [Float]) -> [Int]? {
        let (t, p) = (length, positions[e])
        var reads = (0..<p).filter { mask[e * t + $0] != 0 }
        if reads.isEmpty && mask[e * t + p] == 0 { return nil }
        reads.append(p)
        return reads
    }

    /// Examples `range` of the batch (a slice for data-parallel training).
    public func examples(_ range: Range<Int>) -> ModelInput {
        let t = length
        return ModelInput(ids: IDTensor(shape: [range.count, t], ids: Array(ids.ids[range.lowerBound * t..<range.upperBound * t])),
                          mask: mask.sliced(axis: 0, range), positions: Array(positions[range]), spans: spans.map { Array($0[range]) })
    }
}

/// Where the answer is read: the reference's `--pred_pos`.
public enum PredictionPosition: String, Codable, Sendable, CaseIterable {
    /// The last position of the padded batch.
    case lastToken = "last_token"
    /// The last real token, `input_length − 1`.
    case inputLength = "inp_len"

    public func positions(lengths: [Int], paddedLength: Int) -> [Int] {
        switch self {
        case .lastToken: return lengths.map { _ in paddedLength - 1 }
        case .inputLength: return lengths.map { $0 - 1 }
        }
    }
}
