import Foundation

/// n-ary addition, the first synthetic task of Saunshi et al., *Reasoning with Latent Thoughts: On
/// the Power of Looped Transformers* (ICLR 2025): the sum of `numbers` numbers of `digits` digits.
///
/// An item: each number as exactly `digits` digit tokens (leading zeros kept, so every input has
/// `numbers × (digits + 1)` tokens), the numbers separated by `<+>`, then `<=>`; the answer is the
/// sum's digits, **most significant first**, zero-padded to the width of the largest possible sum
/// `numbers × (10^digits − 1)`, so that every answer of a dataset has the same number of tokens:
///
///     input_text  <0><7><+><5><3><+><9><9><+><0><1><=>
///     target_text <0><7><+><5><3><+><9><9><+><0><1><=><1><6><0></a>
///
/// Each number is uniform over `0 ..< 10^digits`, independently. The `trainSize + testSize` inputs
/// are distinct; the first `trainSize` drawn are training items, the rest test items, so no test
/// input is trained on.
///
/// From the paper: the task (adding n numbers digit by digit, where the carries make the needed
/// depth grow with n) and, in `.paper`, 32 numbers of 3 digits, the largest addition it trains.
/// Chosen here: the token spelling, the most-significant-first fixed-width answer, uniform numbers
/// with leading zeros, and every size. The defaults (`.small`: 4 two-digit numbers, 12 input and
/// 3 answer tokens, 4 000 training items) are for a d 64–128 model of 1–8 layers on a CPU.
///
/// Files: `train.json` holds the training items, typed `addition_n{numbers}_d{digits}_train`;
/// `test.json` the test items (`…_test`) and a sample of `trainSampleInTest` training items
/// (`…_train`); `test_small.json` and `valid.json` the first `smallTestPerType` of each test type.
public struct AdditionGenerator: DatasetGenerator {
    public static let name = "addition"

    public struct Parameters: Codable, Equatable, Sendable {
        /// n: how many numbers are added (at least 2).
        public var numbers: Int
        /// d: digits per number (1…18).
        public var digits: Int
        public var trainSize: Int
        public var testSize: Int
        /// Training items repeated in `test.json`, to measure accuracy on what was trained.
        public var trainSampleInTest: Int
        /// Items of each type in `test_small.json` and `valid.json`.
        public var smallTestPerType: Int
        public var seed: UInt64

        public init(numbers: Int = 4, digits: Int = 2, trainSize: Int = 4_000, testSize: Int = 500,
                    trainSampleInTest: Int = 200, smallTestPerType: Int = 10, seed: UInt64 = 0) {
            self.numbers = numbers
            self.digits = digits
            self.trainSize = trainSize
            self.testSize = testSize
            self.trainSampleInTest = trainSampleInTest
            self.smallTestPerType = smallTestPerType
            self.seed = seed
        }

        /// The defaults: 4 two-digit numbers, 4 000 training and 500 test items.
        public static let small = Parameters()

        /// The paper's largest setting, 32 numbers of 3 digits (128 input tokens, 5 answer tokens);
        /// the sizes are chosen here.
        public static let paper = Parameters(numbers: 32, digits: 3, trainSize: 100_000, testSize: 1_000, trainSampleInTest: 1_000)

        private enum CodingKeys: String, CodingKey {
            case numbers, digits, seed
            case trainSize = "train_size", testSize = "test_size"
            case trainSampleInTest = "train_sample_in_test", smallTestPerType = "small_test_per_type"
        }

        /// Missing keys take their defaults.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Parameters()
            numbers = try c.decodeIfPresent(Int.self, forKey: .numbers) ?? d.numbers
            digits = try c.decodeIfPresent(Int.self, forKey: .digits) ?? d.digits
            trainSize = try c.decodeIfPresent(Int.self, forKey: .trainSize) ?? d.trainSize
            testSize = try c.decodeIfPresent(Int.self, forKey: .testSize) ?? d.testSize
            trainSampleInTest = try c.decodeIfPresent(Int.self, forKey: .trainSampleInTest) ?? d.trainSampleInTest
            smallTestPerType = try c.decodeIfPresent(Int.self, forKey: .smallTestPerType) ?? d.smallTestPerType
            seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        }

        /// `10^digits`, the count of d-digit numbers (leading zeros allowed).
        var numberRange: Int { (0..<digits).reduce(1) { r, _ in r * 10 } }

        /// The test types' common stem, naming the task and its difficulty.
        public var typeStem: String { "addition_n\(numbers)_d\(digits)" }

