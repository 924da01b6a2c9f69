import Foundation

/// The policies this package ships, by registry name: what `loop --halting NAME:key=value,...`
/// builds and `loop list` shows.
public enum HaltingPolicies {
    /// One policy's entry: its name, what it does, and each parameter with its default.
    public struct Entry {
        public let name: String
        public let description: String
        public let parameters: [Parameter]
        public let make: ([String: String]) throws -> any HaltingPolicy
    }

    public struct Parameter: Equatable {
        public let name: String
        public let defaultValue: String
        public let description: String
    }

    static let iterationParameters = { (maximum: String) -> [Parameter] in
        [Parameter(name: "min_iters", defaultValue: "1", description: "no example stops before this many steps"),
         Parameter(name: "max_iters", defaultValue: maximum, description: "examples still running after this many steps answer with the last")]
    }

    public static let all: [Entry] = [
        Entry(name: FixedHalting.registryName, description: "every example runs exactly r steps",
              parameters: [Parameter(name: "r", defaultValue: "4", description: "recurrence steps")],
              make: { try FixedHalting(parameters: $0) }),
        Entry(name: EntropyKLHalting.registryName,
              description: "the reference's rule: stop at the first step t ≥ 1 with KL(p_t‖p_{t−1}) < eps_kl and H(p_t) < threshold",
              parameters: [Parameter(name: "eps_kl", defaultValue: "0.001", description: "KL bound (nats), strict"),
                           Parameter(name: "threshold", defaultValue: "3.0", description: "entropy bound (nats), strict")]
                  + iterationParameters("16"),
              make: { try EntropyKLHalting(parameters: $0) }),
        Entry(name: LengthAwareEntropyKLHalting.registryName,
              description: "entropy-kl with threshold H0 + H1 / seq_len (seq_len: the batch's padded length); records the halt driver",
              parameters: [Parameter(name: "eps_kl", defaultValue: "0.5", description: "KL bound (nats), strict"),
                           Parameter(name: "h0", defaultValue: "3", description: "constant part of the entropy bound"),
                           Parameter(name: "h1", defaultValue: "12", description: "part of the entropy bound divided by seq_len")]
                  + iterationParameters("8"),
              make: { try LengthAwareEntropyKLHalting(parameters: $0) }),
        Entry(name: KLHalting.registryName, description: "stop at the first step t ≥ 1 with KL(p_t‖p_{t−1}) < eps_kl",
              parameters: [Parameter(name: "eps_kl", defaultValue: "0.001", description: "KL bound (nats), strict")] + iterationParameters("16"),
              make: { try KLHalting(parameters: $0) }),
        Entry(name: EntropyHalting.registryName, description: "stop at the first step with H(p_t) < threshold",
              parameters: [Parameter(name: "threshold", defaultValue: "3.0", description: "entropy bound (nats), strict")] + iterationParameters("16"),
              make: { try EntropyHalting(parameters: $0) }),
        Entry(name: ConfidenceHalting.registryName, description: "stop at the first step whose top probability is ≥ tau",
              parameters: [Parameter(name: "tau", defaultValue: "0.9", description: "probability bound in (0, 1], inclusive")] + iterationParameters("16"),
              make: { try ConfidenceHalting(parameters: $0) }),
    ]

    public static var names: [String] { all.map(\.name) }

    /// The policy registered as `name`, with `parameters` over its defaults.
    public static func make(name: String, parameters: [String: String] = [:]) throws -> any HaltingPolicy {
        guard let entry = all.first(where: { $0.name == name }) else { throw HaltingError.unknownPolicy(name, known: names) }
        return try entry.make(parameters)
    }

    /// A policy from `name` or `name:key=value,key=value` (the `--halting` syntax).
    public static func make(specification: String) throws -> any HaltingPolicy {
        let parts = specification.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0]).trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw HaltingError.malformedSpecification(specification, reason: "no policy name") }
        var parameters: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: ",", omittingEmptySubsequences: false) {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = kv[0].trimmingCharacters(in: .whitespaces)
                guard kv.count == 2, !key.isEmpty else {
                    throw HaltingError.malformedSpecification(specification, reason: "'\(pair)' is not key=value")
                }
                guard parameters[key] == nil else {
                    throw HaltingError.malformedSpecification(specification, reason: "'\(key)' is given twice")
                }
                parameters[key] = String(kv[1])
            }
        }
        return try make(name: name, parameters: parameters)
    }
}
