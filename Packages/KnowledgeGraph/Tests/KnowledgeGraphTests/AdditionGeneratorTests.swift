import Foundation
import XCTest
import KnowledgeGraph

final class AdditionGeneratorTests: XCTestCase {
    static let parameters = AdditionGenerator.Parameters(numbers: 3, digits: 2, trainSize: 600, testSize: 150,
                                                         trainSampleInTest: 40, smallTestPerType: 4, seed: 3)

    func tokens(_ ids: [Int32], _ vocabulary: Vocabulary) -> [String] { ids.map { vocabulary.tokens[Int($0)] } }

    /// Reads `<d>` as the digit d, failing the test on anything else.
    func digit(_ token: String) -> Int {
        let inner = token.dropFirst().dropLast()
        guard token.hasPrefix("<"), token.hasSuffix(">"), inner.count == 1, let d = Int(inner) else {
            XCTFail("\(token) is not a digit token")
            return -1
        }
        return d
    }

    func testEveryAnswerIsTheSumOfItsInputNumbers() throws {
        let p = Self.parameters
        let data = try AdditionGenerator(parameters: p).generate()
        let v = data.vocabulary
        for split in [data.train, data.test, data.valid, data.testSmall] {
            for example in split.examples {
                let input = tokens(example.inputIDs, v)
                XCTAssertEqual(input.count, 3 * 3, "n × (d + 1) tokens")
                XCTAssertEqual(input.last, "<=>")
                // Parse the numbers with plain Int arithmetic and add them.
                let groups = input.dropLast().split(separator: "<+>", omittingEmptySubsequences: false)
                XCTAssertEqual(groups.count, 3)
                var sum = 0
                for group in groups {
                    XCTAssertEqual(group.count, 2, "every number has d digits")
                    sum += group.reduce(0) { $0 * 10 + digit($1) }
                }
                // Largest sum 3 × 99 = 297: three answer digits, most significant first.
                let answer = tokens(example.answer, v)
                XCTAssertEqual(answer.count, 3)
                XCTAssertEqual(answer.reduce(0) { $0 * 10 + digit($1) }, sum, "\(input.joined())")
            }
        }
    }

    func testTrainAndTestAreDistinctDisjointAndTyped() throws {
        let data = try AdditionGenerator(parameters: Self.parameters).generate()
        XCTAssertEqual(data.train.count, 600)
        XCTAssertEqual(data.train.types, ["addition_n3_d2_train"])
        let trainInputs = data.train.examples.map(\.inputIDs)
        XCTAssertEqual(Set(trainInputs).count, 600, "training inputs repeat")
        let testItems = data.test.selecting(types: ["addition_n3_d2_test"]).examples.map(\.inputIDs)
        XCTAssertEqual(testItems.count, 150)
        XCTAssertEqual(Set(testItems).count, 150)
        XCTAssertTrue(Set(trainInputs).isDisjoint(with: testItems), "a test input is trained on")
        let sampled = data.test.selecting(types: ["addition_n3_d2_train"]).examples.map(\.inputIDs)
        XCTAssertEqual(sampled.count, 40)
        XCTAssertTrue(Set(sampled).isSubset(of: Set(trainInputs)))
        XCTAssertEqual(data.testSmall.count, 2 * 4)
        XCTAssertEqual(data.valid.examples, data.testSmall.examples)
    }

    func testASmallInputSpaceIsSampledWithoutRepeatsUpToItsSize() throws {
        // 2 one-digit numbers: 100 inputs, all of them asked for.
        let p = AdditionGenerator.Parameters(numbers: 2, digits: 1, trainSize: 70, testSize: 30, trainSampleInTest: 0, seed: 1)
        let data = try AdditionGenerator(parameters: p).generate()
        let all = data.train.examples.map(\.inputIDs) + data.test.examples.map(\.inputIDs)
        XCTAssertEqual(Set(all).count, 100)
        var more = p
        more.trainSize = 71
        assertThrows(.notEnoughFacts(what: "inputs of 2 1-digit numbers (train + test)", requested: 101, available: "100 (10^2)")) {
            try AdditionGenerator(parameters: more).generate()
        }
    }

    func testSameSeedSameDatasetOtherSeedAnother() throws {
        let a = try AdditionGenerator(parameters: Self.parameters).generate()
        let b = try AdditionGenerator(parameters: Self.parameters).generate()
        XCTAssertEqual(a.train.examples, b.train.examples)
        XCTAssertEqual(a.test.examples, b.test.examples)
        var other = Self.parameters
        other.seed = 4
        let c = try AdditionGenerator(parameters: other).generate()
        XCTAssertNotEqual(a.train.examples, c.train.examples)
    }

