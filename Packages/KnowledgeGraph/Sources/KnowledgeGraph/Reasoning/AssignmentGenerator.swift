import Foundation

/// Variable assignment with a dependency depth: a simplified form of the i-GSM problems of
/// Saunshi et al. (ICLR 2025), which follow Ye et al. (2024). A small program assigns each of its
/// variables once — a constant, a copy of another variable, or another variable plus a constant,
/// all modulo `modulus` — and a query asks the value of one variable.
///
///     input_text  <v_4><=><v_7><+><2><;><v_1><=><5><;><v_7><=><v_1><;><v_0><=><3><;><?><v_4>
///     target_text …<?><v_4><0></a>          (v_1 = 5, v_7 = v_1 = 5, v_4 = v_7 + 2 = 0 mod 7)
///
/// - Depth: the query's value is found by following `depth` assignments, the last a constant (a
///   queried constant is depth 1). Every variable is assigned exactly once and refers only to
///   variables made before it, so the program is acyclic and each variable has one dependency
///   chain: its depth has no shorter path.
/// - The query's chain is a constant, then `depth − 1` references, each a copy or, with
///   probability `additionProbability`, a copy plus a constant in 1…modulus−1.
/// - `distractors` more statements, interleaved with the chain at random: each is a constant or,
///   with probability ½, a reference (copy or addition as above) to a variable made before it —
///   possibly one of the chain's, so a distractor may depend on the chain but never the reverse.
/// - Variable names are distinct draws from `<v_0>`…`<v_{variables−1}>`; the statements are shown in
///   a random order (`shuffleStatements`, the default; i-GSM shuffles its sentences too) or in the
///   order they were made.
///
/// From the paper: the task's idea (a value reached through a chain of dependent quantities, the
/// difficulty being the chain's depth) and the modulus 7 of its i-GSM. Chosen here: single-parent
/// assignments instead of i-GSM's multi-parent DAG and word-problem text, the spelling, the
/// distractors and every size. The defaults (`.small`: depths 1…4, 3 distractors, 10 variables,
/// modulus 7, up to 42 input tokens, 1 500 training items per depth) are for a d 64–128 model of
/// 1–8 layers on a CPU.
///
/// Per depth k, inputs are distinct: the first `trainPerDepth` drawn are training items
/// (`assignment_d{k}_train`), the next `testPerDepth` test items (`assignment_d{k}_test`); `test.json`
/// also holds `trainSampleInTest` training items per depth, and `test_small.json` and `valid.json`
/// the first `smallTestPerType` of each test type.
public struct AssignmentGenerator: DatasetGenerator {
    public static let name = "assignment"

    public struct Parameters: Codable, Equatable, Sendable {
        public var minDepth: Int
        public var maxDepth: Int
        /// Statements besides the query's chain.
        public var distractors: Int
        /// Size of the name pool `<v_0>`…; at least maxDepth + distractors.
        public var variables: Int
        /// Values are 0…modulus−1 and additions are modulo it.
        public var modulus: Int
        /// Chance that a reference adds a constant rather than copying (0: copies only).
        public var additionProbability: Double
        /// Show the statements in a random order rather than the order they were made.
        public var shuffleStatements: Bool
        public var trainPerDepth: Int
        public var testPerDepth: Int
        /// Training items per depth repeated in `test.json`.
        public var trainSampleInTest: Int
        public var smallTestPerType: Int
        public var seed: UInt64

        public init(minDepth: Int = 1, maxDepth: Int = 4, distractors: Int = 3, variables: Int = 10, modulus: Int = 7,
                    additionProbability: Double = 0.5, shuffleStatements: Bool = true, trainPerDepth: Int = 1_500,
                    testPerDepth: Int = 200, trainSampleInTest: Int = 100, smallTestPerType: Int = 10, seed: UInt64 = 0) {
            self.minDepth = minDepth
            self.maxDepth = maxDepth
            self.distractors = distractors
            self.variables = variables
            self.modulus = modulus
            self.additionProbability = additionProbability
            self.shuffleStatements = shuffleStatements
            self.trainPerDepth = trainPerDepth
            self.testPerDepth = testPerDepth
            self.trainSampleInTest = trainSampleInTest
            self.smallTestPerType = smallTestPerType
            self.seed = seed
        }

        /// The defaults: depths 1…4, 3 distractors, 10 variables, modulus 7.
        public static let small = Parameters()

        /// The paper's modulus 7 at a larger scale chosen here (depths 1…8, 12 distractors, 32
        /// variables, additions everywhere); the paper's i-GSM itself is not this task.
        public static let paper = Parameters(minDepth: 1, maxDepth: 8, distractors: 12, variables: 32, modulus: 7,
                                             additionProbability: 1, trainPerDepth: 20_000, testPerDepth: 500, trainSampleInTest: 500)

