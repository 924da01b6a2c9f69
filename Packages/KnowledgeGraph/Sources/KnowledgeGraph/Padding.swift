/// How a batch's sequences are padded (on the right, with pad id 0).
public enum Padding: Equatable, Sendable {
    /// Every batch has length `max_len` (the extrapolation default, 50). Longer inputs are an
    /// error unless the batcher was asked to truncate.
    case fixed(Int)
    /// Each batch is as long as its longest input (the systematicity default).
    case longest
}
