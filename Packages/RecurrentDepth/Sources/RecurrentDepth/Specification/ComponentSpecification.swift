import Foundation

/// A component named on the command line — a recurrence schedule, a halting policy, a probe, a
/// backend: `name`, or `name:key=value,key=value`. Every kind of component is written, and parsed,
/// the same way:
///
/// - The name runs to the first `:` (white space around it is ignored) and may not be empty.
/// - After the `:` come items separated by `,`. An item `key=value` sets a parameter: the key runs
///   to the item's first `=` (white space around it is ignored) and may not be empty; the value is
///   the rest of the item as written, and may be empty or contain `=` and `:` (`report=/a/b:c`).
/// - An item without `=` continues the value of the parameter before it, comma included, so a
///   list needs no quoting: `logit-margin:splits=2hop_test,3hop_test,iterations=20` sets `splits`
///   to `2hop_test,3hop_test` and `iterations` to `20`. (An entry of such a list cannot contain `=`.)
///
/// It is an error to give no name (`:r=1`), to begin with an item that has nothing to continue
/// (`entropy-kl:eps_kl`), to leave a key empty (`fixed:=3`), to give a key twice, or to leave an
/// item empty (`fixed:`, `a=1,,b=2`, a trailing comma). Which keys a component takes, and their
/// defaults, is the component's business (`Parameters`), not the grammar's.
public struct ComponentSpecification: Equatable, Sendable {
    public var name: String
    /// The parameters as written, by key (values verbatim; continuation items joined with `,`).
    public var values: [String: String]

    public init(name: String, values: [String: String] = [:]) {
        self.name = name
        self.values = values
    }

    /// Parses `text`; `kind` (`"halting policy"`) names what it specifies in error messages.
    public init(parsing text: String, kind: String) throws {
        let colon = text.firstIndex(of: ":")
        name = String(text[..<(colon ?? text.endIndex)]).trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw SpecificationError.malformed(text, kind: kind, reason: "no name before the parameters") }
        guard let colon else { values = [:]; return }
        values = try Self.parameters(text[text.index(after: colon)...], of: text, kind: kind)
    }

    /// Parses the parameters alone, `key=value,key=value` by the same rules, for a setting that is
    /// one thing with parameters rather than a choice among components (`--looping-regularizer
    /// k=2,lambda=1`); `name` is what the messages call it.
    public init(name: String, parsingParameters text: String, kind: String) throws {
        self.name = name
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw SpecificationError.malformed(text, kind: kind, reason: "no parameters given")
        }
        values = try Self.parameters(Substring(text), of: text, kind: kind)
    }

    /// The items after the name: `key=value`, or a continuation of the value before.
    private static func parameters(_ items: Substring, of text: String, kind: String) throws -> [String: String] {
        func malformed(_ reason: String) -> SpecificationError { .malformed(text, kind: kind, reason: reason) }
        var values: [String: String] = [:]
        var lastKey: String?
        for item in items.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw malformed("an empty item (a stray comma, or nothing after ':')") }
            guard let equals = item.firstIndex(of: "=") else {
                guard let key = lastKey else { throw malformed("'\(item)' is not key=value") }
                values[key]! += "," + item
                continue
            }
            let key = String(item[..<equals]).trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { throw malformed("'\(item)' has no key before '='") }
            guard values[key] == nil else { throw malformed("'\(key)' is given twice") }
            values[key] = String(item[item.index(after: equals)...])
            lastKey = key
        }
        return values
    }
}
