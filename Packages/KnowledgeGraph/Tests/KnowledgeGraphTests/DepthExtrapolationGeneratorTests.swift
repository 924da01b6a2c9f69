import Foundation
import XCTest
import KnowledgeGraph

final class DepthExtrapolationGeneratorTests: XCTestCase {
    static let parameters = DepthExtrapolationGenerator.Parameters(
        entities: 30, relations: 5, outDegree: 5, minHops: 2, maxHops: 6, trainChainsPerHop: 300, testChainsPerHop: 60,
        atomicSampleInTest: 40, trainSampleInTest: 25, smallTestPerType: 3, seed: 11)

    func entity(_ id: Int32, _ p: DepthExtrapolationGenerator.Parameters) -> Int { Int(id) - 1 }
    func relation(_ id: Int32, _ p: DepthExtrapolationGenerator.Parameters) -> Int { Int(id) - 1 - p.entities }

    /// Follows an example's relations through the graph and returns the answer entity.
    func follow(_ example: Example, _ graph: DepthExtrapolationGenerator.Graph, _ p: DepthExtrapolationGenerator.Parameters) -> Int {
        var current = entity(example.inputIDs[0], p)
        for id in example.inputIDs.dropFirst() {
            let r = relation(id, p)
            XCTAssertTrue(graph.relationsOf[current].contains(r), "a chain uses a relation its entity does not have")
            current = graph.relation[r][current]
        }
        return current
    }

    func testEveryRelationIsAPermutation() throws {
        let graph = try DepthExtrapolationGenerator(parameters: Self.parameters).graph()
        XCTAssertEqual(graph.relation.count, 5)
        for r in graph.relation { XCTAssertEqual(r.sorted(), Array(0..<30)) }
        XCTAssertTrue(graph.relationsOf.allSatisfy { $0 == Array(0..<5) })
    }

    func testAnswersFollowTheGraphAndTypesAndHopsAreRight() throws {
        let p = Self.parameters
        let generator = DepthExtrapolationGenerator(parameters: p)
        let graph = try generator.graph()
        let data = try generator.generate()
        for split in [data.train, data.test, data.testSmall, data.valid] {
            for example in split.examples {
                XCTAssertEqual(entity(example.label, p), follow(example, graph, p))
                let type = example.type!
                if example.hops == 1 {
                    XCTAssertTrue(type == "atomic" || type == "atomic_facts", type)
                } else {
                    XCTAssertTrue(type == "\(example.hops)hop_train" || type == "\(example.hops)hop_test", "\(type) on \(example.hops) hops")
                }
            }
        }
        XCTAssertEqual(data.train.types, ["atomic"] + (2...6).map { "\($0)hop_train" })
        XCTAssertEqual(data.train.selecting(types: ["atomic"]).count, 30 * 5)
        for k in 2...6 {
            XCTAssertEqual(data.train.selecting(types: ["\(k)hop_train"]).count, 300)
            XCTAssertEqual(data.test.selecting(types: ["\(k)hop_test"]).count, 60)
            XCTAssertEqual(data.test.selecting(types: ["\(k)hop_train"]).count, 25)
        }
        XCTAssertEqual(data.test.selecting(types: ["atomic_facts"]).count, 40)
        XCTAssertEqual(Set(data.test.types).count, 1 + 2 * 5)
        // test_small and valid: the first 3 of each test type.
        XCTAssertEqual(data.testSmall.count, 3 * 11)
        XCTAssertEqual(data.valid.examples, data.testSmall.examples)
    }

    func testChainsAreUniqueAndNoTestChainIsTrained() throws {
        let data = try DepthExtrapolationGenerator(parameters: Self.parameters).generate()
        let trainInputs = data.train.examples.map(\.inputIDs)
        XCTAssertEqual(Set(trainInputs).count, trainInputs.count, "training chains repeat")
        let testChains = data.test.examples.filter { $0.type!.hasSuffix("hop_test") }.map(\.inputIDs)
        XCTAssertEqual(Set(testChains).count, testChains.count, "test chains repeat")
        XCTAssertTrue(Set(trainInputs).isDisjoint(with: testChains), "a test chain is in train.json")
        // The train samples in test.json are training chains.
        let sampled = data.test.examples.filter { $0.type!.hasSuffix("hop_train") || $0.type == "atomic_facts" }.map(\.inputIDs)
        XCTAssertTrue(Set(sampled).isSubset(of: Set(trainInputs)))
    }

