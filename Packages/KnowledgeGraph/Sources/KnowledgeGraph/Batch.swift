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
    /// Real tokens per row (after truncation, when it was asked for).
    public var inputLengths: [Int32]
    /// The answer token per row.
    public var labels: [Int32]
    /// Hop count per row, counted from the untruncated input.
    public var hops: [Int32]
    /// Each row's index into the examples the batcher was given (for per-type bookkeeping).
    public var exampleIndices: [Int]
}
