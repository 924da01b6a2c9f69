import TensorKit

/// One batch as the model reads it: token ids `[B, T]` (right-padded), the attention mask `[B, T]`
/// (1 token, 0 padding) and, per example, the position whose logits answer.
public struct ModelInput {
    public var ids: IDTensor
    public var mask: Tensor
    public var positions: [Int]

    public init(ids: IDTensor, mask: Tensor, positions: [Int]) {
        self.ids = ids
        self.mask = mask
        self.positions = positions
    }

    public var batchSize: Int { ids.shape[0] }
    public var length: Int { ids.shape[1] }
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
