import Synchronization

/// Freed tensor buffers kept by exact size and handed out again: a training step allocates the same
/// sizes every time, so after the first step no buffer is new. Without it every op's output is a
/// fresh `malloc`, and glibc returns large blocks to the OS, so each step paid page faults and
/// zero-filling (~10% of a step). At most `limit` bytes are kept; beyond that buffers are freed.
public enum BufferPool {
    /// Counts since the process started (or the last `resetStatistics()`).
    public struct Statistics: Sendable, Equatable {
        /// Buffers that had to be allocated from the system.
        public var fresh = 0
        /// Buffers served from the pool.
        public var reused = 0
        public var freshBytes = 0
    }

    struct State {
        var free: [Int: [UnsafeMutableRawPointer]] = [:]
        var cachedBytes = 0
        var limit = 2 << 30
        var statistics = Statistics()
    }

    static let state = Mutex(State())

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
        while s.cachedBytes > s.limit, let size = s.free.first(where: { !$0.value.isEmpty })?.key {
            s.free[size]!.removeLast().deallocate()
            s.cachedBytes -= size
        }
    }

    /// A 64-byte-aligned buffer of `bytes` bytes, contents undefined.
    static func take(bytes: Int) -> UnsafeMutableRawPointer {
        let reused: UnsafeMutableRawPointer? = state.withLock { s in
            guard let p = s.free[bytes]?.popLast() else {
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

    /// Returns a buffer from `take(bytes:)`.
    static func give(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        let kept = state.withLock { s in
            guard s.cachedBytes + bytes <= s.limit else { return false }
            s.free[bytes, default: []].append(pointer)
            s.cachedBytes += bytes
            return true
        }
        if !kept { pointer.deallocate() }
    }
}
