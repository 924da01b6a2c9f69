import Yams

/// A YAML document as the values JSONSerialization would give for the same JSON (dictionaries,
/// arrays, strings, numbers, booleans, NSNull), or nil for an empty document.
///
/// Yams builds dictionaries with string keys only and traps on any other key (`? [a, b]: 1`,
/// `{a: 1}: 2`), so the document is composed first and refused, naming the key's line, when any
/// mapping in it has a key that is not a scalar. Yams also traps computing a large base-60 integer
/// (YAML 1.1's `1:30:00`, without overflow checks); such a value is read as text here instead.
enum YAMLDocument {
    struct NonScalarKey: Error, CustomStringConvertible {
        var mark: Mark?
        var description: String { "a mapping key\(mark.map { " at line \($0.line), column \($0.column)" } ?? "") is not a string" }
    }

    static func load(_ text: String) throws -> Any? {
        guard let root = try Yams.compose(yaml: text, .default, constructor) else { return nil }
        if let key = firstNonScalarKey(in: root) { throw NonScalarKey(mark: key.mark) }
        return root.any
    }

    /// Yams' constructor, with base-60 integers left as text (a constructor's nil means a string).
    private static let constructor: Constructor = {
        var scalars = Constructor.defaultScalarMap
        scalars[.int] = { scalar in scalar.string.contains(":") ? nil : Int.construct(from: scalar) }
        return Constructor(scalars)
    }()

    /// The first key that is a mapping or a sequence, searching depth first.
    private static func firstNonScalarKey(in node: Node) -> Node? {
        switch node {
        case .scalar, .alias:
            return nil
        case .sequence(let sequence):
            return sequence.lazy.compactMap(firstNonScalarKey).first
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard case .scalar = key else { return key }
                if let found = firstNonScalarKey(in: value) { return found }
            }
            return nil
        }
    }
}
