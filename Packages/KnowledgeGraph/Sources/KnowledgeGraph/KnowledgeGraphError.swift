/// Everything that can go wrong reading, generating, writing or batching a dataset. Each case says
/// what and where: the file, the item (0-based index in the file's list), the token.
public enum KnowledgeGraphError: Error, CustomStringConvertible, Equatable {
    case fileNotFound(file: String)
    case unreadableFile(file: String, reason: String)
    /// Not valid JSON, or not the expected shape (a list of objects, a list of strings).
    case malformedJSON(file: String, line: Int, column: Int, reason: String)
    /// An item lacks `input_text` or `target_text` (or has a non-string value there).
    case missingField(String, item: Int, file: String)
    /// A `<...>` token the vocabulary does not have; `item`/`file` are nil when tokenizing loose text.
    case unknownToken(String, item: Int?, file: String?)
    /// An item that parses but cannot be an example (no input tokens, no label token).
    case invalidItem(item: Int, file: String, reason: String)
    case invalidVocabulary(file: String, reason: String)
    /// A split with no examples (an empty file, or an empty selection handed to a batcher).
    case emptySplit(String)
    case unknownSplit(String)
    /// An input longer than a fixed `max_len` while truncation was not asked for.
    case sequenceTooLong(length: Int, maxLength: Int, item: Int, split: String?)
    /// A generator or batcher parameter outside its range (out-degree > relations, batch size 0, ...).
    case invalidParameter(String, reason: String)
    /// More unique facts or chains requested than the graph has.
    case notEnoughFacts(what: String, requested: Int, available: String)
    case writeFailed(file: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let file):
            return "\(file): no such file"
        case .unreadableFile(let file, let reason):
            return "\(file): cannot be read: \(reason)"
        case .malformedJSON(let file, let line, let column, let reason):
            return "\(file):\(line):\(column): malformed JSON: \(reason)"
        case .missingField(let field, let item, let file):
            return "\(file): item \(item) has no string \"\(field)\""
        case .unknownToken(let token, let item, let file):
            let place = [file, item.map { "item \($0)" }].compactMap { $0 }.joined(separator: ", ")
            return "unknown token \(token) (not in the vocabulary)" + (place.isEmpty ? "" : " in \(place)")
        case .invalidItem(let item, let file, let reason):
            return "\(file): item \(item): \(reason)"
        case .invalidVocabulary(let file, let reason):
            return "\(file): invalid vocabulary: \(reason)"
        case .emptySplit(let name):
            return "split \(name) has no examples"
        case .unknownSplit(let name):
            return "unknown split \(name) (expected train, valid, test or test_small)"
        case .sequenceTooLong(let length, let maxLength, let item, let split):
            return "\(split.map { "\($0): " } ?? "")item \(item) has \(length) input tokens, more than max_len \(maxLength)"
                + " (ask for truncation explicitly to keep the first \(maxLength))"
        case .invalidParameter(let name, let reason):
            return "invalid parameter \(name): \(reason)"
        case .notEnoughFacts(let what, let requested, let available):
            return "cannot draw \(requested) unique \(what): only \(available) exist"
        case .writeFailed(let file, let reason):
            return "\(file): cannot be written: \(reason)"
        }
    }
}
