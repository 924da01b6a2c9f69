/// Freed tensor buffers kept by size class and handed out again: a training step allocates the same
/// sizes every time, so after the first step no buffer is new. Without it every op's output is a
/// fresh `malloc`, and glibc returns large blocks to the OS, so each step paid page faults and
/// zero-filling (~10% of a step). At most `limit` bytes are kept; beyond that buffers are freed.
///
/// Sizes are rounded up to a multiple of 64 bytes, and above 1 KiB to one of eight classes per
/// power of two (at most 12.5% more): batches whose shapes differ a little from step to step
/// (packed rows of padded inputs) reuse each other's buffers instead of filling the pool with one
/// size each.
///
/// Work running on several threads at once (data-parallel slices of a batch) takes buffers from
/// partitions of its own (`withPartition`): a buffer goes back to the partition it came from,
/// whichever thread frees it. Each partition then sees the same sequence of requests every step,
/// so no new buffer is needed after the first; one shared list would see the two threads' requests
/// interleave differently each step and keep growing for several steps.
public enum BufferPool {
    /// Counts since the process started (or the last `resetStatistics()`).
    public struct Statistics: Sendable, Equatable {
        /// Buffers that had to be allocated from the system.
        public var fresh = 0
        /// Buffers served from the pool.
        public var reused = 0
        public var freshBytes = 0
    }

    struct Key: Hashable {
        var partition: Int
        var bytes: Int
    }

    struct State {
        var free: [Key: [UnsafeMutableRawPointer]] = [:]
        var cachedBytes = 0
        var limit = 2 << 30
        var statistics = Statistics()
    }

    static let state = Locked(State())

    public static var statistics: Statistics { state.withLock { $0.statistics } }
    public static func resetStatistics() { state.withLock { $0.statistics = Statistics() } }

    /// Bytes of freed buffers the pool may keep (default 2 GiB); lowering it frees the excess.
    public static var limit: Int {
        get { state.withLock { $0.limit } }
        set { state.withLock { $0.limit = newValue; trim(&$0) } }
    }

    /// Bytes currently held for reuse.
    public static var cachedBytes: Int { state.withLock { $0.cachedBytes } }

    /// Frees every cached buffer (memory goes back to the system).
    public static func drain() {
        state.withLock { s in
            let limit = s.limit
            s.limit = 0
            trim(&s)
            s.limit = limit
        }
    }

    static func trim(_ s: inout State) {
        while s.cachedBytes > s.limit, let key = s.free.first(where: { !$0.value.isEmpty })?.key {
            s.free[key]!.removeLast().deallocate()
            s.cachedBytes -= key.bytes
        }
    }

    // The partition buffers are taken from on this thread, as its raw value (nil: partition 0).
    private static let partitionSlot = ThreadLocalSlot()

    /// The partition this thread takes buffers from (0 unless inside `withPartition`).
    public static var currentPartition: Int { Int(bitPattern: partitionSlot.value) }

    /// Runs `body` with this thread's new buffers taken from (and later returned to) `partition`.
    public static func withPartition<R>(_ partition: Int, _ body: () throws -> R) rethrows -> R {
        try partitionSlot.with(UnsafeMutableRawPointer(bitPattern: partition), body)
    }

    /// The size a request of `bytes` is served with: a multiple of 64 up to 1 KiB, then the next
    /// of eight steps per power of two.
    static func sizeClass(_ bytes: Int) -> Int {
        if bytes <= 1024 { return max(64, (bytes + 63) & ~63) }
        let step = 1 << (Int.bitWidth - 1 - (bytes - 1).leadingZeroBitCount - 3)
        return (bytes + step - 1) / step * step
    }

    /// A 64-byte-aligned buffer of at least `bytes` bytes from this thread's partition, contents undefined.
    static func take(bytes requested: Int, partition: Int) -> UnsafeMutableRawPointer {
        let bytes = sizeClass(requested)
        let key = Key(partition: partition, bytes: bytes)
        let reused: UnsafeMutableRawPointer? = state.withLock { s in
            guard let p = s.free[key]?.popLast() else {
                s.statistics.fresh += 1
                s.statistics.freshBytes += bytes
                return nil
            }
            s.cachedBytes -= bytes
            s.statistics.reused += 1
            return p
        }
        return reused ?? UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    }

    /// Returns a buffer from `take(bytes:partition:)` to its partition.
    static func give(_ pointer: UnsafeMutableRawPointer, bytes requested: Int, partition: Int) {
        let bytes = sizeClass(requested)
        let kept = state.withLock { s in
            guard s.cachedBytes + bytes <= s.limit else { return false }
            s.free[Key(partition: partition, bytes: bytes), default: []].append(pointer)
            s.cachedBytes += bytes
            return true
        }
        if !kept { pointer.deallocate() }
    }
}