    func testSmallOutDegreeUsesOnlyEachEntitysRelations() throws {
        let p = DepthExtrapolationGenerator.Parameters(entities: 20, relations: 6, outDegree: 2, minHops: 2, maxHops: 3,
                                                       trainChainsPerHop: 50, testChainsPerHop: 10, seed: 4)
        let generator = DepthExtrapolationGenerator(parameters: p)
        let graph = try generator.graph()
        XCTAssertTrue(graph.relationsOf.allSatisfy { $0.count == 2 && Set($0).count == 2 && $0 == $0.sorted() })
        XCTAssertTrue(graph.relation.allSatisfy { $0.sorted() == Array(0..<20) })
        let data = try generator.generate()
        XCTAssertEqual(data.train.selecting(types: ["atomic"]).count, 40)
        for example in data.train.examples + data.test.examples {
            XCTAssertEqual(entity(example.label, p), follow(example, graph, p))
        }
    }

    func testNearlyAllChainsCanBeDrawn() throws {
        // 8 × 3² = 72 two-hop chains; ask for all 72.
        let p = DepthExtrapolationGenerator.Parameters(entities: 8, relations: 3, minHops: 2, maxHops: 2,
                                                       trainChainsPerHop: 60, testChainsPerHop: 12, seed: 1)
        let data = try DepthExtrapolationGenerator(parameters: p).generate()
        let chains = data.train.selecting(hops: 2).examples.map(\.inputIDs) + data.test.selecting(types: ["2hop_test"]).examples.map(\.inputIDs)
        XCTAssertEqual(Set(chains).count, 72)
    }

    func testSeedDeterminesTheDatasetAndTheManifestRegeneratesIt() throws {
        let a = try DepthExtrapolationGenerator(parameters: Self.parameters).generate()
        let b = try DepthExtrapolationGenerator(parameters: Self.parameters).generate()
        XCTAssertEqual(a.train.examples, b.train.examples)
        XCTAssertEqual(a.test.examples, b.test.examples)
        var other = Self.parameters
        other.seed = 12
        XCTAssertNotEqual(try DepthExtrapolationGenerator(parameters: other).generate().train.examples, a.train.examples)

        let dir = try temporaryDirectory(self)
        try a.write(to: dir)
        let manifest = try XCTUnwrap(try Dataset.load(from: dir).manifest)
        XCTAssertEqual(manifest.generator, "depth-extrapolation")
        XCTAssertEqual(manifest.seed, 11)
        XCTAssertEqual(manifest.version, KnowledgeGraphVersion.current)
        XCTAssertEqual(manifest.parameters, .depthExtrapolation(Self.parameters))
        XCTAssertEqual(try manifest.regenerate().test.examples, a.test.examples)
        let json = try String(contentsOf: dir.appendingPathComponent("dataset.json"), encoding: .utf8)
        XCTAssertTrue(json.contains("\"train_chains_per_hop\" : 300"), json)
    }

    func testParametersDecodeWithDefaultsForMissingKeys() throws {
        let p = try JSONDecoder().decode(DepthExtrapolationGenerator.Parameters.self, from: Data(#"{"entities": 40, "relations": 6}"#.utf8))
        XCTAssertEqual(p, DepthExtrapolationGenerator.Parameters(entities: 40, relations: 6))
        XCTAssertEqual(p.outDegree, 6)
        XCTAssertEqual(p.maxHops, 40)
        XCTAssertEqual(DepthExtrapolationGenerator.Parameters.reference.trainChainsPerHop, 15_000)
    }

    func testSmallPresetGenerates() throws {
        let data = try DepthExtrapolationGenerator(parameters: .small).generate()
        XCTAssertEqual(data.train.count, 40 * 6 + 2 * 1_250)
        XCTAssertEqual(data.test.selecting(types: ["3hop_test"]).count, 150)
    }
}
