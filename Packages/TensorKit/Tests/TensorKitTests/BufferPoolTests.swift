import Foundation
import XCTest
import TensorKit

/// TensorKit's buffer pool: freed buffers come back for the same size, zero-filled tensors are
/// zero even on a reused (dirty) buffer, and the pool never holds more than its limit.
/// (The pool is process-wide and other tests run beside these, so the checks look at this test's
/// own sizes and at differences, never at absolute totals.)
final class BufferPoolTests: XCTestCase {
    func testFreedBuffersAreReusedForTheSameSize() {
        let size = 123_457  // a size no other test uses
        do { _ = Tensor(uninitialized: [size]) }  // allocated, then freed into the pool
        let before = BufferPool.statistics
        let again = Tensor(uninitialized: [size])
        let after = BufferPool.statistics
        XCTAssertEqual(after.fresh - before.fresh, 0, "a freed buffer of the same size must be reused")
        XCTAssertGreaterThanOrEqual(after.reused - before.reused, 1)
        XCTAssertEqual(again.count, size)
    }

    /// A buffer goes back to the partition it was taken from, even when another thread frees it,
    /// and is reused only there.
    func testBuffersReturnToTheirPartition() {
        let size = 98_767  // a size no other test uses
        final class Holder: @unchecked Sendable { var tensor: Tensor? }
        let made = Holder()
        made.tensor = BufferPool.withPartition(3) { Tensor(uninitialized: [size]) }
        XCTAssertEqual(BufferPool.currentPartition, 0, "the scope restores the partition")
        let freed = DispatchSemaphore(value: 0)
        Thread { made.tensor = nil; freed.signal() }.start()   // freed on another thread, outside any partition
        freed.wait()
        XCTAssertNil(made.tensor)

        var before = BufferPool.statistics
        let elsewhere = Tensor(uninitialized: [size])
        XCTAssertEqual(BufferPool.statistics.fresh - before.fresh, 1, "partition 0 must not take partition 3's buffer")
        before = BufferPool.statistics
        let back = BufferPool.withPartition(3) { Tensor(uninitialized: [size]) }
        XCTAssertEqual(BufferPool.statistics.fresh - before.fresh, 0, "partition 3 gets its buffer back")
        XCTAssertEqual(back.count + elsewhere.count, 2 * size)
    }

    func testZerosAreZeroOnAReusedBuffer() {
        let shape = [97, 31]
        do {
            let dirty = Tensor(uninitialized: shape)
            dirty.pointer.update(repeating: .nan, count: dirty.count)
        }
        XCTAssertTrue(Tensor.zeros(shape).scalars.allSatisfy { $0 == 0 })
        do {
            let dirty = Tensor.full(shape, 7)
            XCTAssertTrue(dirty.scalars.allSatisfy { $0 == 7 })
        }
        XCTAssertTrue(Tensor(zeros: shape).scalars.allSatisfy { $0 == 0 })
    }

    func testLimitBoundsTheCacheAndDrainEmptiesIt() {
        let saved = BufferPool.limit
        defer { BufferPool.limit = saved }
        BufferPool.limit = 1 << 20
        XCTAssertLessThanOrEqual(BufferPool.cachedBytes, 1 << 20)
        // Twenty 256 KiB buffers freed: at most four fit under the limit, the rest go back to the system.
        do { _ = (0..<20).map { _ in Tensor(uninitialized: [65_536]) } }
        XCTAssertLessThanOrEqual(BufferPool.cachedBytes, 1 << 20)
        XCTAssertGreaterThan(BufferPool.cachedBytes, 0)
        BufferPool.drain()
        XCTAssertEqual(BufferPool.cachedBytes, 0)
        XCTAssertEqual(BufferPool.limit, 1 << 20, "drain keeps the limit")
    }

    /// A training-shaped loop (forward, backward, update) allocates no new buffer after its first step.
    func testSteadyStateStepAllocatesNoNewBuffer() {
        var rng = RandomGenerator(seed: 3)
        let w = Tensor.randomNormal([24, 40], std: 0.1, using: &rng, requiresGrad: true)
        let b = Tensor.zeros([40], requiresGrad: true)
        let x = Tensor.randomNormal([33, 24], using: &rng)
        let targets = IDTensor((0..<33).map { $0 % 40 })
        let optimizer = AdamW(parameters: [w, b], learningRate: 1e-2, weightDecay: 0.1)
        func step() {
            let loss = Tensor.crossEntropy(Tensor.linear(x, weight: w, bias: b, activation: .gelu), targets: targets)
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
        }
        step(); step()
        let before = BufferPool.statistics
        for _ in 0..<5 { step() }
        XCTAssertEqual(BufferPool.statistics.fresh - before.fresh, 0, "steady-state steps must reuse every buffer")
    }
}
