import RecurrentDepth

/// Probes by registry name: what `loop analyze --probe NAME:key=value,...` builds and `loop list`
/// shows. The `loop` app starts from `builtIn`; a third party adds theirs with
/// `register(MyProbe.component)`.
public typealias ProbeRegistry = ComponentTable<any Probe>

extension ComponentTable where Product == any Probe {
    /// The probes this package ships: `logit-margin`, `grokking`, `logit-lens`, `bridge-lens`,
    /// `recurrence-sweep` and `training-curves`.
    public static var builtIn: ProbeRegistry {
        ProbeRegistry(kind: "probe", components: [LogitMarginProbe.component, GrokkingProbe.component,
                                                  LogitLensProbe.component, BridgeLensProbe.component,
                                                  RecurrenceSweepProbe.component, TrainingCurvesProbe.component])
    }
}

extension RegisteredProbe {
    /// This probe as a registry entry: its description and its initializer.
    public static var component: Component<any Probe> { Component(description) { try Self(parameters: $0) } }
}
