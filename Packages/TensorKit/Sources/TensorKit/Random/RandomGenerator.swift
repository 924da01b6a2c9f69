import Foundation

/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// Everything drawn from it is drawn in one sequence on the calling thread, so results depend on
/// the seed alone — never on the thread count. Its state is `Codable`, so an interrupted training
/// run resumes with the same stream.
public struct RandomGenerator: RandomNumberGenerator, Codable, Equatable, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    /// Box–Muller yields normals in pairs; the second waits here.
    private var spareNormal: Double?

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

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// An independent generator for a named sub-stream (e.g. one per data loader), derived from
    /// this one's next output so it does not disturb reproducibility elsewhere.
    public mutating func fork() -> RandomGenerator { RandomGenerator(seed: next()) }

    // MARK: Uniform

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in 0..<bound without modulo bias (Lemire's multiply-and-reject).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "RandomGenerator.nextInt: bound \(bound) must be positive")
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            let threshold = (0 &- b) % b
            while product.low < threshold { product = next().multipliedFullWidth(by: b) }
        }
        return Int(product.high)
    }

    public mutating func fillUniform(_ out: UnsafeMutablePointer<Float>, count: Int, low: Float, high: Float) {
        let width = high - low
        for i in 0..<count { out[i] = low + width * nextFloat() }
    }

    // MARK: Normal

    /// A standard normal draw (Box–Muller in double precision).
    public mutating func nextNormal() -> Double {
        if let spare = spareNormal { spareNormal = nil; return spare }
        let u1 = 1 - nextDouble()   // (0, 1]: log never sees 0
        let u2 = nextDouble()
        let radius = (-2 * Foundation.log(u1)).squareRoot()
        spareNormal = radius * Foundation.sin(2 * Double.pi * u2)
        return radius * Foundation.cos(2 * Double.pi * u2)
    }

    public mutating func fillNormal(_ out: UnsafeMutablePointer<Float>, count: Int, mean: Float, std: Float) {
        for i in 0..<count { out[i] = mean + std * Float(nextNormal()) }
    }

    // MARK: Discrete

    /// A Poisson draw with the given mean: multiplication of uniforms for small means, and
    /// Hörmann's transformed rejection (PTRS, 1993) from mean 10 on, where that would be slow.
    public mutating func nextPoisson(mean: Double) -> Int {
        precondition(mean >= 0 && mean.isFinite, "RandomGenerator.nextPoisson: mean \(mean) must be finite and ≥ 0")
        if mean == 0 { return 0 }
        if mean < 10 {
            let limit = Foundation.exp(-mean)
            var k = 0
            var product = nextDouble()
            while product > limit { k += 1; product *= nextDouble() }
            return k
        }
        let slam = mean.squareRoot(), logLam = Foundation.log(mean)
        let b = 0.931 + 2.53 * slam
        let a = -0.059 + 0.02483 * b
        let invAlpha = 1.1239 + 1.1328 / (b - 3.4)
        let vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = nextDouble() - 0.5
            let v = nextDouble()
            let us = 0.5 - Swift.abs(u)
            let k = Foundation.floor((2 * a / us + b) * u + mean + 0.43)
            if us >= 0.07 && v <= vr { return Int(k) }
            if k < 0 || (us < 0.013 && v > us) { continue }
            let lhs = Foundation.log(v) + Foundation.log(invAlpha) - Foundation.log(a / (us * us) + b)
            let rhs = -mean + k * logLam - Foundation.lgamma(k + 1)
            if lhs <= rhs { return Int(k) }
        }
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var items = Array(0..<n)
        shuffle(&items)
        return items
    }

    /// Shuffles in place (Fisher–Yates), uniformly.
    public mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(i, nextInt(below: i + 1))
        }
    }

    /// `k` distinct values from 0..<n in random order. Partial Fisher–Yates when k is a large
    /// share of n, Floyd's algorithm (then a shuffle) when it is small, so memory stays O(k).
    public mutating func sample(_ k: Int, from n: Int) -> [Int] {
        precondition(k >= 0 && k <= n, "RandomGenerator.sample: cannot draw \(k) distinct values from \(n)")
        if k * 4 >= n {
            var items = Array(0..<n)
            for i in 0..<k { items.swapAt(i, i + nextInt(below: n - i)) }
            return Array(items[..<k])
        }
        var chosen = Set<Int>(minimumCapacity: k)
        var order: [Int] = []
        order.reserveCapacity(k)
        for j in (n - k)..<n {
            let t = nextInt(below: j + 1)
            let pick = chosen.contains(t) ? j : t
            chosen.insert(pick)
            order.append(pick)
        }
        shuffle(&order)
        return order
    }
}
