import Foundation

/// A parameter a probe takes, with its default (as written on the command line) and help.
public struct ProbeParameterInfo: Equatable, Sendable {
    public var name: String
    public var defaultValue: String
    public var help: String

    public init(_ name: String, default defaultValue: String, _ help: String) {
        self.name = name
        self.defaultValue = defaultValue
        self.help = help
    }
}

/// What `loop list` shows for a probe.
public struct ProbeDescription: Equatable, Sendable {
    public var name: String
    public var summary: String
    public var parameters: [ProbeParameterInfo]

    public init(name: String, summary: String, parameters: [ProbeParameterInfo]) {
        self.name = name
        self.summary = summary
        self.parameters = parameters
    }
}

/// `key=value` parameters given to a probe, read with their defaults. Building a probe from them
/// fails on a key the probe does not take and on a value that does not parse, naming both.
public struct ProbeParameters {
    public let probe: String
    public let values: [String: String]
    public let known: [ProbeParameterInfo]

    public init(probe: ProbeDescription, values: [String: String]) throws {
        self.probe = probe.name
        self.values = values
        known = probe.parameters
        let names = Set(known.map(\.name))
        if let unknown = values.keys.sorted().first(where: { !names.contains($0) }) {
            throw AnalysisError.unknownParameter(unknown, probe: probe.name, known: known.map(\.name))
        }
    }

    /// The given value, else the default.
    public func string(_ name: String) -> String {
        values[name] ?? known.first { $0.name == name }?.defaultValue ?? ""
    }

    /// A comma-separated list (empty entries dropped).
    public func list(_ name: String) -> [String] {
        string(name).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// An integer in `range`; an empty value is nil.
    public func int(_ name: String, in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int? {
        let s = string(name)
        if s.isEmpty { return nil }
        guard let v = Int(s), range.contains(v) else {
            throw AnalysisError.invalidParameter(name, probe: probe, value: s, reason: "expected an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    /// A number in `range`; an empty value is nil.
    public func double(_ name: String, in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) throws -> Double? {
        let s = string(name)
        if s.isEmpty { return nil }
        guard let v = Double(s), v.isFinite, range.contains(v) else {
            throw AnalysisError.invalidParameter(name, probe: probe, value: s, reason: "expected a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    /// One of `choices`.
    public func choice(_ name: String, _ choices: [String]) throws -> String {
        let s = string(name)
        guard choices.contains(s) else {
            throw AnalysisError.invalidParameter(name, probe: probe, value: s, reason: "expected one of \(choices.joined(separator: ", "))")
        }
        return s
    }
}

/// The probes this package ships, by registry name. The `loop` app keeps its own registry and
/// adds these; a third party adds theirs the same way (`ProbeRegistry.register`).
public struct ProbeRegistry {
    public typealias Factory = (ProbeParameters) throws -> any Probe
    public private(set) var entries: [(description: ProbeDescription, make: Factory)] = []

    public init() {}

    /// A registry holding `logit-margin`, `grokking`, `logit-lens` and `recurrence-sweep`.
    public static var builtIn: ProbeRegistry {
        var registry = ProbeRegistry()
        registry.register(LogitMarginProbe.self)
        registry.register(GrokkingProbe.self)
        registry.register(LogitLensProbe.self)
        registry.register(RecurrenceSweepProbe.self)
        return registry
    }

    /// Adds (or replaces) a probe type under its description's name.
    public mutating func register<P: RegisteredProbe>(_ type: P.Type) {
        register(P.description) { try P(parameters: $0) }
    }

    public mutating func register(_ description: ProbeDescription, make: @escaping Factory) {
        entries.removeAll { $0.description.name == description.name }
        entries.append((description, make))
    }

    /// Name, parameters with defaults and summary of every probe, in registration order.
    public var descriptions: [ProbeDescription] { entries.map(\.description) }

    public func make(_ name: String, parameters: [String: String] = [:]) throws -> any Probe {
        guard let entry = entries.first(where: { $0.description.name == name }) else {
            throw AnalysisError.unknownProbe(name, known: entries.map(\.description.name))
        }
        return try entry.make(try ProbeParameters(probe: entry.description, values: parameters))
    }

    /// Builds a probe from a command-line spec, `name` or `name:key=value,key=value`. A piece
    /// without `=` continues the previous value, so lists need no quoting:
    /// `logit-margin:splits=2hop_test,3hop_test,iterations=20`.
    public func make(spec: String) throws -> any Probe {
        let (name, parameters) = try Self.parse(spec: spec)
        return try make(name, parameters: parameters)
    }

    public static func parse(spec: String) throws -> (name: String, parameters: [String: String]) {
        guard let colon = spec.firstIndex(of: ":") else { return (spec, [:]) }
        let name = String(spec[..<colon])
        var parameters: [String: String] = [:]
        var last: String?
        for piece in spec[spec.index(after: colon)...].split(separator: ",", omittingEmptySubsequences: false) {
            if let eq = piece.firstIndex(of: "=") {
                let key = String(piece[..<eq]).trimmingCharacters(in: .whitespaces)
                guard !key.isEmpty else { throw AnalysisError.invalidParameter("", probe: name, value: String(piece), reason: "a parameter needs a name before '='") }
                parameters[key] = String(piece[piece.index(after: eq)...])
                last = key
            } else if let key = last {
                parameters[key]! += "," + piece
            } else if !piece.isEmpty {
                throw AnalysisError.invalidParameter(String(piece), probe: name, value: "", reason: "expected key=value")
            }
        }
        return (name, parameters)
    }
}
