import RecurrentDepth
import Halting

/// `patience`: stop once the answer (the argmax at the monitored position) has stayed the same
/// for `k` consecutive steps — a halting rule that looks at decisions, not at distributions.
public struct PatienceHalting: RegisteredHaltingPolicy {
    public struct State { var answer: Int32 = -1; var streak = 0 }

    /// Name, summary, and the parameters with the initializer's defaults (what `loop list` shows).
    public static let description = ComponentDescription(
        name: "patience", summary: "stop when the answer has not changed for k steps",
        parameters: PatienceHalting().parameterSpecs(help: ["k": "steps the answer must stay the same", "max_iters": "most steps"]))

    public let patience: Int
    public let maxIterations: Int

    public init(patience: Int = 2, maxIterations: Int = 16) {
        self.patience = patience
        self.maxIterations = maxIterations
    }

    public init(parameters: Parameters) throws {
        let atLeastOne: (Int) -> String? = { $0 >= 1 ? nil : "must be at least 1" }
        self.init(patience: try parameters.number("k", atLeastOne), maxIterations: try parameters.number("max_iters", atLeastOne))
    }

    public var name: String { Self.description.name }
    public var parameters: [(key: String, value: ReportValue)] { [("k", .int(patience)), ("max_iters", .int(maxIterations))] }

    public func initialState() -> State { State() }

    public func shouldHalt(_ distribution: MonitoredDistribution, state: inout State) -> Bool {
        let answer = MonitoredDistribution.argmax(distribution.logProbabilities)
        state.streak = answer == state.answer ? state.streak + 1 : 1
        state.answer = answer
        return state.streak >= patience
    }
}
