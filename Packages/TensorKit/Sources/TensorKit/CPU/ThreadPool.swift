#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

#if arch(x86_64) && !TENSORKIT_NO_CPU_HINTS
// x86 `pause` via its LLVM intrinsic (Swift has no spin-hint API): a polite poll that frees
// execution resources and avoids the memory-order flush when the awaited store lands.
@_silgen_name("llvm.x86.sse2.pause")
private func cpuPause()
#else
// Other processors, and ThreadSanitizer builds (which cannot instrument the intrinsic).
@inline(__always) private func cpuPause() {}
#endif

/// A small persistent thread pool: the caller plus `threadCount - 1` parked workers.
///
/// Built for 2-core machines, where `DispatchQueue.concurrentPerform` (~0.3 µs) and task groups
/// (~3 µs) cost more than many kernels take. Workers poll briefly after each job (the next one
/// usually follows within microseconds), then sleep on a condition variable.
///
/// The pool only distributes independent indices; which thread runs an index must never change
/// a result. One job runs at a time: a call made while the pool is busy (from another thread, or
/// nested inside a body) runs serially on its own thread instead of waiting — except inside
/// `parallelFor(groups:_:)`, where each index has a group of the threads to itself.
public final class ThreadPool: @unchecked Sendable {
    /// Shared pool sized to the active processor count, or to `TENSORKIT_THREADS` when set.
    public static let shared: ThreadPool = {
        if let s = ProcessInfo.processInfo.environment["TENSORKIT_THREADS"], let n = Int(s), n > 0 {
            return ThreadPool(threads: n)
        }
        return ThreadPool(threads: ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Threads that run a job, the caller included.
    public var threadCount: Int { core.workerCount + 1 }

    /// Threads a job started now would run on: 1 while the pool is busy, when a call (from
    /// inside a job, or from another thread during one) runs serially. Work split for many
    /// threads can then skip the splitting. A hint: a job may start or end right after.
    /// Inside `parallelFor(groups:_:)`, the threads of the running index's group.
    public var availableThreads: Int {
        if let group { return group.availableThreads }
        return core.isBusy ? 1 : threadCount
    }

    private let core: ThreadPoolCore
    /// Set on the pools that are groups of another pool's threads: that pool.
    private let parent: ObjectIdentifier?
    /// The groups of `parallelFor(groups:_:)` by group count, built on first use; nil stands for a
    /// group of one thread (the one running the index).
    private let groupsByCount = Locked<[Int: [ThreadPool?]]>([:])
    // The group of the index this thread is running inside `parallelFor(groups:_:)`.
    private static let groupSlot = ThreadLocalSlot()

    public convenience init(threads: Int) {
        self.init(threads: threads, parent: nil)
    }

    private init(threads: Int, parent: ObjectIdentifier?) {
        core = ThreadPoolCore(workers: max(threads, 1) - 1)
        self.parent = parent
    }

    deinit { core.stop() }

    /// Runs `body(i)` for every `i` in `0..<count`, spread over the caller and the workers, and
    /// returns when all are done. Indices are claimed dynamically, so `body` must not depend on
    /// which thread runs it. Inside `parallelFor(groups:_:)`, runs on the index's group.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        if let group { return group.parallelFor(count, body) }
        core.run(count, body)
    }

    /// Like `parallelFor`, for indices that are each worth parallelizing inside (the slices of a
    /// batch): the threads are dealt out into `count` groups as evenly as they go, and the work
    /// that `body(i)` gives this pool (`parallelFor`, `availableThreads`) runs on index i's group,
    /// side by side with the other groups. With no more threads than indices it is `parallelFor`.
    /// As with `parallelFor`, the thread count must never change a result.
    public func parallelFor(groups count: Int, _ body: (Int) -> Void) {
        if let group { return group.parallelFor(groups: count, body) }
        // One index keeps the whole pool; a busy pool runs the indices serially, as `parallelFor` does.
        if count <= 1 || core.isBusy { return core.run(count, body) }
        let groups = self.groups(count)
        if groups.allSatisfy({ $0 == nil }) { return core.run(count, body) }
        core.run(count) { i in
            guard let group = groups[i] else { return body(i) }
            Self.groupSlot.with(Unmanaged.passUnretained(group).toOpaque()) { body(i) }
        }
    }

    /// The group of this thread's running index when this pool is the one that was split.
    private var group: ThreadPool? {
        guard let raw = Self.groupSlot.value else { return nil }
        let group = Unmanaged<ThreadPool>.fromOpaque(raw).takeUnretainedValue()
        return group.parent == ObjectIdentifier(self) ? group : nil
    }

    /// `count` groups of `threadCount / count` or one more threads each; each group's first
    /// thread is the one that runs its index, the rest are the group's own workers.
    private func groups(_ count: Int) -> [ThreadPool?] {
        groupsByCount.withLock { cache in
            if let groups = cache[count] { return groups }
            let n = threadCount
            let groups = (0..<count).map { i -> ThreadPool? in
                let size = n / count + (i < n % count ? 1 : 0)
                return size > 1 ? ThreadPool(threads: size, parent: ObjectIdentifier(self)) : nil
            }
            cache[count] = groups
            return groups
        }
    }
}

/// The state workers share; separate from `ThreadPool` so workers never keep the pool alive.
private final class ThreadPoolCore: @unchecked Sendable {
    let workerCount: Int
    // Bumped to publish a job; each worker remembers the last generation it saw.
    private let generation = Atomic<Int>(0)
    // Generation of the job still accepting workers, or 0 once the caller has closed it.
    private let openJob = Atomic<Int>(0)
    // Workers currently inside a job (Dekker-style handshake with `openJob`).
    private let participants = Atomic<Int>(0)
    private let nextIndex = Atomic<Int>(0)
    // Held by a caller for the duration of a job; a failed claim means "run serially".
    private let busy = Atomic<Bool>(false)
    private let sleepers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    // Written only while no worker participates (published by the generation bump).
    private nonisolated(unsafe) var job: ((Int) -> Void)?
    private nonisolated(unsafe) var jobCount = 0
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let cond: UnsafeMutablePointer<pthread_cond_t>

