/// Recomputes an item's answer from its input tokens, for the tasks whose answer is a function of
/// the input (addition, induction, assignment) — unlike the knowledge-graph tasks, whose answers
/// live in a graph that is not part of the item. A dataset's manifest supplies the one setting an
/// input does not spell (induction's hop count, assignment's modulus). `loop data validate` uses it
/// to check every item of a generated dataset.
public struct AnswerSolver: Sendable {
    /// The generator's name.
    public let task: String
    private let solve: @Sendable ([String]) -> [String]?

    public init(task: String, solve: @escaping @Sendable ([String]) -> [String]?) {
        self.task = task
        self.solve = solve
    }

    /// The answer tokens (`</a>` not included), or nil when the input is not one of the task's.
    public func answer(to input: [String]) -> [String]? { solve(input) }

    /// An item whose answer is not the one its input asks for.
    public struct Mismatch: Equatable, Sendable {
        /// 0-based position in the split's file.
        public let item: Int
        public let input: [String]
        /// What the input asks for; nil when the input is not one of the task's.
        public let expected: [String]?
        public let found: [String]
    }

    /// Checks every example of `split` (read with `vocabulary`): how many are wrong, and the first
    /// `limit` of them in file order.
    public func check(_ split: Split, vocabulary: Vocabulary, limit: Int = 5) -> (wrong: Int, first: [Mismatch]) {
        var wrong = 0
        var first: [Mismatch] = []
        for (index, example) in split.examples.enumerated() {
            let input = example.inputIDs.map { vocabulary.tokens[Int($0)] }
            let found = example.answer.map { vocabulary.tokens[Int($0)] }
            let expected = answer(to: input)
            guard expected != found else { continue }
            wrong += 1
            if first.count < limit { first.append(Mismatch(item: index, input: input, expected: expected, found: found)) }
        }
        return (wrong, first)
    }
}

extension DatasetManifest {
    /// The solver of the manifest's task; nil for the knowledge-graph tasks.
    public var answerSolver: AnswerSolver? {
        switch parameters {
        case .depthExtrapolation, .systematicity:
            return nil
        case .addition:
            return AnswerSolver(task: AdditionGenerator.name) { AdditionGenerator.answer(to: $0) }
        case .induction(let p):
            let hops = p.hops
            return AnswerSolver(task: InductionGenerator.name) { InductionGenerator.answer(to: $0, hops: hops) }
        case .assignment(let p):
            let modulus = p.modulus
            return AnswerSolver(task: AssignmentGenerator.name) { AssignmentGenerator.answer(to: $0, modulus: modulus) }
        }
    }
}
