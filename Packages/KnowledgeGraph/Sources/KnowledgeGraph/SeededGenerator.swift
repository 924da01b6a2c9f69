/// A small deterministic random number generator: xoshiro256** (Blackman & Vigna), seeded through
/// SplitMix64. Shuffling and sampling are implemented here rather than taken from the standard
/// library, whose algorithms may change between Swift releases: a seed names the same dataset and
/// the same batch order forever. `Codable`, so a trainer can store its state in a checkpoint.
///
/// TensorKit's `RandomGenerator` has the same core; this package keeps its own so that the data
/// tools depend on nothing, and because its `sample` (partial Fisher–Yates up to 2¹⁶ values,
/// rejection beyond) is not `RandomGenerator`'s (Floyd's): every dataset generated from a seed is
/// this stream, and one shared `sample` would change the datasets' bits.
public struct SeededGenerator: RandomNumberGenerator, Codable, Equatable, Sendable {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotate(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotate(s3, 45)
        return result
    }

    @inline(__always)
    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in `0..<bound`, without modulo bias (Lemire's multiply-and-reject).
    @inline(__always)
    public mutating func uniform(below bound: Int) -> Int {
        precondition(bound > 0, "uniform(below:) needs a positive bound")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// Uniform in [0, 1), 53 random bits.
    public mutating func uniformDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Fisher–Yates, from the last element down.
    public mutating func shuffle<T>(_ elements: inout [T]) {
        var i = elements.count - 1
        while i > 0 {
            let j = uniform(below: i + 1)
            if i != j { elements.swapAt(i, j) }
            i -= 1
        }
    }

    /// A uniformly random permutation of `0..<n`.
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        shuffle(&p)
        return p
    }

    /// `k` distinct values of `0..<n` in random order (sampling without replacement).
    /// Partial Fisher–Yates over an index array when `n` is small next to `k`; otherwise draws and
    /// rejects repeats, which needs memory for `k` values only.
    public mutating func sample(_ k: Int, from n: Int) -> [Int] {
        precondition(k >= 0 && k <= n, "cannot sample \(k) distinct values from \(n)")
        if k == 0 { return [] }
        if n <= 4 * k || n <= 1 << 16 {
            var pool = Array(0..<n)
            for i in 0..<k {
                let j = i + uniform(below: n - i)
                pool.swapAt(i, j)
            }
            return Array(pool[0..<k])
        }
        var seen = Set<Int>(minimumCapacity: 2 * k)
        var result: [Int] = []
        result.reserveCapacity(k)
        while result.count < k {
            let v = uniform(below: n)
            if seen.insert(v).inserted { result.append(v) }
        }
        return result
    }

    /// `k` distinct elements of `elements` in random order.
    public mutating func sample<T>(_ k: Int, from elements: [T]) -> [T] {
        sample(k, from: elements.count).map { elements[$0] }
    }
}
