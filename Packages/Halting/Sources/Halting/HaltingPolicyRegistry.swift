import RecurrentDepth

/// A halting policy the registry builds from a name and `key=value` parameters.
public protocol RegisteredHaltingPolicy: HaltingPolicy {
    /// Name, summary, and each parameter with its default (what `loop list` shows). Built-in
    /// policies take the defaults from their initializer's (`parameterSpecs(help:)`).
    static var description: ComponentDescription { get }
    /// The policy from its parameters: every declared key, given or at its default.
    init(parameters: Parameters) throws
}

/// Halting policies by registry name: what `loop eval --halting NAME:key=value,...` builds and
/// `loop list` shows. The `loop` app starts from `builtIn`; a third party adds theirs with
/// `register(MyPolicy.component)`.
public typealias HaltingPolicyRegistry = ComponentTable<any HaltingPolicy>

extension ComponentTable where Product == any HaltingPolicy {
    /// The policies this package ships: `fixed`, `entropy-kl`, `entropy-kl-length`, `kl`, `entropy`, `confidence`.
    public static var builtIn: HaltingPolicyRegistry {
        HaltingPolicyRegistry(kind: "halting policy", components: [
            FixedHalting.component, EntropyKLHalting.component, LengthAwareEntropyKLHalting.component,
            KLHalting.component, EntropyHalting.component, ConfidenceHalting.component,
        ])
    }
}

extension RegisteredHaltingPolicy {
    /// This policy as a registry entry: its description and its initializer.
    public static var component: Component<any HaltingPolicy> { Component(description) { try Self(parameters: $0) } }
}

extension HaltingPolicy {
    /// This policy's parameters as a registry declares them: each key with this policy's value as
    /// its default — so a policy built with its initializer's defaults declares exactly those — and
    /// its meaning from `help`, or else the meaning the built-in policies give that key.
    public func parameterSpecs(help: [String: String] = [:]) -> [ParameterSpec] {
        parameters.map { ParameterSpec($0.key, default: $0.value.description, help[$0.key] ?? sharedParameterHelp[$0.key] ?? "") }
    }
}

/// What the built-in policies' parameters mean.
let sharedParameterHelp = [
    "r": "recurrence steps",
    "eps_kl": "KL bound (nats), strict",
    "threshold": "entropy bound (nats), strict",
    "h0": "constant part of the entropy bound",
    "h1": "part of the entropy bound divided by seq_len",
    "tau": "probability bound in (0, 1], inclusive",
    "min_iters": "no example stops before this many steps",
    "max_iters": "examples still running after this many steps answer with the last",
]

extension Parameters {
    /// A bound that must be positive (eps_kl, threshold, tau).
    func positive(_ key: String) throws -> Float {
        try number(key) { $0 > 0 ? nil : "must be positive" }
    }

    /// `min_iters` and `max_iters`, shared by every thresholded policy.
    func iterationLimits() throws -> (minimum: Int, maximum: Int) {
        let maximum: Int = try number("max_iters") { $0 >= 1 ? nil : "must be at least 1" }
        let minimum: Int = try number("min_iters") { $0 >= 1 ? nil : "must be at least 1" }
        guard minimum <= maximum else { throw invalid("min_iters", "exceeds max_iters (\(maximum))") }
        return (minimum, maximum)
    }
}
