import Foundation
import RecurrentDepth

/// A `TrainingGroup` of ranks that are threads of this process: `run` starts one thread per rank
/// and `allGather` waits until every rank has given its values, as an MPI allgather does. A rank
/// that fails makes the others' gathers fail too, rather than wait for it forever.
final class LocalTrainingGroup: TrainingGroup, @unchecked Sendable {
    let rank: Int
    let size: Int
    private let exchange: Exchange

    private init(rank: Int, exchange: Exchange) {
        self.rank = rank
        self.size = exchange.size
        self.exchange = exchange
    }

    func allGather(_ local: [Float]) throws -> [Float] { try exchange.gather(rank: rank, local) }

    /// `body` on `size` ranks at once, one thread each; its results in rank order.
    static func run<T>(size: Int, _ body: @escaping (LocalTrainingGroup) throws -> T) throws -> [T] {
        let exchange = Exchange(size: size)
        let done = DispatchGroup()
        let results = Results<T>(count: size)
        for rank in 0..<size {
            done.enter()
            let thread = Thread {
                let result = Result { try body(LocalTrainingGroup(rank: rank, exchange: exchange)) }
                if case .failure = result { exchange.abandon() }
                results.set(rank, result)
                done.leave()
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
        done.wait()
        return try results.values.map { try $0!.get() }
    }

    private final class Results<T>: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var values: [Result<T, Error>?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ value: Result<T, Error>) { lock.lock(); values[i] = value; lock.unlock() }
    }

    private final class Exchange: @unchecked Sendable {
        let size: Int
        private let condition = NSCondition()
        private var deposits: [[Float]?]
        private var arrived = 0, generation = 0
        private var gathered: [Float] = []
        private var abandoned = false

        struct Abandoned: Error {}

        func abandon() {
            condition.lock()
            abandoned = true
            condition.broadcast()
            condition.unlock()
        }

        init(size: Int) {
            self.size = size
            deposits = Array(repeating: nil, count: size)
        }

        func gather(rank: Int, _ local: [Float]) throws -> [Float] {
            condition.lock()
            defer { condition.unlock() }
            if abandoned { throw Abandoned() }
            let mine = generation
            deposits[rank] = local
            arrived += 1
            if arrived == size {
                // Kept until every rank has read it: the next gather cannot complete without them.
                gathered = deposits.flatMap { $0! }
                deposits = Array(repeating: nil, count: size)
                arrived = 0
                generation += 1
                condition.broadcast()
            } else {
                while generation == mine && !abandoned { condition.wait() }
                if generation == mine { throw Abandoned() }
            }
            return gathered
        }
    }
}
