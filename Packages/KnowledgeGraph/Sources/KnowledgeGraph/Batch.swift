/// A batch laid out for tensors: row-major `[size, length]` arrays that copy into a tensor's
/// storage with one `memcpy`.
public struct Batch: Equatable, Sendable {
    /// Examples in the batch (the last batch of an epoch may be smaller than the batch size).
    public let size: Int
    /// Padded sequence length T.
    public let length: Int
    /// `size × length` token ids, right-padded with the pad id 0.
    public var inputIDs: [Int32]
    /// `size × length`: 1 for real tokens, 0 for padding.
    public var attentionMask: [Float]
    /// Real tokens per row (after truncation, when it was asked for): the input, then the answer
    /// but its last token when the answer has several (teacher forcing).
    public var inputLengths: [Int32]
    /// How many positions each row is read at: its last real ones (`Targets`). 1 for a one-token answer.
    public var targetCounts: [Int32]
    /// The tokens those positions predict, row after row (`targetCounts[i]` for row i): for
    /// one-token answers, the answer of each row.
    public var labels: [Int32]
    /// Hop count per row, counted from the untruncated input.
    public var hops: [Int32]
    /// Each row's index into the examples the batcher was given (for per-type bookkeeping).
    public var exampleIndices: [Int]
}

extension Batch {
    /// The batch with row `i`'s tokens moved `offsets[i]` columns to the right, padding in front
    /// (masked like any padding). A model with position embeddings then sees the same example at
    /// other absolute positions, which trains every position the padded length covers and leaves
    /// the model only the tokens' relative order to rely on. Lengths, labels and hops are
    /// unchanged; each row must still fit: `inputLengths[i] + offsets[i] ≤ length`.
    public func shiftedRight(by offsets: [Int]) -> Batch {
        precondition(offsets.count == size, "one offset per row")
        var shifted = self
        shifted.inputIDs = [Int32](repeating: 0, count: size * length)
        shifted.attentionMask = [Float](repeating: 0, count: size * length)
        for row in 0..<size {
            let (n, o) = (Int(inputLengths[row]), offsets[row])
            precondition(o >= 0 && n + o <= length, "row \(row): \(n) tokens shifted by \(o) exceed \(length) columns")
            let from = row * length, to = from + o
            for j in 0..<n {
                shifted.inputIDs[to + j] = inputIDs[from + j]
                shifted.attentionMask[to + j] = attentionMask[from + j]
            }
        }
        return shifted
    }
}
