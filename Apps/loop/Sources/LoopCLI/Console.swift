import Foundation

/// Where `loop` writes. Standard output holds only a command's result — a table, a report, JSON,
/// CSV — so that `loop … > file`, `| jq` or `| pandas` get nothing else; progress, the notice of
/// each file written, and warnings go to standard error.
enum Console {
    /// A line of progress or a notice (standard error, unbuffered).
    static func log(_ text: String, terminator: String = "\n") {
        FileHandle.standardError.write(Data((text + terminator).utf8))
    }

    /// `value` as JSON on standard output (sorted keys, so the shape reads the same every time).
    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try writeResult(try encoder.encode(value), to: standardOutputPath)
    }

    /// The path that means standard output for a result file (`--output -`).
    static let standardOutputPath = "-"

    /// Writes a command's result file: to standard output for `-`, else atomically to `path`,
    /// noting the file on standard error.
    static func writeResult(_ data: Data, to path: String) throws {
        if path == standardOutputPath {
            fflush(stdout)
            FileHandle.standardOutput.write(data)
            if data.last != UInt8(ascii: "\n") { FileHandle.standardOutput.write(Data("\n".utf8)) }
            return
        }
        do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw CLIError("\(path): cannot write: \(error.localizedDescription)")
        }
        log("wrote \(path)")
    }
}