    func testWriteThenLoadRoundTripsAndRegenerates() throws {
        let dir = try temporaryDirectory(self)
        let generated = try AdditionGenerator(parameters: Self.parameters).write(to: dir)
        let dataset = try Dataset.load(from: dir)
        XCTAssertEqual(dataset.vocabulary, generated.vocabulary)
        XCTAssertEqual(dataset.vocabulary.tokens.first, "<pad>")
        XCTAssertNotNil(dataset.vocabulary.id("</a>"))
        for name in Dataset.splitNames {
            XCTAssertEqual(try dataset.split(name).examples, try generated.split(name).examples, name)
        }
        let manifest = try XCTUnwrap(dataset.manifest)
        XCTAssertEqual(manifest.generator, "addition")
        XCTAssertEqual(manifest.seed, 3)
        XCTAssertEqual(manifest.parameters, .addition(Self.parameters))
        XCTAssertEqual(try manifest.regenerate().train.examples, generated.train.examples)
        // The target spells input, answer, </a>.
        let text = try String(contentsOf: dir.appendingPathComponent("test.json"), encoding: .utf8)
        XCTAssertTrue(text.contains("<=><"), text.prefix(200).description)
    }

    func testAHandWrittenManifestTakesDefaultsForMissingKeys() throws {
        let json = #"{"generator": "addition", "seed": 9, "parameters": {"numbers": 5, "seed": 9}}"#
        let manifest = try JSONDecoder().decode(DatasetManifest.self, from: Data(json.utf8))
        XCTAssertEqual(manifest.parameters, .addition(AdditionGenerator.Parameters(numbers: 5, seed: 9)))
    }

    func testBadParametersAreNamedErrors() {
        func generating(_ change: (inout AdditionGenerator.Parameters) -> Void) -> () throws -> GeneratedDataset {
            var p = Self.parameters
            change(&p)
            return { try AdditionGenerator(parameters: p).generate() }
        }
        assertThrows(nil, mentioning: ["numbers", "at least 2"], generating { $0.numbers = 1 })
        assertThrows(nil, mentioning: ["digits", "got 0"], generating { $0.digits = 0 })
        assertThrows(nil, mentioning: ["digits", "got 19"], generating { $0.digits = 19 })
        assertThrows(nil, mentioning: ["train_size"], generating { $0.trainSize = 0 })
        assertThrows(nil, mentioning: ["test_size"], generating { $0.testSize = 0 })
        assertThrows(nil, mentioning: ["small_test_per_type"], generating { $0.smallTestPerType = -1 })
    }

    func testSolverAddsAndRefusesWhatIsNotAnAddition() {
        XCTAssertEqual(AdditionGenerator.answer(to: ["<9>", "<9>", "<+>", "<9>", "<9>", "<=>"]), ["<1>", "<9>", "<8>"])
        XCTAssertEqual(AdditionGenerator.answer(to: ["<0>", "<1>", "<+>", "<0>", "<2>", "<+>", "<0>", "<3>", "<=>"]), ["<0>", "<0>", "<6>"])
        XCTAssertNil(AdditionGenerator.answer(to: ["<1>", "<+>", "<2>"]), "no <=>")
        XCTAssertNil(AdditionGenerator.answer(to: ["<1>", "<+>", "<2>", "<3>", "<=>"]), "numbers of different lengths")
        XCTAssertNil(AdditionGenerator.answer(to: ["<1>", "<+>", "<+>", "<=>"]), "an empty number")
        XCTAssertNil(AdditionGenerator.answer(to: ["<12>", "<+>", "<2>", "<=>"]), "not a digit")
    }

    func testManifestSolverFindsACorruptedAnswer() throws {
        var data = try AdditionGenerator(parameters: Self.parameters).generate()
        let solver = try XCTUnwrap(data.manifest.answerSolver)
        XCTAssertEqual(solver.check(data.train, vocabulary: data.vocabulary).wrong, 0)
        let seven = data.vocabulary.id("<7>")!, eight = data.vocabulary.id("<8>")!
        data.train.examples[5].label = data.train.examples[5].label == seven ? eight : seven
        let result = solver.check(data.train, vocabulary: data.vocabulary)
        XCTAssertEqual(result.wrong, 1)
        XCTAssertEqual(result.first.first?.item, 5)
    }
}
