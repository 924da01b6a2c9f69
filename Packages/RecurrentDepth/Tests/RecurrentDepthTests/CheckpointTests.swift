import Foundation
import XCTest
import TensorKit
import RecurrentDepth
import FixtureSupport

final class CheckpointTests: XCTestCase {
    func testRoundTripKeepsConfigAndEveryWeight() throws {
        let model = try smallModel(positional: .sinusoidal, injection: true)
        let folder = temporaryFolder().appendingPathComponent("ckpt")
        try Checkpoint.write(model, to: folder)
        let loaded = try Checkpoint.readModel(from: folder)
        XCTAssertEqual(loaded.config, model.config)
        XCTAssertEqual(loaded.namedParameters.map(\.0), model.namedParameters.map(\.0))
        for ((_, a), (_, b)) in zip(loaded.namedParameters, model.namedParameters) { XCTAssertEqual(a.scalars, b.scalars) }
        // The config uses the reference's keys.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as! [String: Any]
        for key in ["vocab_size", "n_embd", "n_layer", "n_head", "n_positions", "positional_embedding_type", "input_injection",
                    "recurrence", "layer_norm_epsilon"] { XCTAssertNotNil(json[key], key) }
        XCTAssertEqual(json["positional_embedding_type"] as? String, "sinusoidal")
    }

    func testRewritingReplacesTheFolderWholeAndLeavesNoTemporaries() throws {
        let parent = temporaryFolder()
        let folder = parent.appendingPathComponent("latest")
        try Checkpoint.write(try smallModel(seed: 1), to: folder, extraFiles: ["stale.txt": Data("x".utf8)])
        try Checkpoint.write(try smallModel(seed: 2), to: folder)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("stale.txt").path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent.path), ["latest"])
        XCTAssertEqual(try Checkpoint.readModel(from: folder).tokenEmbedding.scalars, try smallModel(seed: 2).tokenEmbedding.scalars)
    }

    /// Writes a copy of the learned-r3 fixture with `edit` applied to its weights or config.
    func damaged(weights edit: (inout [String: Tensor]) -> Void = { _ in }, config: ((inout [String: Any]) -> Void)? = nil) throws -> URL {
        let source = fixturesRoot.appendingPathComponent("learned-r3")
        let folder = temporaryFolder().appendingPathComponent("ckpt")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let archive = try SafeTensorsArchive(contentsOf: source.appendingPathComponent("model.safetensors"))
        var weights: [String: Tensor] = [:]
        for key in archive.entries.keys { weights[key] = try archive.tensor(key) }
        edit(&weights)
        try SafeTensorsArchive(tensors: weights).write(to: folder.appendingPathComponent("model.safetensors"))
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as! [String: Any]
        config?(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: folder.appendingPathComponent("config.json"))
        return folder
    }

    func assertLoadFails(_ folder: URL, mentioning parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Checkpoint.readModel(from: folder), file: file, line: line) { error in
            let text = "\(error)"
            for part in parts { XCTAssertTrue(text.contains(part), "\"\(text)\" should mention \(part)", file: file, line: line) }
        }
    }

    func testMissingTensor() throws {
        assertLoadFails(try damaged(weights: { $0["blocks.1.mlp.c_fc.bias"] = nil }), mentioning: ["blocks.1.mlp.c_fc.bias", "missing", "model.safetensors"])
    }

    func testWrongShape() throws {
        assertLoadFails(try damaged(weights: { $0["ln_f.weight"] = Tensor.ones([31]) }), mentioning: ["ln_f.weight", "[31]", "[32]"])
    }

    func testConfigThatDisagreesWithTheWeights() throws {
        // Fewer layers than the file holds: the extra block's tensors do not belong.
        assertLoadFails(try damaged(config: { $0["n_layer"] = 1 }), mentioning: ["blocks.1.", "does not belong"])
        // A different vocabulary size.
        assertLoadFails(try damaged(config: { $0["vocab_size"] = 41 }), mentioning: ["token_embedding.weight", "[41, 32]"])
        // No position embedding declared, but one stored.
        assertLoadFails(try damaged(config: { $0["positional_embedding_type"] = "none" }), mentioning: ["position_embedding.weight"])
        // An impossible config.
        assertLoadFails(try damaged(config: { $0["n_head"] = 5 }), mentioning: ["config.json", "n_head (5)"])
        assertLoadFails(try damaged(config: { $0["positional_embedding_type"] = "rotary" }), mentioning: ["config.json", "positional_embedding_type"])
        assertLoadFails(try damaged(config: { $0["n_embd"] = nil }), mentioning: ["config.json", "missing key 'n_embd'"])
    }

    func testTiedHeadIsAcceptedOnlyWhenTied() throws {
        let tied = try damaged(weights: { $0["lm_head.weight"] = $0["token_embedding.weight"] })
        XCTAssertNoThrow(try Checkpoint.readModel(from: tied))
        assertLoadFails(try damaged(weights: { $0["lm_head.weight"] = Tensor(zeros: [40, 32]) }), mentioning: ["lm_head.weight"])
    }

    func testMissingOrDamagedFiles() throws {
        let folder = try damaged()
        let modelFile = folder.appendingPathComponent("model.safetensors")
        var bytes = try Data(contentsOf: modelFile)
        bytes.removeLast(10)
        try bytes.write(to: modelFile)
        assertLoadFails(folder, mentioning: ["model.safetensors"])
        try FileManager.default.removeItem(at: modelFile)
        assertLoadFails(folder, mentioning: ["model.safetensors", "no such file"])
        try Data("{\"n_embd\": ".utf8).write(to: folder.appendingPathComponent("config.json"))
        assertLoadFails(folder, mentioning: ["config.json", "not valid JSON"])
        assertLoadFails(temporaryFolder(), mentioning: ["config.json", "no such file"])
    }
}
