/// A set of fixed-length integer sequences (k-hop chains: head entity then k relations) stored
/// flat, for uniqueness checks without an array allocation per chain.
struct ChainSet {
    let length: Int
    private(set) var storage: [Int32] = []
    private var slots: [Int32]
    private var mask: Int
    private(set) var count = 0

    init(length: Int, capacity: Int) {
        self.length = length
        var size = 16
        while size < 2 * capacity { size *= 2 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        storage.reserveCapacity(capacity * length)
    }

    /// Inserts `chain` (exactly `length` values) unless present; returns whether it was new.
    mutating func insert(_ chain: UnsafeBufferPointer<Int32>) -> Bool {
        if 2 * (count + 1) > slots.count { grow() }
        var slot = hash(chain) & mask
        while true {
            let index = slots[slot]
            if index < 0 { break }
            if equal(Int(index), chain) { return false }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(count)
        storage.append(contentsOf: chain)
        count += 1
        return true
    }

    func chain(_ index: Int) -> ArraySlice<Int32> {
        storage[(index * length)..<((index + 1) * length)]
    }

    private func equal(_ index: Int, _ chain: UnsafeBufferPointer<Int32>) -> Bool {
        let base = index * length
        for k in 0..<length where storage[base + k] != chain[k] { return false }
        return true
    }

    private func hash<C: Collection>(_ chain: C) -> Int where C.Element == Int32 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for v in chain { h = (h ^ UInt64(UInt32(bitPattern: v))) &* 0xFF51_AFD7_ED55_8CCD; h ^= h >> 32 }
        return Int(truncatingIfNeeded: h)
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for index in 0..<count {
            var slot = hash(chain(index)) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }
}
