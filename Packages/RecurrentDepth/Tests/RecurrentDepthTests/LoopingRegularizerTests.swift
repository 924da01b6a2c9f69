import Foundation
import XCTest
import KnowledgeGraph
import TensorKit
@testable import RecurrentDepth
import FixtureSupport

/// The looping-inspired regularizer: its value against plain double arithmetic, its gradient
/// against finite differences, its minimum, what it does to training, and its errors.
final class LoopingRegularizerTests: XCTestCase {
    // MARK: - An independent statement of the term, in Double

    /// The compared matrices of block `i`, read straight from the state dict by name: q, k and v
    /// as the column blocks of `c_attn` ([D, 3D], row-major), then the three other matrices.
    static func comparedMatrices(_ weights: [String: [Double]], block i: Int, width d: Int) -> [[Double]] {
        let fused = weights["blocks.\(i).attn.c_attn.weight"]!
        let columnBlocks = (0..<3).map { part in (0..<d).flatMap { row in (0..<d).map { fused[row * 3 * d + part * d + $0] } } }
        return columnBlocks + ["attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"].map { weights["blocks.\(i).\($0)"]! }
    }

    static func cosine(_ a: [Double], _ b: [Double]) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for (x, y) in zip(a, b) { ab += x * y; aa += x * x; bb += y * y }
        return aa == 0 || bb == 0 ? 0 : ab / (aa.squareRoot() * bb.squareRoot())
    }

    /// −λ · Σ over group pairs (i, i+1) and positions j of Σ over the six matrices of cos(block i·k+j, block (i+1)·k+j).
    static func term(_ weights: [String: [Double]], layers: Int, k: Int, lambda: Double, width d: Int) -> Double {
        var sum = 0.0
        for i in 0..<(layers / k - 1) {
            for j in 0..<k {
                let a = comparedMatrices(weights, block: i * k + j, width: d), b = comparedMatrices(weights, block: (i + 1) * k + j, width: d)
                for (x, y) in zip(a, b) { sum += cosine(x, y) }
            }
        }
        return -lambda * sum
    }

    static func doubles(_ model: RecurrentGPT2) -> [String: [Double]] {
        Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.0, $0.1.scalars.map(Double.init)) })
    }

    func model(layers: Int, d: Int = 8, cScale: Float = 1, seed: UInt64 = 11) throws -> RecurrentGPT2 {
        var generator = RandomGenerator(seed: seed)
        return try RecurrentGPT2(config: ModelConfig(vocabSize: 10, embeddingSize: d, layers: layers, heads: 2, positions: 6,
                                                     recurrence: 1, cScale: cScale), generator: &generator)
    }

    // MARK: - Value

    func testValueMatchesPlainDoubleArithmetic() throws {
        for (layers, k) in [(4, 2), (3, 1), (6, 3), (6, 2)] {
            let model = try model(layers: layers)
            let regularizer = try LoopingRegularizer(groupSize: k, strength: 2.5)
            let expected = Self.term(Self.doubles(model), layers: layers, k: k, lambda: 2.5, width: 8)
            XCTAssertNotEqual(expected, 0)
            XCTAssertEqual(Double(try regularizer.term(of: model).item), expected, accuracy: 1e-6 * max(1, abs(expected)), "\(layers) layers, k \(k)")
            let value = try regularizer.addGradient(to: model)
            XCTAssertEqual(value, expected, accuracy: 1e-6 * max(1, abs(expected)), "\(layers) layers, k \(k)")
            // Every single cosine, in the documented order.
            let weights = Self.doubles(model)
            let pairs = (0..<(layers / k - 1)).flatMap { i in (0..<k).map { j in (i * k + j, (i + 1) * k + j) } }
            XCTAssertEqual(try regularizer.blockPairs(layers: layers).map { [$0.0, $0.1] }, pairs.map { [$0.0, $0.1] })
            let cosines = pairs.flatMap { a, b in
                zip(Self.comparedMatrices(weights, block: a, width: 8), Self.comparedMatrices(weights, block: b, width: 8)).map(Self.cosine)
            }
            let found = try regularizer.similarities(of: model)
            XCTAssertEqual(found.count, pairs.count * LoopingRegularizer.comparedTensors.count)
            for (f, e) in zip(found, cosines) { XCTAssertEqual(f, e, accuracy: 1e-6) }
        }
    }

    /// Biases, LayerNorms and embeddings are not part of the term: changing them changes nothing.
    func testOnlyTheSixMatricesCount() throws {
        let model = try model(layers: 4)
        let regularizer = try LoopingRegularizer(groupSize: 2, strength: 1)
        let before = try regularizer.addGradient(to: model)
        var generator = RandomGenerator(seed: 99)
        for (name, p) in model.namedParameters where !name.hasSuffix("c_attn.weight") && !name.hasSuffix("c_proj.weight") && !name.hasSuffix("c_fc.weight") {
            XCTAssertNil(p.grad, "\(name) is not compared, so it gets no gradient")
            let noise = Tensor.randomNormal(p.shape, using: &generator)
            p.pointer.update(from: noise.pointer, count: p.count)
        }
        XCTAssertEqual(try regularizer.addGradient(to: model), before)
    }

    // MARK: - Gradient

    /// The gradient added to each compared parameter is the derivative of the Double statement
    /// above, by central differences in Double; parameters of the middle group, compared with
    /// the groups on both sides, collect both pulls.
    func testGradientMatchesCentralFiniteDifferences() throws {
        let (layers, k, lambda, d) = (6, 2, 3.0, 8)
        let model = try model(layers: layers, d: d)
        let regularizer = try LoopingRegularizer(groupSize: k, strength: lambda)
        _ = try regularizer.addGradient(to: model)
        let weights = Self.doubles(model)
        let h = 1e-5
        var checked = 0
        for (name, p) in model.namedParameters {
            let compared = name.hasSuffix("c_attn.weight") || name.hasSuffix("c_proj.weight") || name.hasSuffix("c_fc.weight")
            guard compared else { XCTAssertNil(p.grad, name); continue }
            let grad = try XCTUnwrap(p.grad, "\(name) got no gradient")
            let scale = Double(grad.scalars.map(abs).max()!)
            XCTAssertGreaterThan(scale, 0, name)
            for index in stride(from: 0, to: p.count, by: max(1, p.count / 23)) {
                var plus = weights, minus = weights
                plus[name]![index] += h
                minus[name]![index] -= h
                let numeric = (Self.term(plus, layers: layers, k: k, lambda: lambda, width: d)
                               - Self.term(minus, layers: layers, k: k, lambda: lambda, width: d)) / (2 * h)
                let analytic = Double(grad.pointer[index])
                XCTAssertEqual(analytic, numeric, accuracy: 1e-4 * scale + 1e-3 * abs(numeric), "\(name)[\(index)]")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 4 * layers * 20, "every stored matrix of every block, about 23 elements each")
    }

    /// The same on the implementation's own (float) value: its gradient is the slope of what it returns.
    func testGradientIsTheSlopeOfItsOwnValue() throws {
        let model = try model(layers: 4)
        let regularizer = try LoopingRegularizer(groupSize: 2, strength: 1)
        _ = try regularizer.addGradient(to: model)
        let h: Float = 1e-3
        for (name, p) in model.namedParameters where name.hasPrefix("blocks.2.attn.c_attn") && name.hasSuffix("weight") || name == "blocks.1.mlp.c_proj.weight" {
            let grad = p.grad!.scalars
            for index in [0, p.count / 3, p.count - 1] {
                let saved = p.pointer[index]
                p.pointer[index] = saved + h
                let plus = Double(try regularizer.term(of: model).item)
                p.pointer[index] = saved - h
                let minus = Double(try regularizer.term(of: model).item)
                p.pointer[index] = saved
                let numeric = (plus - minus) / Double(2 * h)
                XCTAssertEqual(Double(grad[index]), numeric, accuracy: 2e-2 * max(abs(numeric), 0.1), "\(name)[\(index)]")
            }
        }
    }

    // MARK: - The minimum

    /// A model whose groups are copies of the first has every cosine 1: the term's least value
    /// −λ · pairs · tensors, with a gradient of 0.
    func testIdenticalGroupsGiveTheMinimum() throws {
        let (layers, k, lambda) = (6, 2, 4.0)
        let source = try model(layers: layers)
        var weights = Dictionary(uniqueKeysWithValues: source.namedParameters.map { ($0.0, $0.1.copy()) })
        for (name, _) in source.namedParameters where name.hasPrefix("blocks.") {
            let parts = name.split(separator: ".", maxSplits: 2)
            let block = Int(parts[1])!
            weights[name] = weights["blocks.\(block % k).\(parts[2])"]!.copy()
        }
        let looped = try RecurrentGPT2(config: source.config, weights: weights)
        let regularizer = try LoopingRegularizer(groupSize: k, strength: lambda)
        let pairs = (layers / k - 1) * k
        let value = try regularizer.addGradient(to: looped)
        XCTAssertEqual(value, -lambda * Double(pairs * LoopingRegularizer.comparedTensors.count), accuracy: 1e-4)
        XCTAssertEqual(pairs * 6, 24)
        for s in try regularizer.similarities(of: looped) { XCTAssertEqual(s, 1, accuracy: 1e-6) }
        for (name, p) in looped.namedParameters {
            guard let grad = p.grad else { continue }
            XCTAssertLessThan(grad.scalars.map(abs).max()!, 1e-3, "\(name): no pull at the minimum")
        }
        // Anything else is above it.
        XCTAssertGreaterThan(try regularizer.addGradient(to: try model(layers: layers)), value + 1)
    }

    /// Both c_proj matrices start at zero with c_scale 0: no direction, so they count 0 and get no
    /// gradient, and the rest is still finite.
    func testZeroMatricesCountAsZero() throws {
        let model = try model(layers: 4, cScale: 0)
        let regularizer = try LoopingRegularizer(groupSize: 2, strength: 1)
        let similarities = try regularizer.similarities(of: model)
        for (i, s) in similarities.enumerated() where LoopingRegularizer.comparedTensors[i % 6].hasSuffix("c_proj.weight") {
            XCTAssertEqual(s, 0)
        }
        let value = try regularizer.addGradient(to: model)
        XCTAssertTrue(value.isFinite)
        XCTAssertEqual(model.blocks[0].attentionProjection.weight.grad?.scalars.allSatisfy { $0 == 0 }, true)
        XCTAssertEqual(value, Self.term(Self.doubles(model), layers: 4, k: 2, lambda: 1, width: 8), accuracy: 1e-6)
    }

    // MARK: - Training

    func dataset() throws -> Dataset {
        let folder = temporaryFolder().appendingPathComponent("data")
        let parameters = DepthExtrapolationGenerator.Parameters(entities: 12, relations: 3, minHops: 2, maxHops: 2, trainChainsPerHop: 60,
                                                                testChainsPerHop: 10, atomicSampleInTest: 36, trainSampleInTest: 60,
                                                                smallTestPerType: 2, seed: 5)
        _ = try DepthExtrapolationGenerator(parameters: parameters).write(to: folder)
        return try Dataset.load(from: folder)
    }

    /// Trains a 4-block model for `steps` with the regularizer at `lambda` (k = 2) and returns its
    /// similarities and the run's training records.
    func train(lambda: Double, steps: Int) throws -> (similarities: [Double], records: [MetricsRecord]) {
        let data = try dataset()
        var generator = RandomGenerator(seed: 3)
        let model = try RecurrentGPT2(config: ModelConfig(vocabSize: data.vocabulary.count, embeddingSize: 16, layers: 4, heads: 2,
                                                          positions: 8, recurrence: 1), generator: &generator)
        var config = TrainingConfig()
        config.learningRate = 1e-3
        config.warmupSteps = 10
        config.batchSize = 32
        config.padding = .longest
        config.predictionPosition = .inputLength
        config.maxSteps = steps
        config.logEverySteps = 1
        config.evaluateEveryEpochs = 1000
        config.loopingRegularizer = try LoopingRegularizer(groupSize: 2, strength: lambda)
        let run = temporaryFolder()
        let trainer = try Trainer(model: model, dataset: data, config: config, schedule: FixedRecurrence(1), runFolder: run)
        var progress: [Double?] = []
        trainer.onProgress = { progress.append($0.regularizer) }
        _ = try trainer.run()
        let lines = try Data(contentsOf: run.appendingPathComponent(Trainer.metricsFile)).split(separator: UInt8(ascii: "\n"))
        let records = try lines.map { try JSONDecoder().decode(MetricsRecord.self, from: Data($0)) }.filter { $0.kind == "train" }
        XCTAssertEqual(records.map(\.regularizer), progress, "one record per step (log every step), each the step's term")
        return (try config.loopingRegularizer!.similarities(of: model), records)
    }

    /// A very large λ makes the groups nearly the same weights within a short run; λ = 0 does not.
    func testLargeStrengthMakesTheGroupsNearlyShared() throws {
        let strong = try train(lambda: 1e3, steps: 200)
        XCTAssertGreaterThanOrEqual(strong.similarities.min()!, 0.99, "\(strong.similarities)")
        let first = try XCTUnwrap(strong.records.first?.regularizer), last = try XCTUnwrap(strong.records.last?.regularizer)
        let least = -1e3 * Double(strong.similarities.count)
        XCTAssertGreaterThan(first, least / 2, "random initial weights are far from shared")
        XCTAssertLessThanOrEqual(last, least * 0.99, "the logged term reaches its minimum")
        XCTAssertEqual(strong.records.count, 200)

        let free = try train(lambda: 0, steps: 200)
        XCTAssertLessThan(free.similarities.max()!, 0.5, "\(free.similarities)")
        XCTAssertEqual(Set(free.records.map(\.regularizer)), [0], "λ = 0: the term is 0")
    }

    /// Without the regularizer the records have no such field.
    func testNoRegularizerLogsNothing() throws {
        let data = try dataset()
        var generator = RandomGenerator(seed: 3)
        let model = try RecurrentGPT2(config: ModelConfig(vocabSize: data.vocabulary.count, embeddingSize: 16, layers: 2, heads: 2,
                                                          positions: 8, recurrence: 1), generator: &generator)
        var config = TrainingConfig()
        config.padding = .longest
        config.maxSteps = 2
        config.logEverySteps = 1
        let run = temporaryFolder()
        _ = try Trainer(model: model, dataset: data, config: config, schedule: FixedRecurrence(1), runFolder: run).run()
        let text = try String(contentsOf: run.appendingPathComponent(Trainer.metricsFile), encoding: .utf8)
        XCTAssertFalse(text.contains("regularizer"), text)
    }

    // MARK: - Errors

    func testBadSettingsGiveTypedErrors() throws {
        func expect(_ error: LoopingRegularizerError, _ body: () throws -> Void, line: UInt = #line) {
            XCTAssertThrowsError(try body(), line: line) { XCTAssertEqual($0 as? LoopingRegularizerError, error, line: line) }
        }
        expect(.groupSizeTooSmall(0)) { _ = try LoopingRegularizer(groupSize: 0, strength: 1) }
        expect(.invalidStrength(-1)) { _ = try LoopingRegularizer(groupSize: 1, strength: -1) }
        expect(.invalidStrength(.infinity)) { _ = try LoopingRegularizer(groupSize: 1, strength: .infinity) }
        XCTAssertThrowsError(try LoopingRegularizer(groupSize: 1, strength: .nan))
        let three = try LoopingRegularizer(groupSize: 3, strength: 1)
        expect(.layersNotDivisible(layers: 4, groupSize: 3)) { try three.check(layers: 4) }
        expect(.groupSizeNotBelowLayers(groupSize: 3, layers: 3)) { try three.check(layers: 3) }
        expect(.groupSizeNotBelowLayers(groupSize: 3, layers: 2)) { _ = try three.addGradient(to: try self.model(layers: 2)) }
        expect(.layersNotDivisible(layers: 4, groupSize: 3)) { _ = try three.similarities(of: try self.model(layers: 4)) }
        XCTAssertNoThrow(try three.check(layers: 6))
        XCTAssertTrue(LoopingRegularizerError.layersNotDivisible(layers: 4, groupSize: 3).description.contains("4 layers"))

        // The trainer refuses before any step.
        let data = try dataset()
        var config = TrainingConfig()
        config.padding = .longest
        config.loopingRegularizer = try LoopingRegularizer(groupSize: 2, strength: 1)
        var generator = RandomGenerator(seed: 1)
        let twoBlocks = try RecurrentGPT2(config: ModelConfig(vocabSize: data.vocabulary.count, embeddingSize: 8, layers: 2, heads: 2,
                                                              positions: 8, recurrence: 1), generator: &generator)
        expect(.groupSizeNotBelowLayers(groupSize: 2, layers: 2)) {
            _ = try Trainer(model: twoBlocks, dataset: data, config: config, schedule: FixedRecurrence(1), runFolder: self.temporaryFolder())
        }

        // A saved config is checked when read back.
        let bad = Data(#"{"groupSize": 2, "strength": -3}"#.utf8)
        XCTAssertThrowsError(try JSONDecoder().decode(LoopingRegularizer.self, from: bad)) {
            XCTAssertEqual($0 as? LoopingRegularizerError, .invalidStrength(-3))
        }
    }

    func testParsesTheCommandLineForm() throws {
        XCTAssertEqual(try LoopingRegularizer(parsing: "k=2,lambda=10"), try LoopingRegularizer(groupSize: 2, strength: 10))
        XCTAssertEqual(try LoopingRegularizer(parsing: "k=3"), try LoopingRegularizer(groupSize: 3, strength: 1))
        let r = try LoopingRegularizer(groupSize: 4, strength: 0.5)
        XCTAssertEqual(try LoopingRegularizer(parsing: r.description), r)
        XCTAssertEqual(try LoopingRegularizer(groupSize: 2, strength: 10).description, "k=2,lambda=10")
        XCTAssertEqual(r.description, "k=4,lambda=0.5")
        let encoded = try JSONEncoder().encode(r)
        XCTAssertEqual(try JSONDecoder().decode(LoopingRegularizer.self, from: encoded), r)
        XCTAssertThrowsError(try LoopingRegularizer(parsing: "k=2,lambda=-1")) { XCTAssertEqual($0 as? LoopingRegularizerError, .invalidStrength(-1)) }
        XCTAssertThrowsError(try LoopingRegularizer(parsing: "k=0")) { XCTAssertEqual($0 as? LoopingRegularizerError, .groupSizeTooSmall(0)) }
        for (text, mentions) in [("lambda=1", "k must be given"), ("k=2,mu=1", "no parameter 'mu'"), ("k=x", "not an integer"),
                                 ("k=2,lambda=inf", "not finite"), ("", "no parameters"), ("k=2,,lambda=1", "empty item")] {
            XCTAssertThrowsError(try LoopingRegularizer(parsing: text), text) { error in
                XCTAssertTrue(error is SpecificationError, "\(text): \(error)")
                XCTAssertTrue("\(error)".contains(mentions), "\(text): \(error)")
            }
        }
    }
}
