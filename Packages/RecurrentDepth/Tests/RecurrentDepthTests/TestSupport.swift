import Foundation
import XCTest
import TensorKit
import RecurrentDepth

/// The repository's `Fixtures/recurrent-gpt2` (PyTorch outputs copied from the shared fixtures).
let fixturesRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/recurrent-gpt2")

let fixtureCases = ["learned-r3", "nope-inject-r4", "sinusoidal-r2"]

/// One fixture case: the model folder, the batch and the expectations.
struct FixtureCase {
    let name: String
    let folder: URL
    let json: [String: Any]
    let expected: SafeTensorsArchive

    init(_ name: String) throws {
        self.name = name
        folder = fixturesRoot.appendingPathComponent(name)
        json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("case.json"))) as! [String: Any]
        expected = try SafeTensorsArchive(contentsOf: folder.appendingPathComponent("expected.safetensors"))
    }

    var recurrence: Int { json["recurrence"] as! Int }
    var lengths: [Int] { json["input_lengths"] as! [Int] }
    var targets: IDTensor { IDTensor(json["targets"] as! [Int]) }
    var losses: [String: Double] { json["losses"] as! [String: Double] }
    var predictionPosition: PredictionPosition { PredictionPosition(rawValue: json["pred_pos"] as! String)! }

    var input: ModelInput {
        let ids = json["input_ids"] as! [[Int]], mask = json["attention_mask"] as! [[Int]]
        let (b, t) = (ids.count, ids[0].count)
        return ModelInput(ids: IDTensor(shape: [b, t], ids: ids.flatMap { $0 }),
                          mask: Tensor(shape: [b, t], scalars: mask.flatMap { $0.map(Float.init) }),
                          positions: predictionPosition.positions(lengths: lengths, paddedLength: t))
    }
}

func assertClose(_ a: Tensor, _ b: Tensor, rtol: Float, atol: Float = 0, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, "\(what): shapes differ", file: file, line: line)
    let (x, y) = (a.scalars, b.scalars)
    var worst: (Int, Float) = (-1, 0)
    for i in 0..<min(x.count, y.count) {
        let excess = abs(x[i] - y[i]) - (atol + rtol * max(abs(x[i]), abs(y[i])))
        if excess > worst.1 || excess.isNaN { worst = (i, excess.isNaN ? .infinity : excess) }
    }
    if worst.0 >= 0 { XCTFail("\(what): element \(worst.0) differs: \(x[worst.0]) vs \(y[worst.0])", file: file, line: line) }
}

func temporaryFolder(_ name: String = #function) -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("recurrentdepth-tests-\(UInt64.random(in: 0 ... .max))")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A small fresh model for tests that need one.
func smallModel(positional: PositionalEmbedding = .learned, injection: Bool = false, seed: UInt64 = 7,
                vocab: Int = 30, d: Int = 16, layers: Int = 2, heads: Int = 2) throws -> RecurrentGPT2 {
    var generator = RandomGenerator(seed: seed)
    let config = ModelConfig(vocabSize: vocab, embeddingSize: d, layers: layers, heads: heads, positions: 12,
                             positionalEmbedding: positional, inputInjection: injection, recurrence: 3)
    return try RecurrentGPT2(config: config, generator: &generator)
}
