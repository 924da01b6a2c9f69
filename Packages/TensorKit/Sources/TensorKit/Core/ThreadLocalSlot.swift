#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One pointer per thread, nil until set (a pthread key: Swift has no thread-local variables).
/// For state that data-parallel training must keep apart on each core: grad mode, and which
/// backward pass is running.
struct ThreadLocalSlot: @unchecked Sendable {
    private let key: pthread_key_t

    init() {
        var key = pthread_key_t()
        let rc = pthread_key_create(&key, nil)
        precondition(rc == 0, "ThreadLocalSlot: pthread_key_create failed (\(rc))")
        self.key = key
    }

    var value: UnsafeMutableRawPointer? {
        get { pthread_getspecific(key) }
        nonmutating set { pthread_setspecific(key, newValue) }
    }

    /// Runs `body` with the slot set to `value`, then restores what it held.
    func with<R>(_ value: UnsafeMutableRawPointer?, _ body: () throws -> R) rethrows -> R {
        let saved = self.value
        self.value = value
        defer { self.value = saved }
        return try body()
    }
}
