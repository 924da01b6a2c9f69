/// The token spellings the reasoning tasks share: numbers and values as `<7>`, and the few
/// operators their inputs use. Every spelling is a `<...>` token, so the reader's tokenizer finds it.
enum ReasoningTokens {
    static let plus = "<+>"
    static let equals = "<=>"
    static let semicolon = "<;>"
    static let query = "<?>"

    /// `<7>`: a digit of a number, or a value of the assignment task.
    static func number(_ value: Int) -> String { "<\(value)>" }

    /// The value a `<N>` token spells, or nil for any other token.
    static func value(of token: String) -> Int? {
        guard token.count >= 3, token.first == "<", token.last == ">" else { return nil }
        let inner = token.dropFirst().dropLast()
        guard inner.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(inner)
    }

    /// A generated vocabulary: `<pad>`, the task's tokens, then the reference's special tokens
    /// (`</a>` among them), as the knowledge-graph vocabularies are laid out.
    static func vocabulary(_ taskTokens: [String]) -> Vocabulary {
        try! Vocabulary(tokens: [Vocabulary.padToken] + taskTokens + Vocabulary.specialTokens)
    }
}
