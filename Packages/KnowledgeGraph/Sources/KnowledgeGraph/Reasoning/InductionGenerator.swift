import Foundation

/// p-hop induction, the second synthetic task of Saunshi et al. (ICLR 2025), after Sanford et al.
/// (2024): a sequence over `alphabet` symbols; starting at its last position, a hop finds the
/// latest earlier occurrence of the current symbol and moves to the position just after it. The
/// answer is the symbol reached after `hops` hops.
///
/// An item: the sequence, `length` tokens `<s_0>`…`<s_{alphabet−1}>`, and the answer symbol:
///
///     input_text  <s_2><s_3><s_1><s_3><s_0><s_2><s_1><s_0>
///     target_text <s_2><s_3><s_1><s_3><s_0><s_2><s_1><s_0><s_3></a>      (2 hops: from 7 to 5, then to 1)
///
/// Every item has its chain of `hops` hops, each to a strictly earlier position. Sequences are
/// drawn with no symbol next to itself (the first uniform, each next one uniform over the other
/// `alphabet − 1`), so the latest earlier occurrence of the symbol at position i is at most i − 2,
/// and a hop never lands where it started; a sequence whose chain runs off its start (the current
/// symbol has no earlier occurrence) is redrawn. `hops` is not spelled in the input: it is fixed
/// per dataset, as in the paper, and named by the types.
///
/// From the paper: the task and, in `.paper`, sequences of 256 over 4 symbols with 32 hops (it also
/// reports 16 hops). Chosen here: no symbol repeated next to itself, the spelling, every size. The
/// defaults (`.small`: 4 symbols, 32 tokens, 4 hops, 4 000 training items) are for a d 64–128
/// model of 1–8 layers on a CPU.
///
/// Inputs are distinct; the first `trainSize` drawn are training items (`induction_p{hops}_train`),
/// the next `testSize` test items (`induction_p{hops}_test`); `test.json` also holds a sample of
/// `trainSampleInTest` training items, and `test_small.json` and `valid.json` the first
/// `smallTestPerType` of each test type.
public struct InductionGenerator: DatasetGenerator {
    public static let name = "induction"

    public struct Parameters: Codable, Equatable, Sendable {
        /// Symbols (at least 3).
        public var alphabet: Int
        /// Sequence length in tokens (at least hops + 2).
        public var length: Int
        /// p: hops from the last position.
        public var hops: Int
        public var trainSize: Int
        public var testSize: Int
        public var trainSampleInTest: Int
        public var smallTestPerType: Int
        public var seed: UInt64

        public init(alphabet: Int = 4, length: Int = 32, hops: Int = 4, trainSize: Int = 4_000, testSize: Int = 500,
                    trainSampleInTest: Int = 200, smallTestPerType: Int = 10, seed: UInt64 = 0) {
            self.alphabet = alphabet
            self.length = length
            self.hops = hops
            self.trainSize = trainSize
            self.testSize = testSize
            self.trainSampleInTest = trainSampleInTest
            self.smallTestPerType = smallTestPerType
            self.seed = seed
        }

        /// The defaults: 4 symbols, 32 tokens, 4 hops, 4 000 training and 500 test items.
        public static let small = Parameters()

        /// The paper's setting: 4 symbols, 256 tokens, 32 hops; the sizes are chosen here.
        public static let paper = Parameters(alphabet: 4, length: 256, hops: 32, trainSize: 100_000, testSize: 1_000,
                                             trainSampleInTest: 1_000)

        private enum CodingKeys: String, CodingKey {
            case alphabet, length, hops, seed
            case trainSize = "train_size", testSize = "test_size"
            case trainSampleInTest = "train_sample_in_test", smallTestPerType = "small_test_per_type"
        }

        /// Missing keys take their defaults.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Parameters()
            alphabet = try c.decodeIfPresent(Int.self, forKey: .alphabet) ?? d.alphabet
            length = try c.decodeIfPresent(Int.self, forKey: .length) ?? d.length
            hops = try c.decodeIfPresent(Int.self, forKey: .hops) ?? d.hops
            trainSize = try c.decodeIfPresent(Int.self, forKey: .trainSize) ?? d.trainSize
            testSize = try c.decodeIfPresent(Int.self, forKey: .testSize) ?? d.testSize
            trainSampleInTest = try c.decodeIfPresent(Int.self, forKey: .trainSampleInTest) ?? d.trainSampleInTest
            smallTestPerType = try c.decodeIfPresent(Int.self, forKey: .smallTestPerType) ?? d.smallTestPerType
            seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        }

        /// The test types' common stem, naming the task and its difficulty.
        public var typeStem: String { "induction_p\(hops)" }

