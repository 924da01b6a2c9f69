import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A safetensors file in memory: named tensors plus string→string metadata.
///
/// Layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {…}}`, then the data section;
/// offsets count from the start of the data section.
///
/// Reading validates everything and throws `SafeTensorsError` for any malformed file, never traps.
/// Like the Rust reference reader, the tensors must tile the data section exactly: overlaps, gaps and
/// trailing bytes are all rejected, so every byte belongs to exactly one tensor. Unknown fields inside
/// a tensor entry are ignored and `"__metadata__": null` means no metadata, as in Rust. Stricter than
/// Rust: duplicate JSON keys are rejected rather than resolved silently.
public struct SafeTensorsArchive: Sendable {
    public var entries: [String: SafeTensorsEntry]
    public var metadata: [String: String]
    /// Where the archive was read from ("<memory>" otherwise); errors name it.
    public var source: String

    /// Same cap as the Rust reader: a larger header is hostile or corrupt, and parsing it would be costly.
    static let maximumHeaderLength: UInt64 = 100_000_000
    static let metadataKey = "__metadata__"

    public init(entries: [String: SafeTensorsEntry] = [:], metadata: [String: String] = [:]) {
        self.entries = entries
        self.metadata = metadata
        self.source = "<memory>"
    }

    public init(contentsOf url: URL) throws {
        try self.init(bytes: Self.readFile(atPath: url.path), source: url.path)
    }

    public init(bytes: [UInt8], source: String = "<memory>") throws {
        do {
            guard bytes.count >= 8 else { throw Failure(.fileTooShort(byteCount: bytes.count)) }
            let headerLength = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard headerLength <= Self.maximumHeaderLength else { throw Failure(.headerTooLarge(length: headerLength)) }
            guard headerLength <= UInt64(bytes.count - 8) else {
                throw Failure(.headerPastEnd(length: headerLength, available: bytes.count - 8))
            }
            let dataStart = 8 + Int(headerLength)
            let header = try Header(json: Array(bytes[8..<dataStart]), dataLength: bytes.count - dataStart)
            self.entries = Dictionary(uniqueKeysWithValues: header.placements.map { placement in
                let data = Array(bytes[dataStart + placement.begin ..< dataStart + placement.end])
                return (placement.name, SafeTensorsEntry(dtype: placement.dtype, shape: placement.shape, bytes: data))
            })
            self.metadata = header.metadata
            self.source = source
        } catch let failure as Failure {
            throw SafeTensorsError(source: source, problem: failure.problem)
        }
    }

    public subscript(name: String) -> SafeTensorsEntry? {
        get { entries[name] }
        set { entries[name] = newValue }
    }

    public func entry(_ name: String) throws -> SafeTensorsEntry {
        guard let entry = entries[name] else { throw SafeTensorsError(source: source, problem: .missingTensor(name)) }
        return entry
    }

    /// The file's bytes, deterministically: compact JSON with `__metadata__` first, then the tensors sorted
    /// by name (UTF-8 byte order) with their data in that order, and the header padded with spaces to a
    /// multiple of 8 bytes, as Python's `safetensors` writer does. (That writer orders mixed-dtype tensors by
    /// dtype size first, so only files whose tensors share a dtype come out byte-identical.)
    /// Traps if an entry's bytes do not match its dtype and shape, or a tensor is named `__metadata__`.
    public func serialized() -> [UInt8] {
        let names = entries.keys.sorted(by: Self.utf8Order)
        var members: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted(by: Self.utf8Order).map { SafeTensorsJSON.quoted($0) + ":" + SafeTensorsJSON.quoted(metadata[$0]!) }
            members.append(SafeTensorsJSON.quoted(Self.metadataKey) + ":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for name in names {
            let entry = entries[name]!
            precondition(name != Self.metadataKey, "SafeTensorsArchive: a tensor cannot be named \(Self.metadataKey)")
            precondition(SafeTensorsEntry.byteCount(dtype: entry.dtype, shape: entry.shape) == entry.bytes.count,
                         "SafeTensorsArchive: tensor '\(name)': \(entry.bytes.count) bytes do not match \(entry.dtype) \(entry.shape)")
            let shape = entry.shape.map(String.init).joined(separator: ",")
            let end = offset + entry.bytes.count
            members.append(SafeTensorsJSON.quoted(name)
                + ":{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array("{\(members.joined(separator: ","))}".utf8)
        header += repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8)

        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes += $0 }
        bytes += header
        for name in names { bytes += entries[name]!.bytes }
        return bytes
    }

