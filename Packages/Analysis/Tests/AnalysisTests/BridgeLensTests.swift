import Foundation
import XCTest
import KnowledgeGraph
import TensorKit
import RecurrentDepth
import Analysis
import FixtureSupport

/// The bridge lens: chains resolved through the atomic facts, and the lens aimed at each entity.
final class BridgeLensTests: XCTestCase {
    func testChainsResolveThroughTheAtomicFactsOrNotAtAll() {
        // e1 -r1-> e2 -r2-> e3; token ids: entities 1...3, relations 11...13.
        let facts = BridgeLensProbe.atomicFacts(Split(name: "train", examples: [
            Example(inputIDs: [1, 11], label: 2, type: "atomic"),
            Example(inputIDs: [2, 12], label: 3, type: "atomic"),
            Example(inputIDs: [1, 11, 12], label: 3, type: "2hop_train"),   // not a fact: two hops
        ]))
        XCTAssertEqual(facts.count, 2)
        XCTAssertEqual(BridgeLensProbe.chain(of: Example(inputIDs: [1, 11, 12], label: 3, type: nil), facts: facts), [2, 3])
        XCTAssertNil(BridgeLensProbe.chain(of: Example(inputIDs: [1, 13, 12], label: 3, type: nil), facts: facts), "no fact (e1, r3)")
        XCTAssertNil(BridgeLensProbe.chain(of: Example(inputIDs: [1, 11, 12], label: 2, type: nil), facts: facts), "the chain ends at e3, not the answer given")
        XCTAssertNil(BridgeLensProbe.chain(of: Example(inputIDs: [2, 11], label: 3, type: nil), facts: facts), "no fact (e2, r1)")
    }

    /// A generated permutation-graph dataset and an untrained model for it, in a context.
    func context(batchSize: Int, iterations: Int) throws -> ProbeContext {
        let data = try dataset(temporaryFolder())
        var generator = RandomGenerator(seed: 3)
        let model = try RecurrentGPT2(config: ModelConfig(vocabSize: data.vocabulary.count, embeddingSize: 16, layers: 2, heads: 2,
                                                          positions: 8, recurrence: 2), generator: &generator)
        return ProbeContext(models: [ProbeModel(name: "fresh", model: model)], dataset: data,
                            options: ProbeOptions(batchSize: batchSize, maxIterations: iterations))
    }

    func dataset(_ root: URL) throws -> Dataset {
        let parameters = DepthExtrapolationGenerator.Parameters(entities: 12, relations: 3, minHops: 2, maxHops: 3, trainChainsPerHop: 40,
                                                                testChainsPerHop: 10, atomicSampleInTest: 36, trainSampleInTest: 10,
                                                                smallTestPerType: 2, seed: 5)
        _ = try DepthExtrapolationGenerator(parameters: parameters).write(to: root.appendingPathComponent("data"))
        return try Dataset.load(from: root.appendingPathComponent("data"))
    }

    /// Each entity's lens equals the logit lens of the same questions with that entity as the
    /// target, the entities found here from the files' text, independently of the probe.
    func testTheLensIsAimedAtEachEntityOfTheChain() throws {
        let context = try context(batchSize: 4, iterations: 3)
        let data = try XCTUnwrap(context.dataset)
        let output = try ProbeRegistry.builtIn.make("bridge-lens").run(context)
        let result = try JSONDecoder().decode(BridgeLensProbe.Result.self, from: output.json)
        XCTAssertEqual(result.splitOrder, ["2hop_test", "2hop_train", "3hop_test", "3hop_train"], "every type of two or more hops, not the atomic ones")

        var facts: [[Int32]: Int32] = [:]
        for example in try data.split("train").examples where example.inputIDs.count == 2 { facts[example.inputIDs] = example.label }
        for (type, hops) in [("2hop_test", 2), ("3hop_test", 3)] {
            let chains = try XCTUnwrap(result.models["fresh"]?.splits[type])
            XCTAssertEqual(chains.hops, hops)
            XCTAssertEqual(chains.count, 10)
            XCTAssertEqual(chains.unresolved, 0, "the generator's train file holds every atomic fact")
            XCTAssertEqual(chains.entities.count, hops)
            let questions = try data.split("test").selecting(types: [type]).examples
            for j in 0..<hops {
                let aimed = Split(name: type, examples: questions.map { q in
                    var e = q, entity = q.inputIDs[0]
                    for relation in q.inputIDs[1...(j + 1)] { entity = facts[[entity, relation]]! }
                    e.label = entity
                    return e
                })
                let reference = ProbeContext(models: context.models, examples: aimed, options: context.options)
                let lens = try JSONDecoder().decode(LogitLensProbe.Result.self, from: LogitLensProbe(iterations: 3).run(reference).json)
                let expected = try XCTUnwrap(lens.models["fresh"]?.splits[type])
                XCTAssertEqual(chains.entities[j], expected, "\(type), entity after hop \(j + 1)")
            }
            XCTAssertNotEqual(chains.entities[0].targetProbability, chains.entities[hops - 1].targetProbability,
                              "the bridge and the answer are different targets")
        }
        XCTAssertEqual(output.figures.map(\.name), ["bridge-lens-probability", "bridge-lens-rank"])
        let svg = try ParsedSVG(output.figures[0].svg)
        XCTAssertEqual(svg.elements(class: "series").count, 10, "2 lines for each 2-hop panel, 3 for each 3-hop one")
    }