        func validate() throws {
            try requireParameter(alphabet >= 3 && alphabet <= 10_000, "alphabet",
                                 "must be between 3 and 10000 (got \(alphabet)): with 2 symbols and none next to itself, "
                                     + "a sequence alternates and its first symbol fixes every answer")
            try requireParameter(hops >= 1, "hops", "must be at least 1 (got \(hops))")
            try requireParameter(length >= hops + 2, "length",
                                 "must be at least hops + 2 = \(hops + 2), as each hop moves at least one position left (got \(length))")
            try requireParameter(trainSize >= 1, "train_size", "must be at least 1 (got \(trainSize))")
            try requireParameter(testSize >= 1, "test_size", "must be at least 1 (got \(testSize))")
            try requireParameter(trainSampleInTest >= 0, "train_sample_in_test", "must not be negative (got \(trainSampleInTest))")
            try requireParameter(smallTestPerType >= 0, "small_test_per_type", "must not be negative (got \(smallTestPerType))")
        }
    }

    public var parameters: Parameters

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
    }

    public static func symbolToken(_ k: Int) -> String { "<s_\(k)>" }

    /// `<pad>`, `<s_0>`…`<s_{alphabet−1}>`, then the special tokens.
    public static func vocabulary(alphabet: Int) -> Vocabulary {
        ReasoningTokens.vocabulary((0..<alphabet).map(symbolToken))
    }

    public func generate() throws -> GeneratedDataset {
        let p = parameters
        try p.validate()
        let count = p.trainSize + p.testSize
        // alphabet · (alphabet − 1)^(length − 1) sequences have no symbol next to itself (fewer have
        // a whole chain); nil when that overflows.
        var space: Int? = p.alphabet
        for _ in 1..<p.length {
            if let s = space {
                let (product, overflow) = s.multipliedReportingOverflow(by: p.alphabet - 1)
                space = overflow ? nil : product
            }
        }
        if let space, space < count {
            throw KnowledgeGraphError.notEnoughFacts(
                what: "induction sequences (train + test)", requested: count,
                available: "at most \(space) (\(p.alphabet) × \(p.alphabet - 1)^\(p.length - 1) sequences with no symbol next to itself)")
        }

        let vocabulary = Self.vocabulary(alphabet: p.alphabet)
        let symbolID = (0..<p.alphabet).map { vocabulary.id(Self.symbolToken($0))! }
        let trainType = p.typeStem + "_train", testType = p.typeStem + "_test"
        var sequence = [Int](repeating: 0, count: p.length)
        var previous = [Int](repeating: -1, count: p.length)
        var lastSeen = [Int](repeating: -1, count: p.alphabet)

        var rng = SeededGenerator(seed: p.seed)
        var draws = DistinctDraws()
        let drawn = try draws.draw(count, what: "\(p.hops)-hop induction sequences of length \(p.length)",
                                   maxDraws: DistinctDraws.budget(for: count), rng: &rng) { rng in
            sequence[0] = rng.uniform(below: p.alphabet)
            for i in 1..<p.length {
                let s = rng.uniform(below: p.alphabet - 1)
                sequence[i] = s >= sequence[i - 1] ? s + 1 : s
            }
            // previous[i]: the latest j < i holding the same symbol as i, or −1.
            for k in 0..<p.alphabet { lastSeen[k] = -1 }
            for i in 0..<p.length {
                previous[i] = lastSeen[sequence[i]]
                lastSeen[sequence[i]] = i
            }
            var position = p.length - 1
            for _ in 0..<p.hops {
                guard previous[position] >= 0 else { return nil }
                position = previous[position] + 1
            }
            return Example(inputIDs: sequence.map { symbolID[$0] }, label: symbolID[sequence[position]], type: trainType)
        }
        let train = Array(drawn[0..<p.trainSize])
        var test = Example.retyped(drawn[p.trainSize...], as: testType)
        test += rng.sample(min(p.trainSampleInTest, train.count), from: train)
        return GeneratedDataset.assembled(manifest: DatasetManifest(parameters: .induction(p)), vocabulary: vocabulary,
                                          train: train, test: test, smallTestPerType: p.smallTestPerType)
    }

    /// The symbol `hops` hops from the input's last token, found by searching back from each
    /// position for the current token (tokens are compared as strings, whatever they spell); nil
    /// when the input is empty, `hops` < 1, or a hop finds no earlier occurrence.
    public static func answer(to input: [String], hops: Int) -> [String]? {
        guard !input.isEmpty, hops >= 1 else { return nil }
        var position = input.count - 1
        for _ in 0..<hops {
            var j = position - 1
            while j >= 0 && input[j] != input[position] { j -= 1 }
            guard j >= 0 else { return nil }
            position = j + 1
        }
        return [input[position]]
    }
}
