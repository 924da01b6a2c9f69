import Foundation
import XCTest
import TensorKit

final class RandomGeneratorTests: XCTestCase {
    func testSameSeedSameStreamDifferentSeedDifferentStream() {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42), c = RandomGenerator(seed: 43)
        let xs = (0..<100).map { _ in a.next() }
        XCTAssertEqual(xs, (0..<100).map { _ in b.next() })
        XCTAssertNotEqual(xs, (0..<100).map { _ in c.next() })
    }

    func testStateRoundTripsThroughCodableAndResumesTheStream() throws {
        var rng = RandomGenerator(seed: 9)
        _ = rng.nextNormal()   // leaves a spare normal waiting
        let saved = try JSONEncoder().encode(rng)
        var restored = try JSONDecoder().decode(RandomGenerator.self, from: saved)
        XCTAssertEqual((0..<10).map { _ in rng.nextNormal() }, (0..<10).map { _ in restored.nextNormal() })
    }

    func testUniformAndNormalMoments() {
        var rng = RandomGenerator(seed: 1)
        let n = 200_000
        let u = (0..<n).map { _ in Double(rng.nextFloat()) }
        XCTAssertTrue(u.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(u.reduce(0, +) / Double(n), 0.5, accuracy: 0.005)
        let t = Tensor.randomNormal([n], mean: 2, std: 3, using: &rng).scalars.map(Double.init)
        let mean = t.reduce(0, +) / Double(n)
        let variance = t.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
        XCTAssertEqual(mean, 2, accuracy: 0.03)
        XCTAssertEqual(variance, 9, accuracy: 0.1)
        let w = Tensor.randomUniform([1000], low: -2, high: -1, using: &rng).scalars
        XCTAssertTrue(w.allSatisfy { $0 >= -2 && $0 < -1 })
    }

    func testPoissonMeanAndVariance() {
        var rng = RandomGenerator(seed: 2)
        for lambda in [0.5, 4.0, 30.0, 200.0] {
            let n = 50_000
            let xs = (0..<n).map { _ in Double(rng.nextPoisson(mean: lambda)) }
            let mean = xs.reduce(0, +) / Double(n)
            let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
            XCTAssertEqual(mean, lambda, accuracy: 0.05 * lambda.squareRoot() + 0.01, "mean for λ \(lambda)")
            XCTAssertEqual(variance / lambda, 1, accuracy: 0.05, "variance for λ \(lambda)")
            XCTAssertTrue(xs.allSatisfy { $0 >= 0 })
        }
        // P(X = 4) for λ = 4 is 0.1954.
        let draws = (0..<100_000).map { _ in rng.nextPoisson(mean: 4) }
        XCTAssertEqual(Double(draws.filter { $0 == 4 }.count) / 100_000, 0.1954, accuracy: 0.005)
        XCTAssertEqual(rng.nextPoisson(mean: 0), 0)
    }

    func testPermutationAndSamplingWithoutReplacement() {
        var rng = RandomGenerator(seed: 3)
        let p = rng.permutation(100)
        XCTAssertEqual(p.sorted(), Array(0..<100))
        XCTAssertNotEqual(p, Array(0..<100))
        for (k, n) in [(0, 5), (5, 5), (3, 1000), (700, 1000), (10, 1_000_000)] {
            let s = rng.sample(k, from: n)
            XCTAssertEqual(s.count, k)
            XCTAssertEqual(Set(s).count, k, "distinct")
            XCTAssertTrue(s.allSatisfy { $0 >= 0 && $0 < n })
        }
        // Every value equally likely: 3 of 10, 30 000 times.
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0..<30_000 { for v in rng.sample(3, from: 10) { counts[v] += 1 } }
        for c in counts { XCTAssertEqual(Double(c) / 9000, 1, accuracy: 0.05) }
        // Uniform first position of a permutation.
        var first = [Int](repeating: 0, count: 4)
        for _ in 0..<40_000 { first[rng.permutation(4)[0]] += 1 }
        for c in first { XCTAssertEqual(Double(c) / 10_000, 1, accuracy: 0.05) }
        XCTAssertTrue((0..<1000).allSatisfy { _ in (0..<7).contains(rng.nextInt(below: 7)) })
    }
}
