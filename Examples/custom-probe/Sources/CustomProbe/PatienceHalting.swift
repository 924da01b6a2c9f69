import Halting

/// `patience`: stop once the answer (the argmax at the monitored position) has stayed the same
/// for `k` consecutive steps — a halting rule that looks at decisions, not at distributions.
public struct PatienceHalting: HaltingPolicy {
    public struct State { var answer: Int32 = -1; var streak = 0 }

    public let patience: Int
    public let maxIterations: Int

    public init(patience: Int, maxIterations: Int) {
        self.patience = patience
        self.maxIterations = maxIterations
    }

    public var name: String { "patience" }
    public var parameters: [(key: String, value: ReportValue)] { [("k", .int(patience)), ("max_iters", .int(maxIterations))] }

    public func initialState() -> State { State() }

    public func shouldHalt(_ distribution: MonitoredDistribution, state: inout State) -> Bool {
        let answer = MonitoredDistribution.argmax(distribution.logProbabilities)
        state.streak = answer == state.answer ? state.streak + 1 : 1
        state.answer = answer
        return state.streak >= patience
    }
}
