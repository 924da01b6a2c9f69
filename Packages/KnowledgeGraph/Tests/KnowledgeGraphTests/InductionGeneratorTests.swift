import Foundation
import XCTest
import KnowledgeGraph

final class InductionGeneratorTests: XCTestCase {
    static let parameters = InductionGenerator.Parameters(alphabet: 4, length: 24, hops: 5, trainSize: 500, testSize: 120,
                                                          trainSampleInTest: 30, smallTestPerType: 3, seed: 7)

    /// Re-walks the chain with its own index arithmetic: the positions visited, nil if a hop has
    /// nowhere to go.
    func chain(_ sequence: [Int32], hops: Int) -> [Int]? {
        var visited = [sequence.count - 1]
        for _ in 0..<hops {
            let here = visited.last!
            guard let previous = sequence[..<here].lastIndex(of: sequence[here]) else { return nil }
            visited.append(previous + 1)
        }
        return visited
    }

    func testEveryItemHasItsChainOfHopsAndItsAnswerIsWhereTheChainEnds() throws {
        let p = Self.parameters
        let data = try InductionGenerator(parameters: p).generate()
        for split in [data.train, data.test, data.valid, data.testSmall] {
            for example in split.examples {
                let s = example.inputIDs
                XCTAssertEqual(s.count, 24)
                XCTAssertTrue(zip(s, s.dropFirst()).allSatisfy { $0 != $1 }, "a symbol next to itself")
                let visited = try XCTUnwrap(chain(s, hops: 5), "the 5-hop chain does not exist")
                XCTAssertEqual(visited.count, 6)
                XCTAssertTrue(zip(visited, visited.dropFirst()).allSatisfy { $0 > $1 }, "a hop that does not move left: \(visited)")
                XCTAssertEqual(example.answer, [s[visited.last!]])
                XCTAssertTrue(example.type!.hasPrefix("induction_p5_"))
            }
        }
        // Every symbol appears, and answers are not all one symbol.
        XCTAssertEqual(Set(data.train.examples.flatMap(\.inputIDs)).count, 4)
        XCTAssertGreaterThan(Set(data.train.examples.map(\.label)).count, 2)
    }

    func testTrainAndTestAreDistinctAndDisjoint() throws {
        let data = try InductionGenerator(parameters: Self.parameters).generate()
        XCTAssertEqual(data.train.types, ["induction_p5_train"])
        let train = data.train.examples.map(\.inputIDs)
        XCTAssertEqual(Set(train).count, 500)
        let test = data.test.selecting(types: ["induction_p5_test"]).examples.map(\.inputIDs)
        XCTAssertEqual(Set(test).count, 120)
        XCTAssertTrue(Set(train).isDisjoint(with: test))
        XCTAssertEqual(data.test.selecting(types: ["induction_p5_train"]).count, 30)
        XCTAssertEqual(data.testSmall.count, 6)
    }

    func testSameSeedSameDatasetOtherSeedAnother() throws {
        let a = try InductionGenerator(parameters: Self.parameters).generate()
        XCTAssertEqual(a.test.examples, try InductionGenerator(parameters: Self.parameters).generate().test.examples)
        var other = Self.parameters
        other.seed = 8
        XCTAssertNotEqual(a.train.examples, try InductionGenerator(parameters: other).generate().train.examples)
    }

    func testWriteThenLoadRoundTripsAndRegenerates() throws {
        let dir = try temporaryDirectory(self)
        let generated = try InductionGenerator(parameters: Self.parameters).write(to: dir)
        let dataset = try Dataset.load(from: dir)
        XCTAssertEqual(dataset.vocabulary.tokens.prefix(5), ["<pad>", "<s_0>", "<s_1>", "<s_2>", "<s_3>"])
        XCTAssertNotNil(dataset.vocabulary.id("</a>"))
        for name in Dataset.splitNames {
            XCTAssertEqual(try dataset.split(name).examples, try generated.split(name).examples, name)
        }
        let manifest = try XCTUnwrap(dataset.manifest)
        XCTAssertEqual(manifest.parameters, .induction(Self.parameters))
        XCTAssertEqual(try manifest.regenerate().test.examples, generated.test.examples)
    }

    func testThePaperSettingGenerates() throws {
        var p = InductionGenerator.Parameters.paper
        (p.trainSize, p.testSize, p.trainSampleInTest) = (50, 10, 5)
        let data = try InductionGenerator(parameters: p).generate()
        for example in data.train.examples {
            XCTAssertEqual(example.inputIDs.count, 256)
            XCTAssertNotNil(chain(example.inputIDs, hops: 32))
        }
    }

    func testBadParametersAreNamedErrors() {
        func generating(_ change: (inout InductionGenerator.Parameters) -> Void) -> () throws -> GeneratedDataset {
            var p = Self.parameters
            change(&p)
            return { try InductionGenerator(parameters: p).generate() }
        }
        assertThrows(nil, mentioning: ["alphabet", "got 2"], generating { $0.alphabet = 2 })
        assertThrows(nil, mentioning: ["hops", "got 0"], generating { $0.hops = 0 })
        assertThrows(nil, mentioning: ["length", "hops + 2 = 7"], generating { $0.length = 6 })
        assertThrows(nil, mentioning: ["train_size"], generating { $0.trainSize = 0 })
        // 3 × 2 × 2 = 12 sequences of 3 tokens exist.
        assertThrows(nil, mentioning: ["20", "at most 12"], generating { ($0.alphabet, $0.length, $0.hops, $0.trainSize, $0.testSize) = (3, 3, 1, 15, 5) })
        // 24 sequences of 4 tokens exist, but only 6 have a 2-hop chain (they alternate two symbols).
        assertThrows(nil, mentioning: ["10", "distinct were found"],
                     generating { ($0.alphabet, $0.length, $0.hops, $0.trainSize, $0.testSize) = (3, 4, 2, 8, 2) })
    }

    func testSolverWalksTheChain() {
        let input = ["<s_2>", "<s_3>", "<s_1>", "<s_3>", "<s_0>", "<s_2>", "<s_1>", "<s_0>"]
        XCTAssertEqual(InductionGenerator.answer(to: input, hops: 1), ["<s_2>"])
        XCTAssertEqual(InductionGenerator.answer(to: input, hops: 2), ["<s_3>"])
        XCTAssertNil(InductionGenerator.answer(to: input, hops: 4), "the chain runs off the start")
        XCTAssertNil(InductionGenerator.answer(to: [], hops: 1))
    }
}
