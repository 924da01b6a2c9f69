import Foundation

/// What can go wrong in this package, each case saying what and where.
public enum HaltingError: Error, CustomStringConvertible, Equatable {
    /// A registry name no policy answers to.
    case unknownPolicy(String, known: [String])
    /// A parameter the named policy does not take.
    case unknownParameter(String, policy: String, known: [String])
    /// A parameter whose value is not a number, or out of range.
    case invalidParameter(String, value: String, policy: String, reason: String)
    /// A `name:key=value,...` specification that does not parse.
    case malformedSpecification(String, reason: String)
    /// Settings of an inference, sweep or report that cannot work (an empty range, a batch size of 0).
    case invalidSetting(String)
    case writeFailed(String, reason: String)

    public var description: String {
        switch self {
        case let .unknownPolicy(name, known):
            return "unknown halting policy '\(name)'; known: \(known.joined(separator: ", "))"
        case let .unknownParameter(key, policy, known):
            return "halting policy '\(policy)' has no parameter '\(key)'; it takes \(known.isEmpty ? "none" : known.joined(separator: ", "))"
        case let .invalidParameter(key, value, policy, reason):
            return "halting policy '\(policy)': \(key)=\(value): \(reason)"
        case let .malformedSpecification(spec, reason):
            return "halting policy '\(spec)': \(reason) (expected name:key=value,key=value)"
        case let .invalidSetting(message): return "invalid halting setting: \(message)"
        case let .writeFailed(path, reason): return "\(path): cannot write: \(reason)"
        }
    }
}

/// Reads a policy's `[String: String]` parameters: rejects unknown keys before anything else,
/// parses numbers, and applies defaults.
struct ParameterReader {
    let policy: String
    let values: [String: String]

    init(policy: String, parameters: [String: String], known: [String]) throws {
        if let unknown = parameters.keys.sorted().first(where: { !known.contains($0) }) {
            throw HaltingError.unknownParameter(unknown, policy: policy, known: known)
        }
        self.policy = policy
        values = parameters
    }

    func float(_ key: String, default value: Float, _ check: (Float) -> String?) throws -> Float {
        guard let text = values[key] else { return value }
        guard let parsed = Float(text.trimmingCharacters(in: .whitespaces)), parsed.isFinite else {
            throw HaltingError.invalidParameter(key, value: text, policy: policy, reason: "not a finite number")
        }
        if let problem = check(parsed) { throw HaltingError.invalidParameter(key, value: text, policy: policy, reason: problem) }
        return parsed
    }

    func int(_ key: String, default value: Int, _ check: (Int) -> String?) throws -> Int {
        guard let text = values[key] else { return value }
        guard let parsed = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw HaltingError.invalidParameter(key, value: text, policy: policy, reason: "not an integer")
        }
        if let problem = check(parsed) { throw HaltingError.invalidParameter(key, value: text, policy: policy, reason: problem) }
        return parsed
    }

    /// min_iters and max_iters, shared by every thresholded policy.
    func iterationLimits(minimum: Int = 1, maximum: Int) throws -> (Int, Int) {
        let maxIters = try int("max_iters", default: maximum) { $0 >= 1 ? nil : "must be at least 1" }
        let minIters = try int("min_iters", default: minimum) { $0 >= 1 ? nil : "must be at least 1" }
        if minIters > maxIters {
            throw HaltingError.invalidParameter("min_iters", value: String(minIters), policy: policy,
                                                reason: "exceeds max_iters (\(maxIters))")
        }
        return (minIters, maxIters)
    }
}
