import Foundation

/// Writes a file so that readers see either the old file or the complete new one, never a part:
/// the bytes go to a temporary file in the same directory, which is then renamed over the target.
enum AtomicFile {
    static func write(_ bytes: [UInt8], to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw failure(url, errno) }
        var written = 0
        let ok: Bool = bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 { if errno == EINTR { continue }; return false }
                written += n
            }
            return true
        }
        let writeErrno = errno
        close(fd)
        guard ok else {
            unlink(temporary.path)
            throw failure(url, writeErrno)
        }
        guard rename(temporary.path, url.path) == 0 else {
            let e = errno
            unlink(temporary.path)
            throw failure(url, e)
        }
    }

    private static func failure(_ url: URL, _ code: Int32) -> KnowledgeGraphError {
        .writeFailed(file: url.path, reason: String(cString: strerror(code)))
    }
}
