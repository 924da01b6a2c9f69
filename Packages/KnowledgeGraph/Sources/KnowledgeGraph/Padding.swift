/// How a batch's sequences are padded (on the right, with pad id 0). Codable, so training
/// configs store it as it is.
public enum Padding: Codable, Equatable, Sendable {
    /// Every batch has length `max_len` (the extrapolation default, 50). Longer inputs are an
    /// error unless the batcher was asked to truncate.
    case fixed(Int)
    /// Each batch is as long as its longest input (the systematicity default).
    case longest
}
