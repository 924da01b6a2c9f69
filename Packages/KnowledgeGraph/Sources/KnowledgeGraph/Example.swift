/// One question and its answer: the input tokens, the answer tokens (one entity for the
/// knowledge-graph tasks, several for tasks whose answers are spans, such as a sum's digits), the
/// hop count and the item's `type` from the file.
public struct Example: Equatable, Sendable {
    public var inputIDs: [Int32]
    /// The target's tokens after the input, `</a>` dropped: never empty.
    public var answer: [Int32]
    /// Input tokens − 1 (an atomic fact `<e><r>` is 1 hop). Always counted from the tokens: the
    /// reference's own `train.json` mislabels its chains' types by two hops.
    public var hops: Int
    public var type: String?

    public init(inputIDs: [Int32], answer: [Int32], type: String?) {
        precondition(!answer.isEmpty, "an example's answer has at least one token")
        self.inputIDs = inputIDs
        self.answer = answer
        self.hops = inputIDs.count - 1
        self.type = type
    }

    /// A one-token answer (the knowledge-graph tasks).
    public init(inputIDs: [Int32], label: Int32, type: String?) {
        self.init(inputIDs: inputIDs, answer: [label], type: type)
    }

    /// The answer's last token: for one-token answers, the answer.
    public var label: Int32 {
        get { answer[answer.count - 1] }
        set { answer[answer.count - 1] = newValue }
    }
}
