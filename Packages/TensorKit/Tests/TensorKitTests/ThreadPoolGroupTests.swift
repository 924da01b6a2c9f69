import Foundation
import Synchronization
import XCTest
@testable import TensorKit

/// `ThreadPool.parallelFor(groups:_:)`: each index gets a group of the pool's threads, and the
/// work it gives the pool runs on that group, side by side with the other groups.
final class ThreadPoolGroupTests: XCTestCase {
    /// Spins until `count` arrivals (or 10 s, so a broken pool fails instead of hanging).
    func meet(_ arrivals: borrowing Atomic<Int>, _ count: Int) -> Bool {
        arrivals.add(1, ordering: .sequentiallyConsistent)
        let deadline = Date().addingTimeInterval(10)
        while arrivals.load(ordering: .sequentiallyConsistent) < count {
            if Date() > deadline { return false }
        }
        return true
    }

    /// Five threads in two groups: three and two. Every thread of both groups is inside an index's
    /// inner job at once (each waits for all five), so each group runs on threads of its own.
    func testEachIndexRunsItsWorkOnItsOwnGroup() {
        let pool = ThreadPool(threads: 5)
        let arrivals = Atomic<Int>(0)
        let met = Locked<[Bool]>([])
        let available = Locked<[Int: Int]>([:])
        pool.parallelFor(groups: 2) { i in
            available.withLock { $0[i] = pool.availableThreads }
            pool.parallelFor(i == 0 ? 3 : 2) { _ in
                let ok = meet(arrivals, 5)
                met.withLock { $0.append(ok) }
            }
        }
        XCTAssertEqual(available.withLock { $0 }, [0: 3, 1: 2])
        XCTAssertEqual(met.withLock { $0 }, Array(repeating: true, count: 5), "five threads were not inside the groups at once")
        // Outside the call the pool is whole again.
        XCTAssertEqual(pool.availableThreads, 5)
    }

    /// Every index and every inner index runs once, for any split of threads into groups.
    func testEveryIndexRunsOnce() {
        for threads in 1...5 {
            let pool = ThreadPool(threads: threads)
            for count in [0, 1, 2, 3, 7] {
                let hits = Locked<[Int]>(Array(repeating: 0, count: count * 10))
                pool.parallelFor(groups: count) { i in
                    pool.parallelFor(10) { j in hits.withLock { $0[i * 10 + j] += 1 } }
                }
                XCTAssertEqual(hits.withLock { $0 }, Array(repeating: 1, count: count * 10), "\(threads) threads, \(count) indices")
            }
        }
    }

    /// With no more threads than indices each index runs on one thread, as with `parallelFor`; a
    /// single index keeps the whole pool.
    func testFewThreadsRunEachIndexOnOneThread() {
        let pool = ThreadPool(threads: 2)
        let available = Locked<[Int]>([])
        pool.parallelFor(groups: 2) { _ in available.withLock { $0.append(pool.availableThreads) } }
        XCTAssertEqual(available.withLock { $0 }, [1, 1])
        pool.parallelFor(groups: 1) { _ in available.withLock { $0 = [pool.availableThreads] } }
        XCTAssertEqual(available.withLock { $0 }, [2])
    }
}