        private enum CodingKeys: String, CodingKey {
            case distractors, variables, modulus, seed
            case minDepth = "min_depth", maxDepth = "max_depth", additionProbability = "addition_probability"
            case shuffleStatements = "shuffle_statements", trainPerDepth = "train_per_depth", testPerDepth = "test_per_depth"
            case trainSampleInTest = "train_sample_in_test", smallTestPerType = "small_test_per_type"
        }

        /// Missing keys take their defaults.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Parameters()
            minDepth = try c.decodeIfPresent(Int.self, forKey: .minDepth) ?? d.minDepth
            maxDepth = try c.decodeIfPresent(Int.self, forKey: .maxDepth) ?? d.maxDepth
            distractors = try c.decodeIfPresent(Int.self, forKey: .distractors) ?? d.distractors
            variables = try c.decodeIfPresent(Int.self, forKey: .variables) ?? d.variables
            modulus = try c.decodeIfPresent(Int.self, forKey: .modulus) ?? d.modulus
            additionProbability = try c.decodeIfPresent(Double.self, forKey: .additionProbability) ?? d.additionProbability
            shuffleStatements = try c.decodeIfPresent(Bool.self, forKey: .shuffleStatements) ?? d.shuffleStatements
            trainPerDepth = try c.decodeIfPresent(Int.self, forKey: .trainPerDepth) ?? d.trainPerDepth
            testPerDepth = try c.decodeIfPresent(Int.self, forKey: .testPerDepth) ?? d.testPerDepth
            trainSampleInTest = try c.decodeIfPresent(Int.self, forKey: .trainSampleInTest) ?? d.trainSampleInTest
            smallTestPerType = try c.decodeIfPresent(Int.self, forKey: .smallTestPerType) ?? d.smallTestPerType
            seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        }

        /// The type stem of depth k's items, naming the task and the depth.
        public func typeStem(depth k: Int) -> String { "assignment_d\(k)" }

