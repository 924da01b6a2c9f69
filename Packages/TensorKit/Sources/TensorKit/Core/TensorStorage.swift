/// A 64-byte-aligned float buffer: rows read with 512-bit loads never straddle a cache line start.
/// Shared by a tensor and the views made from it (`reshaped`). Buffers come from and go back to
/// `BufferPool`.
public final class TensorStorage {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    // The `BufferPool` partition the buffer came from and goes back to.
    private let partition: Int

    /// Zero-filled storage for `count` floats.
    public convenience init(count: Int) {
        self.init(uninitializedCount: count)
        pointer.update(repeating: 0, count: max(count, 1))
    }

    /// Storage whose contents are undefined: for results a kernel overwrites entirely.
    public init(uninitializedCount count: Int) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        partition = BufferPool.currentPartition
        let raw = BufferPool.take(bytes: max(count, 1) * MemoryLayout<Float>.stride, partition: partition)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit {
        BufferPool.give(UnsafeMutableRawPointer(pointer), bytes: max(count, 1) * MemoryLayout<Float>.stride, partition: partition)
    }
}
