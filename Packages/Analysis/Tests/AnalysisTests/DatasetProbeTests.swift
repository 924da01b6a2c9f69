import Foundation
import XCTest
import KnowledgeGraph
import TensorKit
import RecurrentDepth
import Analysis
import FixtureSupport

/// Probes on a generated dataset and a checkpoint folder, the way the `loop` app runs them.
final class DatasetProbeTests: XCTestCase {
    func testProbesReadTheDatasetsTestTypesAndCheckpointFolders() throws {
        let root = temporaryFolder()
        let parameters = DepthExtrapolationGenerator.Parameters(entities: 12, relations: 3, minHops: 2, maxHops: 3, trainChainsPerHop: 40,
                                                                testChainsPerHop: 10, atomicSampleInTest: 36, trainSampleInTest: 10,
                                                                smallTestPerType: 2, seed: 5)
        _ = try DepthExtrapolationGenerator(parameters: parameters).write(to: root.appendingPathComponent("data"))
        let dataset = try Dataset.load(from: root.appendingPathComponent("data"))
        var generator = RandomGenerator(seed: 1)
        let model = try RecurrentGPT2(config: ModelConfig(vocabSize: dataset.vocabulary.count, embeddingSize: 16, layers: 2, heads: 2,
                                                          positions: 8, recurrence: 2), generator: &generator)
        let checkpoint = root.appendingPathComponent("checkpoint")
        try Checkpoint.write(model, to: checkpoint)
        let context = ProbeContext(models: [ProbeModel(name: "fresh", folder: checkpoint)], dataset: dataset,
                                   options: ProbeOptions(batchSize: 7, maxIterations: 3))

        let margin = try ProbeRegistry.builtIn.make("logit-margin:splits=3hop_test,2hop_test").run(context)
        let result = try JSONDecoder().decode(LogitMarginProbe.Result.self, from: margin.json)
        XCTAssertEqual(result.models["fresh"]?.splits["2hop_test"]?.count, 10)
        XCTAssertEqual(result.models["fresh"]?.splits["3hop_test"]?.margin.count, 3)
        XCTAssertEqual(result.models["fresh"]?.predictionPosition, .lastToken)

        let lens = try LogitLensProbe(splits: ["2hop_test"], iterations: 2).run(context)
        let lensResult = try JSONDecoder().decode(LogitLensProbe.Result.self, from: lens.json)
        XCTAssertEqual(lensResult.models["fresh"]?.splits["2hop_test"]?.targetRank.count, 2)

        XCTAssertThrowsError(try LogitMarginProbe(splits: ["test_inferred_ood"]).run(context)) { error in
            guard case let .unknownSplit(split, source, available)? = error as? AnalysisError else { return XCTFail("\(error)") }
            XCTAssertEqual(split, "test_inferred_ood")
            XCTAssertTrue(source.hasPrefix("test.json of "), source)
            XCTAssertTrue(available.contains("2hop_test") && available.contains("3hop_test"), "\(available)")
        }
        var noData = context
        noData.dataset = nil
        XCTAssertThrowsError(try LogitMarginProbe().run(noData)) { error in
            XCTAssertEqual(error as? AnalysisError, .missingInput("a dataset (or examples) to evaluate", probe: "logit-margin"))
        }
    }
}
