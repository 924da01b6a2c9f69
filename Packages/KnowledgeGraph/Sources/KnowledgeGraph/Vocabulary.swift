import Foundation

/// The token list of a dataset (`vocab.json`): a token's id is its position. The pad token `<pad>`
/// is always id 0: if a vocabulary lacks it, it is prepended, as the reference does.
public struct Vocabulary: Equatable, Sendable {
    public static let padToken = "<pad>"
    /// The reference's special tokens, after entities and relations in a generated vocabulary.
    public static let specialTokens = ["<mask>", "<sep>", "<a>", "</a>", "<q>", "</q>"]
    public static let answerEndToken = "</a>"

    public let tokens: [String]
    private let idsByToken: [String: Int32]
    let table: TokenTable

    public var padID: Int32 { 0 }
    public var count: Int { tokens.count }

    /// Builds a vocabulary from a token list, prepending `<pad>` when it is absent.
    /// Throws when a token repeats or `<pad>` sits anywhere but first (its id must be 0).
    public init(tokens: [String], file: String = "vocab.json") throws {
        var tokens = tokens
        if !tokens.contains(Vocabulary.padToken) { tokens.insert(Vocabulary.padToken, at: 0) }
        guard tokens[0] == Vocabulary.padToken else {
            throw KnowledgeGraphError.invalidVocabulary(
                file: file, reason: "<pad> is at index \(tokens.firstIndex(of: Vocabulary.padToken)!), the pad id must be 0")
        }
        var ids: [String: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        for (i, token) in tokens.enumerated() {
            if ids[token] != nil {
                throw KnowledgeGraphError.invalidVocabulary(file: file, reason: "token \(token) appears twice (index \(ids[token]!) and \(i))")
            }
            ids[token] = Int32(i)
        }
        self.tokens = tokens
        self.idsByToken = ids
        self.table = TokenTable(tokens: tokens)
    }

    /// The vocabulary the generators write: `<pad>`, `<e_0>`…, `<r_0>`…, then the special tokens.
    public static func knowledgeGraph(entities: Int, relations: Int) -> Vocabulary {
        var tokens = [padToken]
        tokens.reserveCapacity(1 + entities + relations + specialTokens.count)
        for e in 0..<entities { tokens.append(entityToken(e)) }
        for r in 0..<relations { tokens.append(relationToken(r)) }
        tokens += specialTokens
        return try! Vocabulary(tokens: tokens)
    }

    public static func entityToken(_ e: Int) -> String { "<e_\(e)>" }
    public static func relationToken(_ r: Int) -> String { "<r_\(r)>" }

    /// Reads `vocab.json`, a JSON list of token strings.
    public static func load(from url: URL) throws -> Vocabulary {
        try decode(FileBytes.read(url), file: url.lastPathComponent)
    }

    /// A vocabulary from the bytes of a `vocab.json`; `file` names the source in errors.
    static func decode(_ data: Data, file: String) throws -> Vocabulary {
        let tokens = try data.withUnsafeBytes { raw in
            var scanner = JSONScanner(raw, file: file)
            return try scanner.readStringList()
        }
        return try Vocabulary(tokens: tokens, file: file)
    }

    public func id(_ token: String) -> Int32? { idsByToken[token] }

    /// Token ids of every `<...>` in `text` (the reference's `<[^>]+>`); text between tokens is skipped.
    public func tokenize(_ text: String) throws -> [Int32] {
        var text = text
        return try text.withUTF8 { utf8 in
            var ids: [Int32] = []
            guard let base = utf8.baseAddress else { return ids }
            try TokenScanner.forEachToken(base, utf8.count) { p, n in
                guard let id = table.id(p, n) else {
                    throw KnowledgeGraphError.unknownToken(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self),
                                                           item: nil, file: nil)
                }
                ids.append(id)
            }
            return ids
        }
    }

    /// The tokens' text concatenated, as the reference writes `input_text`.
    public func text(_ ids: [Int32]) -> String {
        ids.map { tokens[Int($0)] }.joined()
    }

    public static func == (a: Vocabulary, b: Vocabulary) -> Bool { a.tokens == b.tokens }
}
