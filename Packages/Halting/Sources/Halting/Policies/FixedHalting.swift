/// `fixed`: every example runs exactly r steps — the plain recurrent-depth model, as a policy, so
/// fixed and adaptive runs share one code path and one report format.
public struct FixedHalting: HaltingPolicy {
    public static let registryName = "fixed"
    public let recurrence: Int

    public init(recurrence: Int) {
        precondition(recurrence >= 1, "fixed halting needs r ≥ 1")
        self.recurrence = recurrence
    }

    /// Parameters: `r` (default 4).
    public init(parameters: [String: String]) throws {
        let reader = try ParameterReader(policy: Self.registryName, parameters: parameters, known: ["r"])
        self.init(recurrence: try reader.int("r", default: 4) { $0 >= 1 ? nil : "must be at least 1" })
    }

    public var name: String { Self.registryName }
    public var parameters: [(key: String, value: ReportValue)] { [("r", .int(recurrence))] }
    public var maxIterations: Int { recurrence }

    public func shouldHalt(_ distribution: MonitoredDistribution, state: inout Void) -> Bool {
        distribution.iterationsUsed >= recurrence
    }
}
