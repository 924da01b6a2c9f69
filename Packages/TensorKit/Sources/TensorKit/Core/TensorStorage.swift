/// A 64-byte-aligned float buffer: rows read with 512-bit loads never straddle a cache line start.
/// Shared by a tensor and the views made from it (`reshaped`).
public final class TensorStorage {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    /// Zero-filled storage for `count` floats.
    public init(count: Int) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }
}
