import Foundation

/// The examples of one file (`train`, `test`, ...) or a selection of them, in file order.
public struct Split: Sendable {
    public let name: String
    public var examples: [Example]

    public init(name: String, examples: [Example]) {
        self.name = name
        self.examples = examples
    }

    public var count: Int { examples.count }
    public var isEmpty: Bool { examples.isEmpty }

    /// The distinct types, in order of first appearance (untyped examples are not listed).
    public var types: [String] {
        var seen = Set<String>()
        var result: [String] = []
        for example in examples {
            if let type = example.type, seen.insert(type).inserted { result.append(type) }
        }
        return result
    }

    /// The distinct hop counts, ascending.
    public var hopCounts: [Int] { Array(Set(examples.map(\.hops))).sorted() }

    /// The examples whose type is one of `types` (order kept).
    public func selecting<S: Sequence>(types: S) -> Split where S.Element == String {
        let wanted = Set(types)
        return Split(name: name, examples: examples.filter { $0.type.map(wanted.contains) ?? false })
    }

    /// The examples of at most `k` hops, counted from tokens (the curriculum's training set for stage k:
    /// atomic facts are 1 hop).
    public func selecting(hopsAtMost k: Int) -> Split {
        Split(name: name, examples: examples.filter { $0.hops <= k })
    }

    /// The examples of exactly `k` hops.
    public func selecting(hops k: Int) -> Split {
        Split(name: name, examples: examples.filter { $0.hops == k })
    }

    public func selecting(where predicate: (Example) -> Bool) -> Split {
        Split(name: name, examples: examples.filter(predicate))
    }

    /// One split per type, in order of first appearance, each named `name/type`; untyped examples
    /// belong to no group.
    public func groupedByType() -> [(type: String, split: Split)] {
        var order: [String] = []
        var groups: [String: [Example]] = [:]
        for example in examples {
            guard let type = example.type else { continue }
            if groups[type] == nil { order.append(type) }
            groups[type, default: []].append(example)
        }
        return order.map { (type: $0, split: Split(name: "\(name)/\($0)", examples: groups[$0]!)) }
    }

    /// Reads a reference-format file (a JSON list of `{"input_text", "target_text", "type"?}`).
    /// Throws naming the file, the item and the token on bad input, and on an empty list.
    public static func load(from url: URL, vocabulary: Vocabulary, name: String? = nil) throws -> Split {
        let data = try FileBytes.read(url)
        let file = url.lastPathComponent
        let name = name ?? url.deletingPathExtension().lastPathComponent
        let examples = try data.withUnsafeBytes { raw in
            try ReferenceItemDecoder.decode(raw, file: file, vocabulary: vocabulary)
        }
        guard !examples.isEmpty else { throw KnowledgeGraphError.emptySplit("\(name) (\(file))") }
        return Split(name: name, examples: examples)
    }
}
