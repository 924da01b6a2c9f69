import XCTest
import TensorKit
@testable import RecurrentDepth
import FixtureSupport
import ModelFixtureSupport

/// `addLossGradient`: the batch's loss and gradient computed in slices, side by side, and summed.
final class ShardedGradientTests: XCTestCase {
    /// Against PyTorch's full-batch loss and gradients, for every way of slicing the fixtures'
    /// 5 examples (uneven slices need each slice's loss weighted by its share of the batch).
    func testSlicedGradientsMatchTheFixtures() throws {
        for name in FixtureCase.names {
            let c = try FixtureCase(name)
            for shards in [1, 2, 3, 5, 8] {
                let model = try Checkpoint.readModel(from: c.folder)
                let loss = try model.addLossGradient(c.input, labels: c.labels, recurrence: c.recurrence, labelSmoothing: 0.1, shards: shards)
                let expectedLoss = try c.losses["loss_ls0.1"]!
                XCTAssertEqual(Double(loss), expectedLoss, accuracy: 1e-5 * abs(expectedLoss), "\(name), \(shards) slices: loss")
                for (key, p) in model.namedParameters {
                    let expected = try c.expected.tensor("grad.\(key)")
                    let scale = expected.scalars.map(abs).max() ?? 1
                    assertClose(p.grad!, expected, rtol: 1e-3, atol: 1e-4 * scale, "\(name), \(shards) slices: grad.\(key)")
                }
            }
        }
    }

    func batch(_ size: Int, vocab: Int = 30, length: Int = 6, seed: UInt64 = 11) -> (ModelInput, IDTensor) {
        var g = RandomGenerator(seed: seed)
        let ids = (0..<(size * length)).map { _ in Int32(1 + g.nextInt(below: vocab - 1)) }
        // Some padding, so slices carry masks.
        let lengths = (0..<size).map { _ in 2 + g.nextInt(below: length - 1) }
        let mask = (0..<size).flatMap { b in (0..<length).map { Float($0 < lengths[b] ? 1 : 0) } }
        let input = ModelInput(ids: IDTensor(shape: [size, length], ids: ids), mask: Tensor(shape: [size, length], scalars: mask),
                               positions: lengths.map { $0 - 1 })
        return (input, IDTensor(shape: [size], ids: (0..<size).map { _ in Int32(g.nextInt(below: vocab)) }))
    }

    /// The slices are fixed by the batch, not by the threads: three training steps give the same
    /// losses, parameters and dropout generator, bit for bit, on 1, 2, 3 and 4 threads, with and
    /// without dropout. (With more threads than slices, each slice's products and attention are
    /// split over its group of threads; the model is large enough for the kernels to split.)
    func testEveryThreadCountGivesTheSameBits() throws {
        let (input, labels) = batch(32, length: 8)
        for rate: Float in [0, 0.1] {
            var runs: [(losses: [Float], parameters: [[Float]], generator: RandomGenerator?)] = []
            for threads in 1...4 {
                let run = try withBackend(CPUBackend(threads: threads)) {
                    let model = try smallModel(d: 64, heads: 4)
                    let optimizer = AdamW(parameters: model.parameters)
                    let dropout = rate > 0 ? Dropout(embedding: rate, attention: rate, residual: rate, generator: RandomGenerator(seed: 5)) : nil
                    var losses: [Float] = []
                    for _ in 0..<3 {
                        optimizer.zeroGrad()
                        losses.append(try model.addLossGradient(input, labels: labels, recurrence: 3, labelSmoothing: 0.1, dropout: dropout))
                        optimizer.step()
                    }
                    return (losses, model.parameters.map(\.scalars), dropout?.generator)
                }
                runs.append(run)
            }
            for (threads, run) in zip(2...4, runs.dropFirst()) {
                XCTAssertEqual(run.losses, runs[0].losses, "dropout \(rate), \(threads) threads: losses")
                XCTAssertTrue(run.parameters == runs[0].parameters, "dropout \(rate), \(threads) threads: parameters differ from 1 thread's")
                XCTAssertEqual(run.generator, runs[0].generator, "dropout \(rate), \(threads) threads: generator afterwards")
            }
        }
    }