    // Poll this long after a job before sleeping (wake-up from sleep costs tens of µs).
    private static let spinNanoseconds: UInt64 = 200_000

    init(workers: Int) {
        workerCount = workers
        mutex = .allocate(capacity: 1)
        cond = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
        for _ in 0..<workers {
            let box = Unmanaged.passRetained(self).toOpaque()
            var tid = pthread_t()
            let rc = pthread_create(&tid, nil, { raw in
                let core = Unmanaged<ThreadPoolCore>.fromOpaque(raw!).takeRetainedValue()
                core.workerLoop()
                return nil
            }, box)
            precondition(rc == 0, "ThreadPool: pthread_create failed (\(rc))")
            pthread_detach(tid)
        }
    }

    // Runs once the pool and every worker have let go (each worker holds a reference until it exits).
    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    var isBusy: Bool { busy.load(ordering: .relaxed) }

    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(cond)
        pthread_mutex_unlock(mutex)
    }

    func run(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        if count == 1 || workerCount == 0
            || !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            job = escapable
            jobCount = count
            nextIndex.store(0, ordering: .relaxed)
            let gen = generation.load(ordering: .relaxed) &+ 1
            openJob.store(gen, ordering: .sequentiallyConsistent)
            generation.store(gen, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(cond)
                pthread_mutex_unlock(mutex)
            }
            while true {
                let i = nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue
                if i >= count { break }
                escapable(i)
            }
            // Close the job so late wakers skip it, then wait for workers still inside it.
            openJob.store(0, ordering: .sequentiallyConsistent)
            while participants.load(ordering: .sequentiallyConsistent) != 0 { cpuPause() }
            job = nil
        }
        busy.store(false, ordering: .releasing)
    }

    private func workerLoop() {
        var seen = 0
        while true {
            if generation.load(ordering: .acquiring) == seen {
                let start = Self.now()
                var polls = 0
                while generation.load(ordering: .acquiring) == seen {
                    cpuPause()
                    polls &+= 1
                    if polls & 255 != 0 || Self.now() &- start < Self.spinNanoseconds { continue }
                    pthread_mutex_lock(mutex)
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while generation.load(ordering: .sequentiallyConsistent) == seen {
                        pthread_cond_wait(cond, mutex)
                    }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_unlock(mutex)
                }
            }
            seen = generation.load(ordering: .acquiring)
            if stopping.load(ordering: .acquiring) { return }
            participants.add(1, ordering: .sequentiallyConsistent)
            if openJob.load(ordering: .sequentiallyConsistent) == seen { runJob() }
            participants.subtract(1, ordering: .sequentiallyConsistent)
        }
    }

    // Separate function so the closure copy is released before leaving `participants`.
    @inline(never)
    private func runJob() {
        guard let body = job else { return }
        let count = jobCount
        while true {
            let i = nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue
            if i >= count { break }
            body(i)
        }
    }

    private static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
