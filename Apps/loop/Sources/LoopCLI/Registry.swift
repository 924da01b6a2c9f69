import Foundation

/// One parameter of a registered component: its key, default (nil: required) and meaning.
public struct ParameterSpec: Sendable {
    public var key: String
    public var defaultValue: String?
    public var help: String

    public init(_ key: String, default defaultValue: String?, _ help: String) {
        self.key = key
        self.defaultValue = defaultValue
        self.help = help
    }
}

/// Parameter values parsed from `name:key=value,...`, typed on access. Every read names the
/// component and key in its error, with what was expected.
public struct Parameters {
    public let component: String
    public let values: [String: String]

    public init(component: String, values: [String: String]) {
        self.component = component
        self.values = values
    }

    public func string(_ key: String) throws -> String {
        guard let value = values[key] else { throw CLIError("\(component): parameter '\(key)' has no value") }
        return value
    }

    public func double(_ key: String) throws -> Double {
        let text = try string(key)
        guard let value = Double(text), value.isFinite else { throw CLIError("\(component): \(key)=\(text) is not a number") }
        return value
    }

    public func int(_ key: String) throws -> Int {
        let text = try string(key)
        guard let value = Int(text) else { throw CLIError("\(component): \(key)=\(text) is not an integer") }
        return value
    }

    public func bool(_ key: String) throws -> Bool {
        switch try string(key).lowercased() {
        case "true", "yes", "1": return true
        case "false", "no", "0": return false
        case let other: throw CLIError("\(component): \(key)=\(other) is not true or false")
        }
    }

    /// A comma-separated list (empty for an empty value).
    public func list(_ key: String) throws -> [String] {
        try string(key).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// A named component: what it is, its parameters with defaults, and how to make it.
public struct Component<Product> {
    public var name: String
    public var summary: String
    public var parameters: [ParameterSpec]
    public var make: (Parameters) throws -> Product

    public init(name: String, summary: String, parameters: [ParameterSpec] = [], make: @escaping (Parameters) throws -> Product) {
        self.name = name
        self.summary = summary
        self.parameters = parameters
        self.make = make
    }
}

/// Components of one kind (schedules, halting policies, probes, backends) by name.
public struct ComponentTable<Product> {
    public let kind: String
    public private(set) var components: [Component<Product>] = []

    public init(kind: String) { self.kind = kind }

    /// Adds (or replaces) a component.
    public mutating func register(_ component: Component<Product>) {
        components.removeAll { $0.name == component.name }
        components.append(component)
    }

    public var names: [String] { components.map(\.name) }

    /// Makes the component that `spec` (`name` or `name:key=value,key=value`) names. An unknown
    /// name or key, or a bad value, is an error that lists what is valid.
    public func make(_ spec: String) throws -> Product {
        let (name, given) = try Self.parse(spec, kind: kind)
        guard let component = components.first(where: { $0.name == name }) else {
            throw CLIError("unknown \(kind) '\(name)'; known: \(names.joined(separator: ", "))")
        }
        let known = Set(component.parameters.map(\.key))
        if let unknown = given.keys.sorted().first(where: { !known.contains($0) }) {
            let valid = component.parameters.map(\.key)
            throw CLIError("\(kind) '\(name)' has no parameter '\(unknown)'; "
                + (valid.isEmpty ? "it takes none" : "valid: \(valid.joined(separator: ", "))"))
        }
        var values: [String: String] = [:]
        for p in component.parameters {
            if let v = given[p.key] ?? p.defaultValue { values[p.key] = v } else {
                throw CLIError("\(kind) '\(name)' needs parameter '\(p.key)' (\(p.help))")
            }
        }
        return try component.make(Parameters(component: "\(kind) '\(name)'", values: values))
    }

    static func parse(_ spec: String, kind: String) throws -> (String, [String: String]) {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        guard let name = parts.first, !name.isEmpty else { throw CLIError("empty \(kind) name") }
        var values: [String: String] = [:]
        var lastKey: String?
        if parts.count == 2 {
            // A piece without `=` continues the previous value, so lists need no quoting:
            // `logit-margin:splits=2hop_test,3hop_test,iterations=20`.
            for piece in parts[1].split(separator: ",") {
                let kv = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                if kv.count == 2, !kv[0].isEmpty {
                    values[kv[0]] = kv[1]
                    lastKey = kv[0]
                } else if kv.count == 1, let key = lastKey {
                    values[key]! += "," + kv[0]
                } else {
                    throw CLIError("\(kind) '\(name)': '\(piece)' is not key=value (write \(name):key=value,key=value)")
                }
            }
        }
        return (name, values)
    }
}

/// A user-facing error: the message is all the user sees.
public struct CLIError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