        func validate() throws {
            try requireParameter(numbers >= 2, "numbers", "must be at least 2 (got \(numbers))")
            try requireParameter(digits >= 1 && digits <= 18, "digits", "must be between 1 and 18 (got \(digits))")
            let (largest, overflow) = numbers.multipliedReportingOverflow(by: numberRange - 1)
            try requireParameter(!overflow && largest < Int.max / 10, "numbers",
                                 "\(numbers) numbers of \(digits) digits have a sum too large for 64-bit integers")
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

    /// The tokens after `<pad>`: the digits `<0>`…`<9>`, `<+>`, `<=>`, then the special tokens.
    public static var vocabulary: Vocabulary {
        ReasoningTokens.vocabulary((0...9).map(ReasoningTokens.number) + [ReasoningTokens.plus, ReasoningTokens.equals])
    }

    public func generate() throws -> GeneratedDataset {
        let p = parameters
        try p.validate()
        let count = p.trainSize + p.testSize
        // 10^(n·d) inputs exist; nil when that overflows (then there are certainly enough).
        var space: Int? = 1
        for _ in 0..<(p.numbers * p.digits) {
            if let s = space {
                let (product, overflow) = s.multipliedReportingOverflow(by: 10)
                space = overflow ? nil : product
            }
        }
        if let space, space < count {
            throw KnowledgeGraphError.notEnoughFacts(
                what: "inputs of \(p.numbers) \(p.digits)-digit numbers (train + test)", requested: count,
                available: "\(space) (10^\(p.numbers * p.digits))")
        }

        let vocabulary = Self.vocabulary
        let ids = TokenIDs(vocabulary)
        let width = String(p.numbers * (p.numberRange - 1)).count
        func example(_ operands: [Int], type: String) -> Example {
            var input: [Int32] = []
            input.reserveCapacity(p.numbers * (p.digits + 1))
            for (k, value) in operands.enumerated() {
                if k > 0 { input.append(ids.plus) }
                input += Self.digits(of: value, width: p.digits).map { ids.digit[$0] }
            }
            input.append(ids.equals)
            let answer = Self.digits(of: operands.reduce(0, +), width: width).map { ids.digit[$0] }
            return Example(inputIDs: input, answer: answer, type: type)
        }

        var rng = SeededGenerator(seed: p.seed)
        let trainType = p.typeStem + "_train", testType = p.typeStem + "_test"
        var drawn: [Example]
        if let space, space <= 4 * count {
            // Few inputs exist: draw distinct input numbers and spell each as n numbers of d digits.
            drawn = rng.sample(count, from: space).map { code in
                var rest = code
                var operands = [Int](repeating: 0, count: p.numbers)
                for k in stride(from: p.numbers - 1, through: 0, by: -1) {
                    operands[k] = rest % p.numberRange
                    rest /= p.numberRange
                }
                return example(operands, type: trainType)
            }
        } else {
            var draws = DistinctDraws()
            drawn = try draws.draw(count, what: "addition inputs", maxDraws: DistinctDraws.budget(for: count), rng: &rng) { rng in
                example((0..<p.numbers).map { _ in rng.uniform(below: p.numberRange) }, type: trainType)
            }
        }
        let train = Array(drawn[0..<p.trainSize])
        var test = Example.retyped(drawn[p.trainSize...], as: testType)
        test += rng.sample(min(p.trainSampleInTest, train.count), from: train)
        return GeneratedDataset.assembled(manifest: DatasetManifest(parameters: .addition(p)), vocabulary: vocabulary,
                                          train: train, test: test, smallTestPerType: p.smallTestPerType)
    }

    /// `value`'s decimal digits, most significant first, zero-padded to `width`.
    static func digits(of value: Int, width: Int) -> [Int] {
        var out = [Int](repeating: 0, count: width)
        var rest = value
        for k in stride(from: width - 1, through: 0, by: -1) {
            out[k] = rest % 10
            rest /= 10
        }
        return out
    }

    /// The answer tokens an addition input asks for, computed from the input alone (column by
    /// column, so any number of digits works): the sum's digits, most significant first, padded to
    /// the width of the largest sum of that many numbers of that many digits. Nil when the input is
    /// not `d` digits `(<+> d digits)*` `<=>` with every number of the same length.
    public static func answer(to input: [String]) -> [String]? {
        guard input.last == ReasoningTokens.equals else { return nil }
        var operands: [[Int]] = [[]]
        for token in input.dropLast() {
            if token == ReasoningTokens.plus {
                operands.append([])
            } else if let digit = ReasoningTokens.value(of: token), digit <= 9 {
                operands[operands.count - 1].append(digit)
            } else {
                return nil
            }
        }
        let length = operands[0].count
        guard length > 0, operands.allSatisfy({ $0.count == length }) else { return nil }
        let sum = columnSum(operands)
        let width = columnSum(operands.map { $0.map { _ in 9 } }).count
        return ([Int](repeating: 0, count: width - sum.count) + sum).map(ReasoningTokens.number)
    }

    /// The sum of equal-length digit lists (most significant first), without leading zeros.
    private static func columnSum(_ operands: [[Int]]) -> [Int] {
        var reversed: [Int] = []
        var carry = 0
        for column in stride(from: operands[0].count - 1, through: 0, by: -1) {
            let total = carry + operands.reduce(0) { $0 + $1[column] }
            reversed.append(total % 10)
            carry = total / 10
        }
        while carry > 0 {
            reversed.append(carry % 10)
            carry /= 10
        }
        while reversed.count > 1 && reversed.last == 0 { reversed.removeLast() }
        return reversed.reversed()
    }

    /// The ids of the tokens an item is spelled with.
    private struct TokenIDs {
        let digit: [Int32]
        let plus: Int32
        let equals: Int32

        init(_ vocabulary: Vocabulary) {
            digit = (0...9).map { vocabulary.id(ReasoningTokens.number($0))! }
            plus = vocabulary.id(ReasoningTokens.plus)!
            equals = vocabulary.id(ReasoningTokens.equals)!
        }
    }
}
