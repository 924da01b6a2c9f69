import RecurrentDepth

/// `fixed`: every example runs exactly r steps — the plain recurrent-depth model, as a policy, so
/// fixed and adaptive runs share one code path and one report format.
public struct FixedHalting: RegisteredHaltingPolicy {
    public static let registryName = "fixed"
    public static let description = ComponentDescription(name: registryName, summary: "every example runs exactly r steps",
                                                         parameters: FixedHalting().parameterSpecs())
    public let recurrence: Int

    public init(recurrence: Int = 4) {
        precondition(recurrence >= 1, "fixed halting needs r ≥ 1")
        self.recurrence = recurrence
    }

    public init(parameters: Parameters) throws {
        self.init(recurrence: try parameters.number("r") { $0 >= 1 ? nil : "must be at least 1" })
    }

    public var name: String { Self.registryName }
    public var parameters: [(key: String, value: ReportValue)] { [("r", .int(recurrence))] }
    public var maxIterations: Int { recurrence }

    public func shouldHalt(_ distribution: MonitoredDistribution, state: inout Void) -> Bool {
        distribution.iterationsUsed >= recurrence
    }
}
