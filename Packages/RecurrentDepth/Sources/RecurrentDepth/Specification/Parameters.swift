import Foundation

/// The parameters of one component: every key it declares, with the given value or else the
/// default, read as text and typed on access. Each read that fails names the component, the key
/// and the value, and says what was expected.
public struct Parameters: Sendable {
    /// What kind of component these belong to (`"halting policy"`), for messages.
    public let kind: String
    /// The component's name (`"entropy-kl"`), for messages.
    public let component: String
    /// Every declared key's value, as written.
    public let values: [String: String]

    /// `given` laid over the defaults of `declared`; a key that is not declared is an error listing the valid ones.
    public init(kind: String, component: String, declared: [ParameterSpec], given: [String: String] = [:]) throws {
        let keys = declared.map(\.key)
        if let unknown = given.keys.sorted().first(where: { !keys.contains($0) }) {
            throw SpecificationError.unknownParameter(unknown, kind: kind, component: component, valid: keys)
        }
        self.kind = kind
        self.component = component
        values = Dictionary(declared.map { ($0.key, given[$0.key] ?? $0.defaultValue) }) { _, last in last }
    }

    /// The value as written (or the default).
    public func string(_ key: String) -> String {
        guard let value = values[key] else { preconditionFailure("\(kind) '\(component)' reads '\(key)', which it does not declare") }
        return value
    }

    /// A comma-separated list: entries trimmed, empty entries dropped (an empty value is an empty list).
    public func list(_ key: String) -> [String] {
        string(key).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The value as a number of type `T` (`Int`, `Float`, `Double`), white space around it ignored;
    /// `problem` says what is wrong with a number that parses (nil: nothing is).
    public func number<T: LosslessStringConvertible>(_ key: String, as type: T.Type = T.self,
                                                     _ problem: (T) -> String? = { _ in nil }) throws -> T {
        guard let value = T(string(key).trimmingCharacters(in: .whitespaces)) else {
            throw invalid(key, T.self is any BinaryInteger.Type ? "not an integer" : "not a number")
        }
        if (value as? any FloatingPoint)?.isFinite == false { throw invalid(key, "not finite") }
        if let problem = problem(value) { throw invalid(key, problem) }
        return value
    }

    /// The value as a number in `range`.
    public func number<T: LosslessStringConvertible & Comparable>(_ key: String, in range: ClosedRange<T>) throws -> T {
        try number(key) { range.contains($0) ? nil : "must be in \(range)" }
    }

    /// As `number(_:in:)`, but nil for an empty value (a parameter whose default is decided elsewhere).
    public func optionalNumber<T: LosslessStringConvertible & Comparable>(_ key: String, in range: ClosedRange<T>) throws -> T? {
        string(key).trimmingCharacters(in: .whitespaces).isEmpty ? nil : try number(key, in: range)
    }

    /// The value, which must be one of `choices`.
    public func choice(_ key: String, among choices: [String]) throws -> String {
        let value = string(key)
        guard choices.contains(value) else { throw invalid(key, "must be one of \(choices.joined(separator: ", "))") }
        return value
    }

    /// The error for a value of `key` that parses but cannot be used (for checks across parameters).
    public func invalid(_ key: String, _ reason: String) -> SpecificationError {
        .invalidValue(key, value: string(key), kind: kind, component: component, reason: reason)
    }
}