    /// Writes atomically: readers see the old file or the complete new one, never a partial write.
    public func write(to url: URL) throws {
        try Self.writeFileAtomically(serialized(), toPath: url.path)
    }
}

// MARK: - Header validation and file I/O, nested so that no name can collide elsewhere in the module

extension SafeTensorsArchive {
    /// Carries a problem out of the parsing code; `init(bytes:source:)` attaches the source.
    private struct Failure: Error {
        var problem: SafeTensorsError.Problem
        init(_ problem: SafeTensorsError.Problem) { self.problem = problem }
    }

    private struct Placement {
        var name: String
        var dtype: SafeTensorsDType
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    /// The validated header: tensors whose byte ranges tile the data section exactly, and the metadata.
    private struct Header {
        var placements: [Placement] = []
        var metadata: [String: String] = [:]

        init(json: [UInt8], dataLength: Int) throws {
            guard String(validating: json, as: UTF8.self) != nil else { throw Failure(.headerNotUTF8) }
            let parsed: Any
            do {
                // Fragments allowed so that a bare scalar is reported as "not an object" rather than "not JSON".
                parsed = try JSONSerialization.jsonObject(with: Data(json), options: .fragmentsAllowed)
            } catch {
                let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
                throw Failure(.headerNotJSON(reason))
            }
            guard let object = parsed as? [String: Any] else { throw Failure(.headerNotObject) }
            if let key = SafeTensorsJSON.firstDuplicateKey(in: json) { throw Failure(.duplicateKey(key)) }

            if let raw = object[SafeTensorsArchive.metadataKey], !(raw is NSNull) { // null: no metadata, as in Rust
                guard let pairs = raw as? [String: Any] else { throw Failure(.metadataNotObject) }
                for key in pairs.keys.sorted(by: SafeTensorsArchive.utf8Order) {
                    guard let value = pairs[key] as? String else { throw Failure(.metadataValueNotString(key: key)) }
                    metadata[key] = value
                }
            }
            // Sorted so that a file with several problems always reports the same one.
            for name in object.keys.sorted(by: SafeTensorsArchive.utf8Order) where name != SafeTensorsArchive.metadataKey {
                placements.append(try Self.placement(name: name, entry: object[name]!, dataLength: dataLength))
            }
            try Self.checkTiling(placements, dataLength: dataLength)
        }

        private static func placement(name: String, entry: Any, dataLength: Int) throws -> Placement {
            guard let fields = entry as? [String: Any] else { throw Failure(.entryNotObject(tensor: name)) }
            func field(_ key: String) throws -> Any {
                guard let value = fields[key] else { throw Failure(.missingField(tensor: name, field: key)) }
                return value
            }
            func integers(_ key: String, count: Int?) throws -> [Int] {
                let expected = count == nil ? "must be an array of integers" : "must be an array of \(count!) integers"
                guard let array = try field(key) as? [Any], count == nil || array.count == count else {
                    throw Failure(.invalidField(tensor: name, field: key, reason: expected))
                }
                return try array.enumerated().map { index, element in
                    switch SafeTensorsJSON.nonNegativeInteger(element) {
                    case .success(let value): return value
                    case .failure(let reason):
                        throw Failure(.invalidField(tensor: name, field: key, reason: "element \(index) \(reason.text)"))
                    }
                }
            }

            guard let dtypeName = try field("dtype") as? String else {
                throw Failure(.invalidField(tensor: name, field: "dtype", reason: "must be a string"))
            }
            guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
                throw Failure(.unknownDType(tensor: name, dtype: dtypeName))
            }
            let shape = try integers("shape", count: nil)
            let offsets = try integers("data_offsets", count: 2)
            let (begin, end) = (offsets[0], offsets[1])
            guard let needed = SafeTensorsEntry.byteCount(dtype: dtype, shape: shape) else {
                throw Failure(.shapeOverflow(tensor: name, shape: shape))
            }
            guard begin <= end else { throw Failure(.invalidOffsets(tensor: name, begin: begin, end: end)) }
            guard end <= dataLength else {
                throw Failure(.offsetsOutOfRange(tensor: name, begin: begin, end: end, dataLength: dataLength))
            }
            guard end - begin == needed else {
                throw Failure(.byteCountMismatch(tensor: name, begin: begin, end: end, dtype: dtype, shape: shape))
            }
            return Placement(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
        }