    /// Read at the first relation, a 2-hop question's bridge is exactly its own atomic fact: the
    /// causal prefix `e r1` answered at its last token.
    func testTheBridgeReadAtItsRelationIsTheAtomicFactsAnswer() throws {
        let context = try context(batchSize: 4, iterations: 3)
        let data = try XCTUnwrap(context.dataset)
        let output = try ProbeRegistry.builtIn.make("bridge-lens:splits=2hop_test,at=relation").run(context)
        let result = try JSONDecoder().decode(BridgeLensProbe.Result.self, from: output.json)
        XCTAssertEqual(result.at, .relation)
        let bridge = try XCTUnwrap(result.models["fresh"]?.splits["2hop_test"]?.entities[0])

        var facts: [[Int32]: Int32] = [:]
        for example in try data.split("train").examples where example.inputIDs.count == 2 { facts[example.inputIDs] = example.label }
        let prefixes = Split(name: "2hop_test", examples: try data.split("test").selecting(types: ["2hop_test"]).examples.map { q in
            Example(inputIDs: Array(q.inputIDs.prefix(2)), label: facts[Array(q.inputIDs.prefix(2))]!, type: "2hop_test")
        })
        let lens = try JSONDecoder().decode(LogitLensProbe.Result.self,
                                            from: LogitLensProbe(iterations: 3).run(ProbeContext(models: context.models, examples: prefixes,
                                                                                                 options: context.options)).json)
        let expected = try XCTUnwrap(lens.models["fresh"]?.splits["2hop_test"])
        XCTAssertEqual(bridge.count, expected.count)
        for t in 0..<3 {
            for l in 0..<2 {
                XCTAssertEqual(bridge.targetProbability[t][l], expected.targetProbability[t][l], accuracy: 1e-5)
                XCTAssertEqual(bridge.targetRank[t][l], expected.targetRank[t][l], accuracy: 1e-9)
            }
        }
        let atAnswer = try JSONDecoder().decode(BridgeLensProbe.Result.self,
                                                from: BridgeLensProbe(splits: ["2hop_test"]).run(context).json)
        XCTAssertNotEqual(atAnswer.models["fresh"]?.splits["2hop_test"]?.entities[0].targetProbability, bridge.targetProbability,
                          "read at the answer's position, the bridge is a different measurement")
    }

    func testBadInputsAreRefusedWithWhatIsMissing() throws {
        var context = try context(batchSize: 256, iterations: 2)
        XCTAssertThrowsError(try BridgeLensProbe(splits: ["atomic_facts"]).run(context)) { error in
            guard case let .invalidParameter(name, _, value, _)? = error as? AnalysisError else { return XCTFail("\(error)") }
            XCTAssertEqual([name, value], ["splits", "atomic_facts"])
        }
        XCTAssertThrowsError(try BridgeLensProbe(factsFile: "nonexistent").run(context)) { error in
            XCTAssertTrue("\(error)".contains("nonexistent"), "\(error)")
        }
        context.dataset = nil
        XCTAssertThrowsError(try BridgeLensProbe().run(context)) { error in
            XCTAssertEqual(error as? AnalysisError, .missingInput("a dataset whose train file holds the atomic facts", probe: "bridge-lens"))
        }
    }
}