    /// Without dropout the slices change only the rounding of the full-batch gradient.
    func testSlicesSumToTheFullBatchGradient() throws {
        let (input, labels) = batch(7)
        let whole = try smallModel()
        let loss = Tensor.crossEntropy(try whole.monitoredLogits(input, recurrence: 3), targets: labels, labelSmoothing: 0.1)
        loss.backward()
        let sliced = try smallModel()
        let value = try sliced.addLossGradient(input, labels: labels, recurrence: 3, labelSmoothing: 0.1, shards: 2)
        XCTAssertEqual(value, loss.item, accuracy: 1e-6 * abs(loss.item))
        for ((key, a), b) in zip(whole.namedParameters, sliced.parameters) {
            let scale = a.grad!.scalars.map(abs).max()!
            XCTAssertGreaterThan(scale, 0, key)
            assertClose(b.grad!, a.grad!, rtol: 1e-4, atol: 1e-6 * scale, "\(key)")
        }
        // Like backward, it adds into gradients already there.
        let first = sliced.parameters.map { $0.grad!.scalars }
        _ = try sliced.addLossGradient(input, labels: labels, recurrence: 3, labelSmoothing: 0.1, shards: 2)
        for (p, g) in zip(sliced.parameters, first) {
            assertClose(p.grad!, Tensor(shape: p.shape, scalars: g.map { 2 * $0 }), rtol: 1e-6, atol: 1e-9, "twice")
        }
    }

    /// Each slice forks its own dropout generator, in slice order; a batch smaller than the slice
    /// count gets one slice per example.
    func testEachSliceForksTheDropoutGenerator() throws {
        let model = try smallModel()
        for (size, slices) in [(6, 2), (1, 1), (2, 2)] {
            let (input, labels) = batch(size)
            let dropout = Dropout(embedding: 0.1, attention: 0.1, residual: 0.1, generator: RandomGenerator(seed: 9))
            var expected = dropout.generator
            for _ in 0..<slices { _ = expected.next() }
            _ = try model.addLossGradient(input, labels: labels, recurrence: 2, dropout: dropout, shards: 2)
            XCTAssertEqual(dropout.generator, expected, "batch \(size)")
            model.parameters.forEach { $0.zeroGrad() }
        }
    }

    /// After the first step, slices running side by side need no new tensor buffer: each takes
    /// from its own pool partition, in the same order every step — also when each slice's
    /// products are split over a group of threads.
    func testNoNewBuffersAfterTheFirstStep() throws {
        // A model width per thread count, so that the second run cannot reuse the first's buffers.
        for (threads, d) in [(2, 32), (4, 48)] {
            try withBackend(CPUBackend(threads: threads)) {
                let model = try smallModel(d: d, heads: 4)
                let (input, labels) = batch(64, length: 8)
                let optimizer = AdamW(parameters: model.parameters)
                var fresh: [Int] = []
                for _ in 0..<12 {
                    let before = BufferPool.statistics.fresh
                    optimizer.zeroGrad()
                    _ = try model.addLossGradient(input, labels: labels, recurrence: 3)
                    optimizer.step()
                    fresh.append(BufferPool.statistics.fresh - before)
                }
                XCTAssertGreaterThan(fresh[0], 0, "\(threads) threads")
                XCTAssertEqual(Array(fresh.dropFirst()), Array(repeating: 0, count: 11), "\(threads) threads, new buffers per step: \(fresh)")
            }
        }
    }

    /// Slices run on the current backend's threads: none for a single-threaded or reference backend.
    func testSlicesUseTheCurrentBackendsThreads() {
        XCTAssertTrue(BatchShards.pool === CPUBackend.shared.pool)
        let four = CPUBackend(threads: 4)
        withBackend(four) { XCTAssertTrue(BatchShards.pool === four.pool) }
        withBackend(CPUBackend(threads: 1)) { XCTAssertNil(BatchShards.pool) }
        withBackend(ReferenceBackend()) { XCTAssertNil(BatchShards.pool) }
    }

    /// A bad id is reported at its place in the whole batch, not in a slice.
    func testBadInputNamesTheExampleInTheBatch() throws {
        let model = try smallModel()
        var (input, labels) = batch(6)
        input.ids.ids[5 * 6 + 1] = 99
        XCTAssertThrowsError(try model.addLossGradient(input, labels: labels, recurrence: 2)) { error in
            XCTAssertTrue("\(error)".contains("example 5"), "\(error)")
        }
        XCTAssertTrue(model.parameters.allSatisfy { $0.grad == nil }, "nothing was computed")
    }
}
