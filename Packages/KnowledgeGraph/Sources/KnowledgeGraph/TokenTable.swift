/// Byte-level token lookup for the tokenizer's hot loop: an open-addressing hash table over the
/// tokens' UTF-8 bytes, so a token found in a file is looked up without building a `String`.
final class TokenTable: @unchecked Sendable {
    private let bytes: UnsafeMutablePointer<UInt8>
    private let starts: [Int]
    private let lengths: [Int]
    private let slots: [Int32]  // token id, or -1 for an empty slot
    private let mask: Int

    init(tokens: [String]) {
        var allBytes: [UInt8] = []
        var starts: [Int] = [], lengths: [Int] = []
        for token in tokens {
            starts.append(allBytes.count)
            lengths.append(token.utf8.count)
            allBytes.append(contentsOf: token.utf8)
        }
        bytes = .allocate(capacity: max(allBytes.count, 1))
        bytes.initialize(from: allBytes, count: allBytes.count)
        self.starts = starts
        self.lengths = lengths
        var size = 16
        while size < 2 * tokens.count { size *= 2 }
        mask = size - 1
        var slots = [Int32](repeating: -1, count: size)
        for id in tokens.indices {
            var slot = TokenTable.hash(bytes + starts[id], lengths[id]) & (size - 1)
            while slots[slot] >= 0 { slot = (slot + 1) & (size - 1) }
            slots[slot] = Int32(id)
        }
        self.slots = slots
    }

    deinit { bytes.deallocate() }

    /// FNV-1a over the token's bytes.
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for i in 0..<count { h = (h ^ UInt64(p[i])) &* 0x100_0000_01B3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    /// The id of the token spelled by `count` bytes at `p`, or nil.
    @inline(__always)
    func id(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int32? {
        var slot = TokenTable.hash(p, count) & mask
        while true {
            let id = slots[slot]
            if id < 0 { return nil }
            let i = Int(id)
            if lengths[i] == count && memcmp(bytes + starts[i], p, count) == 0 { return id }
            slot = (slot + 1) & mask
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
