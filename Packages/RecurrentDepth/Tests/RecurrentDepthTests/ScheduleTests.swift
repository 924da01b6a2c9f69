import Foundation
import XCTest
import TensorKit
import RecurrentDepth

final class ScheduleTests: XCTestCase {
    func testFixed() {
        var generator = RandomGenerator(seed: 1)
        let schedule = FixedRecurrence(5)
        XCTAssertEqual((0..<10).map { schedule.recurrence(for: RecurrenceContext(step: $0), generator: &generator) }, Array(repeating: 5, count: 10))
        XCTAssertEqual(schedule.maximum, 5)
    }

    /// r ~ Poisson(4) clamped to [2, 8]: the empirical frequencies match the clamped distribution.
    func testDynamicMatchesTheClampedPoissonDistribution() {
        var generator = RandomGenerator(seed: 42)
        let schedule = DynamicRecurrence()
        let n = 200_000
        var counts = [Int](repeating: 0, count: 9)
        for step in 0..<n { counts[schedule.recurrence(for: RecurrenceContext(step: step), generator: &generator)] += 1 }
        func pmf(_ k: Int) -> Double { exp(-4) * pow(4, Double(k)) / tgamma(Double(k) + 1) }
        var expected = [Double](repeating: 0, count: 9)
        expected[2] = pmf(0) + pmf(1) + pmf(2)
        for k in 3...7 { expected[k] = pmf(k) }
        expected[8] = 1 - expected[2...7].reduce(0, +)
        XCTAssertEqual(counts[0] + counts[1], 0)
        for k in 2...8 {
            let p = expected[k], sd = (p * (1 - p) / Double(n)).squareRoot()
            XCTAssertEqual(Double(counts[k]) / Double(n), p, accuracy: 5 * sd, "P(r = \(k))")
        }
    }

    /// A schedule written outside the package plugs in through the protocol alone.
    struct HopTied: RecurrenceSchedule {
        func recurrence(for context: RecurrenceContext, generator: inout RandomGenerator) -> Int { (context.hops.max() ?? 1) + 1 }
        var maximum: Int { 41 }
        var name: String { "hop-tied" }
    }

    func testThirdPartyScheduleNeedsOnlyTheProtocol() {
        var generator = RandomGenerator(seed: 1)
        let schedule: RecurrenceSchedule = HopTied()
        XCTAssertEqual(schedule.recurrence(for: RecurrenceContext(step: 0, stage: 3, hops: [1, 3, 2]), generator: &generator), 4)
    }
}
