/// Which tokens of an example a batch trains and scores. Either way the model reads the input
/// followed by the answer but its last token (teacher forcing), and each read position predicts the
/// token after it.
public enum Targets: String, Codable, Sendable, CaseIterable {
    /// The answer's tokens: the input's last token predicts the answer's first, and so on. For a
    /// one-token answer this is the answer at the input's last token, as the knowledge-graph tasks train.
    case answer
    /// Every next token of input and answer (language modelling): position j predicts token j + 1.
    case sequence
}

extension Example {
    /// The tokens a batch row holds: the input, then the answer without its last token.
    public var fedTokens: [Int32] { answer.count == 1 ? inputIDs : inputIDs + answer.dropLast() }

    /// `fedTokens.count`, without building the row: what padding and length checks need.
    public var fedCount: Int { inputIDs.count + answer.count - 1 }

    /// The tokens the row's read positions predict, in order; they are read at the row's last
    /// `count` positions.
    public func targetTokens(_ targets: Targets) -> [Int32] {
        switch targets {
        case .answer: return answer
        case .sequence: return Array((inputIDs + answer).dropFirst())
        }
    }
}
