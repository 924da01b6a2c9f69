import Foundation
import XCTest
@testable import TensorKit

/// TensorKit's buffer pool: freed buffers come back for the same size, zero-filled tensors are
/// zero even on a reused (dirty) buffer, and the pool never holds more than its limit.
/// (The pool is process-wide and other tests run beside these, so the checks look at this test's
/// own sizes and at differences, never at absolute totals.)
final class BufferPoolTests: XCTestCase {
    func testFreedBuffersAreReusedForTheSameSize() {
        BufferPool.drain()
        let size = 123_457
        do { _ = Tensor(uninitialized: [size]) }  // allocated, then freed into the pool
        let before = BufferPool.statistics
        let again = Tensor(uninitialized: [size])
        let after = BufferPool.statistics
        XCTAssertEqual(after.fresh - before.fresh, 0, "a freed buffer of the same size must be reused")
        XCTAssertGreaterThanOrEqual(after.reused - before.reused, 1)
        XCTAssertEqual(again.count, size)
    }

    /// Sizes round up to eight classes per power of two: a slightly different size reuses the
    /// buffer, and a class is never smaller than the request nor more than 1/8 above it.
    func testNearbySizesShareABuffer() {
        BufferPool.drain()
        let size = 201_001
        do { _ = Tensor(uninitialized: [size]) }
        let before = BufferPool.statistics
        let other = Tensor(uninitialized: [size + 700])
        XCTAssertEqual(BufferPool.statistics.fresh - before.fresh, 0, "a size in the same class must reuse the buffer")
        XCTAssertEqual(other.count, size + 700)
        for bytes in [1, 63, 64, 65, 1000, 1024, 1025, 2047, 2048, 2049, 4096 * 3 + 5, 1 << 20, (1 << 20) + 1, 123_456_789] {
            let c = BufferPool.sizeClass(bytes)
            XCTAssertGreaterThanOrEqual(c, bytes)
            XCTAssertEqual(c % 64, 0, "\(bytes): classes keep 64-byte multiples")
            if bytes > 1024 { XCTAssertLessThanOrEqual(Double(c), Double(bytes) * 1.125, "\(bytes) → \(c)") }
        }
        XCTAssertEqual(Set(stride(from: (1 << 20) + 1, through: 1 << 21, by: 64).map(BufferPool.sizeClass)).count, 8,
                       "eight classes from 1 MiB to 2 MiB")
    }

    /// A buffer goes back to the partition it was taken from, even when another thread frees it,
    /// and is reused only there.
    func testBuffersReturnToTheirPartition() {
        BufferPool.drain()  // no buffer of this size class left over from another test
        let size = 98_767
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