        /// Walks the ranges in order: each must start where the previous one ended, and the last must end
        /// at the end of the data. Empty tensors are fine at any boundary.
        private static func checkTiling(_ placements: [Placement], dataLength: Int) throws {
            let ordered = placements.sorted {
                ($0.begin, $0.end) != ($1.begin, $1.end) ? ($0.begin, $0.end) < ($1.begin, $1.end) : SafeTensorsArchive.utf8Order($0.name, $1.name)
            }
            var covered = 0
            var previous = ""
            for placement in ordered {
                if placement.begin < covered { throw Failure(.overlappingTensors(previous, placement.name)) }
                if placement.begin > covered { throw Failure(.uncoveredData(begin: covered, end: placement.begin)) }
                covered = placement.end
                previous = placement.name
            }
            if covered < dataLength { throw Failure(.uncoveredData(begin: covered, end: dataLength)) }
        }
    }

    /// Byte order of the UTF-8 encodings, as Rust and Python sort names (Swift's `<` on String differs).
    private static func utf8Order(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    // File I/O is plain POSIX, for fsync and for short error messages ("No such file or directory").

    private static func posixFailure(_ path: String, _ what: String, write: Bool) -> SafeTensorsError {
        let reason = what + String(cString: strerror(errno))
        return SafeTensorsError(source: path, problem: write ? .writeFailed(reason) : .readFailed(reason))
    }

    private static func readFile(atPath path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Self.posixFailure(path, "", write: false) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            if count < 0 {
                if errno == EINTR { continue }
                throw Self.posixFailure(path, "", write: false)
            }
            bytes += chunk[0..<count]
        }
    }

    /// Writes a hidden temporary file next to the destination, fsyncs it, renames it over the destination
    /// (atomic within one file system), then fsyncs the folder so the rename survives a crash.
    private static func writeFileAtomically(_ bytes: [UInt8], toPath path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UInt64.random(in: 0 ... .max)).tmp").path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.posixFailure(path, "cannot create \(temporary): ", write: true) }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }

        var written = 0
        while written < bytes.count {
            // pwrite rather than write: inside this type, `write` would name the method write(to:).
            let count = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + written, $0.count - written, off_t(written)) }
            if count < 0 {
                if errno == EINTR { continue }
                let failure = Self.posixFailure(path, "writing \(temporary): ", write: true)
                close(descriptor)
                throw failure
            }
            written += count
        }
        guard fsync(descriptor) == 0 else {
            let failure = Self.posixFailure(path, "syncing \(temporary): ", write: true)
            close(descriptor)
            throw failure
        }
        guard close(descriptor) == 0 else { throw Self.posixFailure(path, "closing \(temporary): ", write: true) }
        guard rename(temporary, path) == 0 else { throw Self.posixFailure(path, "renaming \(temporary): ", write: true) }
        renamed = true

        let folderDescriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            _ = fsync(folderDescriptor) // best effort: the data itself is already durable
            close(folderDescriptor)
        }
    }
}