        func validate() throws {
            try requireParameter(minDepth >= 1, "min_depth", "must be at least 1, a queried constant (got \(minDepth))")
            try requireParameter(maxDepth >= minDepth, "max_depth", "must be at least min_depth \(minDepth) (got \(maxDepth))")
            try requireParameter(distractors >= 0, "distractors", "must not be negative (got \(distractors))")
            try requireParameter(variables >= maxDepth + distractors && variables <= 100_000, "variables",
                                 "must be between max_depth + distractors = \(maxDepth + distractors) (each statement assigns "
                                     + "its own variable) and 100000 (got \(variables))")
            try requireParameter(modulus >= 2 && modulus <= 1_000, "modulus", "must be between 2 and 1000 (got \(modulus))")
            try requireParameter(additionProbability >= 0 && additionProbability <= 1, "addition_probability",
                                 "must be in [0, 1] (got \(additionProbability))")
            try requireParameter(trainPerDepth >= 1, "train_per_depth", "must be at least 1 (got \(trainPerDepth))")
            try requireParameter(testPerDepth >= 1, "test_per_depth", "must be at least 1 (got \(testPerDepth))")
            try requireParameter(trainSampleInTest >= 0, "train_sample_in_test", "must not be negative (got \(trainSampleInTest))")
            try requireParameter(smallTestPerType >= 0, "small_test_per_type", "must not be negative (got \(smallTestPerType))")
        }
    }

    public var parameters: Parameters

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
    }

    public static func variableToken(_ k: Int) -> String { "<v_\(k)>" }

    /// `<pad>`, `<v_0>`…, the values `<0>`…`<modulus−1>`, `<=>`, `<+>`, `<;>`, `<?>`, then the special tokens.
    public static func vocabulary(variables: Int, modulus: Int) -> Vocabulary {
        ReasoningTokens.vocabulary((0..<variables).map(variableToken) + (0..<modulus).map(ReasoningTokens.number)
                                   + [ReasoningTokens.equals, ReasoningTokens.plus, ReasoningTokens.semicolon, ReasoningTokens.query])
    }

    /// One statement as made: the variable it assigns (an index into the names) and what.
    private struct Statement {
        var target: Int
        /// The statement it copies (an index into the statements), nil for a constant.
        var source: Int?
        /// The constant, or what is added to the source (0: a copy).
        var constant: Int
    }

    public func generate() throws -> GeneratedDataset {
        let p = parameters
        try p.validate()
        let vocabulary = Self.vocabulary(variables: p.variables, modulus: p.modulus)
        let variableID = (0..<p.variables).map { vocabulary.id(Self.variableToken($0))! }
        let valueID = (0..<p.modulus).map { vocabulary.id(ReasoningTokens.number($0))! }
        let equals = vocabulary.id(ReasoningTokens.equals)!, plus = vocabulary.id(ReasoningTokens.plus)!
        let semicolon = vocabulary.id(ReasoningTokens.semicolon)!, query = vocabulary.id(ReasoningTokens.query)!

        func program(depth k: Int, type: String, rng: inout SeededGenerator) -> Example {
            let count = k + p.distractors
            let names = rng.sample(count, from: p.variables)
            var isChain = [Bool](repeating: false, count: count)
            for t in rng.sample(k, from: count) { isChain[t] = true }
            func reference(to source: Int, _ rng: inout SeededGenerator) -> (Int?, Int) {
                let adds = rng.uniformDouble() < p.additionProbability
                return (source, adds ? 1 + rng.uniform(below: p.modulus - 1) : 0)
            }
            var statements: [Statement] = []
            var values: [Int] = []
            var chainEnd: Int? = nil
            for t in 0..<count {
                var (source, constant): (Int?, Int)
                if isChain[t] {
                    if let end = chainEnd { (source, constant) = reference(to: end, &rng) } else { (source, constant) = (nil, rng.uniform(below: p.modulus)) }
                    chainEnd = t
                } else if t > 0 && rng.uniform(below: 2) == 1 {
                    (source, constant) = reference(to: rng.uniform(below: t), &rng)
                } else {
                    (source, constant) = (nil, rng.uniform(below: p.modulus))
                }
                statements.append(Statement(target: names[t], source: source, constant: constant))
                values.append(source.map { (values[$0] + constant) % p.modulus } ?? constant)
            }
            let order = p.shuffleStatements ? rng.permutation(count) : Array(0..<count)
            var input: [Int32] = []
            input.reserveCapacity(6 * count + 2)
            for t in order {
                let s = statements[t]
                input += [variableID[s.target], equals]
                if let source = s.source {
                    input.append(variableID[statements[source].target])
                    if s.constant != 0 { input += [plus, valueID[s.constant]] }
                } else {
                    input.append(valueID[s.constant])
                }
                input.append(semicolon)
            }
            input += [query, variableID[names[chainEnd!]]]
            return Example(inputIDs: input, label: valueID[values[chainEnd!]], type: type)
        }

        var rng = SeededGenerator(seed: p.seed)
        var draws = DistinctDraws()
        var train: [Example] = [], test: [Example] = []
        var trainByDepth: [[Example]] = []
        for k in p.minDepth...p.maxDepth {
            let stem = p.typeStem(depth: k)
            let count = p.trainPerDepth + p.testPerDepth
            let drawn = try draws.draw(count, what: "depth-\(k) programs with \(p.distractors) distractors over \(p.variables) variables "
                                           + "and modulus \(p.modulus) (train + test)",
                                       maxDraws: DistinctDraws.budget(for: count), rng: &rng) { rng in
                program(depth: k, type: stem + "_train", rng: &rng)
            }
            let depthTrain = Array(drawn[0..<p.trainPerDepth])
            train += depthTrain
            trainByDepth.append(depthTrain)
            test += Example.retyped(drawn[p.trainPerDepth...], as: stem + "_test")
        }
        for depthTrain in trainByDepth {
            test += rng.sample(min(p.trainSampleInTest, depthTrain.count), from: depthTrain)
        }
        return GeneratedDataset.assembled(manifest: DatasetManifest(parameters: .assignment(p)), vocabulary: vocabulary,
                                          train: train, test: test, smallTestPerType: p.smallTestPerType)
    }

    /// The queried value, computed from the input alone: the statements (`x <=> y <;>` or
    /// `x <=> y <+> <c> <;>`, y a `<N>` constant or a name) are read into a table and the query's
    /// name `<?> x` looked up through it, modulo `modulus`. Nil when the input is malformed, a name
    /// is assigned twice or never, or the lookups go round in a cycle.
    public static func answer(to input: [String], modulus: Int) -> [String]? {
        guard modulus >= 1, input.count >= 2, input[input.count - 2] == ReasoningTokens.query else { return nil }
        var table: [String: (source: String, add: Int)] = [:]
        var statement: [String] = []
        for token in input.dropLast(2) {
            guard token != ReasoningTokens.semicolon else {
                // name <=> source [<+> constant]
                guard statement.count == 3 || statement.count == 5, statement[1] == ReasoningTokens.equals,
                      ReasoningTokens.value(of: statement[0]) == nil, table[statement[0]] == nil else { return nil }
                var add = 0
                if statement.count == 5 {
                    guard statement[3] == ReasoningTokens.plus, let c = ReasoningTokens.value(of: statement[4]) else { return nil }
                    add = c
                }
                table[statement[0]] = (statement[2], add)
                statement.removeAll()
                continue
            }
            statement.append(token)
        }
        guard statement.isEmpty else { return nil }
        var name = input[input.count - 1]
        var total = 0
        for _ in 0...table.count {
            guard let entry = table[name] else { return nil }
            total += entry.add
            if let constant = ReasoningTokens.value(of: entry.source) {
                return [ReasoningTokens.number((total + constant) % modulus)]
            }
            name = entry.source
        }
        return nil   // more lookups than statements: a cycle
    }
}
