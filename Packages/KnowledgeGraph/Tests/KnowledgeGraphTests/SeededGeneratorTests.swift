import Foundation
import XCTest
import KnowledgeGraph

final class SeededGeneratorTests: XCTestCase {
    func testSameSeedSameStreamDifferentSeedDifferentStream() {
        var a = SeededGenerator(seed: 7), b = SeededGenerator(seed: 7), c = SeededGenerator(seed: 8)
        let xs = (0..<50).map { _ in a.next() }
        XCTAssertEqual(xs, (0..<50).map { _ in b.next() })
        XCTAssertNotEqual(xs, (0..<50).map { _ in c.next() })
    }

    func testKnownFirstOutputsPinTheAlgorithm() {
        // xoshiro256** seeded by SplitMix64 from 0; a change of algorithm changes every dataset.
        var g = SeededGenerator(seed: 0)
        let first = (0..<3).map { _ in g.next() }
        var h = SeededGenerator(seed: 0)
        XCTAssertEqual(first, (0..<3).map { _ in h.next() })
        XCTAssertEqual(first[0], 0x99EC_5F36_CB75_F2B4)
    }

    func testStateRoundTripsThroughCodable() throws {
        var g = SeededGenerator(seed: 3)
        _ = (0..<10).map { _ in g.next() }
        var restored = try JSONDecoder().decode(SeededGenerator.self, from: JSONEncoder().encode(g))
        XCTAssertEqual((0..<20).map { _ in g.next() }, (0..<20).map { _ in restored.next() })
    }

    func testUniformIsInRangeAndRoughlyFlat() {
        var g = SeededGenerator(seed: 1)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[g.uniform(below: 7)] += 1 }
        for c in counts { XCTAssertEqual(Double(c), 10_000, accuracy: 400) }
        XCTAssertEqual(g.uniform(below: 1), 0)
    }

    func testShufflePermutationAndSampling() {
        var g = SeededGenerator(seed: 2)
        let p = g.permutation(200)
        XCTAssertEqual(p.sorted(), Array(0..<200))
        XCTAssertNotEqual(p, Array(0..<200))
        for (k, n) in [(0, 3), (3, 3), (10, 1_000), (900, 1_000), (50, 10_000_000)] {
            let s = g.sample(k, from: n)
            XCTAssertEqual(s.count, k)
            XCTAssertEqual(Set(s).count, k, "sample(\(k), from: \(n)) repeats a value")
            XCTAssertTrue(s.allSatisfy { $0 >= 0 && $0 < n })
        }
        // Every position of a shuffle is reachable: the first element lands everywhere.
        var firstLands = Set<Int>()
        for _ in 0..<500 {
            var xs = Array(0..<5)
            g.shuffle(&xs)
            firstLands.insert(xs.firstIndex(of: 0)!)
        }
        XCTAssertEqual(firstLands, Set(0..<5))
    }
}
