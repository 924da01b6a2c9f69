import Foundation
#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// Writes that survive a crash or a `kill -9` at any instant: each file is written in full and
/// flushed to the disk (fsync) before it is renamed into place, so a reader finds either the old
/// version or the new one, never a mix or a torn file. The one implementation behind checkpoints,
/// `run.json` and the trimming of `metrics.jsonl`.
public enum DurableWrite {
    /// Writes `data` to `file` via a flushed temporary sibling renamed over it.
    public static func write(_ data: Data, to file: URL) throws {
        let parent = file.deletingLastPathComponent()
        let temporary = parent.appendingPathComponent(".\(file.lastPathComponent).\(UInt64.random(in: 0 ... .max)).tmp")
        do {
            try writeFlushed(data, to: temporary)
            try posix(rename(temporary.path, file.path), file.path)
            try syncFolder(parent)
        } catch {
            unlink(temporary.path)
            throw error
        }
    }

    /// Writes `files` (by name) as the folder `folder`: into a flushed temporary sibling, then
    /// exchanged with the old folder in one atomic rename where the system can (Linux
    /// `renameat2(RENAME_EXCHANGE)`, macOS `renamex_np(RENAME_SWAP)`), so the previous folder stays
    /// whole until the new one is complete and in place.
    public static func writeFolder(_ files: [String: Data], to folder: URL) throws {
        let manager = FileManager.default
        let parent = folder.deletingLastPathComponent()
        do { try manager.createDirectory(at: parent, withIntermediateDirectories: true) } catch {
            throw RecurrentDepthError.writeFailed(parent.path, reason: error.localizedDescription)
        }
        let tag = UInt64.random(in: 0 ... .max)
        let temporary = parent.appendingPathComponent(".\(folder.lastPathComponent).\(tag).tmp")
        do {
            try manager.createDirectory(at: temporary, withIntermediateDirectories: false)
            for (name, data) in files.sorted(by: { $0.key < $1.key }) { try writeFlushed(data, to: temporary.appendingPathComponent(name)) }
            try syncFolder(temporary)
            if manager.fileExists(atPath: folder.path) {
                try exchange(temporary, folder)
                // `temporary` now names the previous folder.
                try? manager.removeItem(at: temporary)
            } else {
                try posix(rename(temporary.path, folder.path), folder.path)
            }
            try syncFolder(parent)
        } catch {
            try? manager.removeItem(at: temporary)
            if let error = error as? RecurrentDepthError { throw error }
            throw RecurrentDepthError.writeFailed(folder.path, reason: error.localizedDescription)
        }
    }

    /// Flushes a folder's entries (new names, renames) to the disk.
    public static func syncFolder(_ folder: URL) throws {
        let fd = open(folder.path, O_RDONLY)
        guard fd >= 0 else { throw failure(folder.path) }
        defer { close(fd) }
        try posix(fsync(fd), folder.path)
    }

    private static func writeFlushed(_ data: Data, to file: URL) throws {
        let fd = open(file.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw failure(file.path) }
        defer { close(fd) }
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let written = systemWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure(file.path)
                }
                offset += written
            }
        }
        try posix(fsync(fd), file.path)
    }

    /// Swaps the names of two folders atomically; where the system cannot, moves `b` aside first
    /// (a crash between the two renames leaves `.NAME.TAG.old`, which `recover(_:)` puts back).
    private static func exchange(_ a: URL, _ b: URL) throws {
        #if os(Linux)
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") {
            let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
            let exchangeFlag: UInt32 = 2  // RENAME_EXCHANGE
            if renameat2(AT_FDCWD, a.path, AT_FDCWD, b.path, exchangeFlag) == 0 { return }
            if errno != EINVAL && errno != ENOSYS { throw failure(b.path) }
        }
        #elseif canImport(Darwin)
        if renamex_np(a.path, b.path, UInt32(RENAME_SWAP)) == 0 { return }
        #endif
        let aside = b.deletingLastPathComponent().appendingPathComponent(".\(b.lastPathComponent).\(UInt64.random(in: 0 ... .max)).old")
        try posix(rename(b.path, aside.path), b.path)
        try posix(rename(a.path, b.path), b.path)
        try posix(rename(aside.path, a.path), a.path)
    }

    /// Puts back a folder left aside by an exchange that a crash cut short (only where the system
    /// has no atomic exchange); true when one was restored.
    @discardableResult
    public static func recover(_ folder: URL) -> Bool {
        let manager = FileManager.default
        guard !manager.fileExists(atPath: folder.path) else { return false }
        let parent = folder.deletingLastPathComponent()
        let prefix = ".\(folder.lastPathComponent)."
        guard let aside = (try? manager.contentsOfDirectory(atPath: parent.path))?
            .first(where: { $0.hasPrefix(prefix) && $0.hasSuffix(".old") }) else { return false }
        return rename(parent.appendingPathComponent(aside).path, folder.path) == 0
    }

    /// Deletes the temporaries (`.NAME.TAG.tmp`) that writes into `folder` left when a kill cut
    /// them short: never complete, so never read, but as large as what they were writing. Call it
    /// only while nothing writes there (before resuming). Returns the names removed.
    @discardableResult
    public static func removeAbandonedTemporaries(in folder: URL) -> [String] {
        let manager = FileManager.default
        let names = (try? manager.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasPrefix(".") && $0.hasSuffix(".tmp") }.filter {
            (try? manager.removeItem(at: folder.appendingPathComponent($0))) != nil
        }
    }

    private static func posix(_ result: Int32, _ path: String) throws {
        if result != 0 { throw failure(path) }
    }

    private static func failure(_ path: String) -> RecurrentDepthError {
        .writeFailed(path, reason: String(cString: strerror(errno)))
    }
}
