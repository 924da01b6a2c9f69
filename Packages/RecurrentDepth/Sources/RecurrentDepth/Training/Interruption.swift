import Foundation

/// A request to stop training cleanly (checkpoint, then return). Set by SIGINT/SIGTERM once
/// `installSignalHandlers()` has run, or by code (a test, a UI); the trainer checks it after every step.
public enum Interruption {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var flag = false
    nonisolated(unsafe) private static var receivedSignal: Int32?
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    public static var isRequested: Bool { lock.withLock { flag } }

    /// The signal that requested the stop (SIGINT, SIGTERM); nil when none did.
    public static var stopSignal: Int32? { lock.withLock { receivedSignal } }

    public static func request(signal: Int32? = nil) {
        lock.withLock {
            flag = true
            if receivedSignal == nil { receivedSignal = signal }
        }
    }

    public static func reset() { lock.withLock { flag = false; receivedSignal = nil } }

    /// Routes SIGINT and SIGTERM to `request()` instead of killing the process. A second signal
    /// while a checkpoint is being written is ignored; the run stops right after it.
    public static func installSignalHandlers() {
        lock.withLock {
            guard sources.isEmpty else { return }
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { Interruption.request(signal: number) }
                source.resume()
                sources.append(source)
            }
        }
    }
}
