/// One question and its answer: the input tokens (a head entity then relations), the answer
/// token, the hop count and the item's `type` from the file.
public struct Example: Equatable, Sendable {
    public var inputIDs: [Int32]
    /// The target's last token once `</a>` is dropped: the answer entity.
    public var label: Int32
    /// Input tokens − 1 (an atomic fact `<e><r>` is 1 hop). Always counted from the tokens: the
    /// reference's own `train.json` mislabels its chains' types by two hops.
    public var hops: Int
    public var type: String?

    public init(inputIDs: [Int32], label: Int32, type: String?) {
        self.inputIDs = inputIDs
        self.label = label
        self.hops = inputIDs.count - 1
        self.type = type
    }
}
