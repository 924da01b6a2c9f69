import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A run's metrics as TensorBoard reads them: `events.out.tfevents.<seconds>.<host>` beside
/// `metrics.jsonl`, one event per metrics record holding every number of it
/// (`MetricsRecord.scalars`, tagged `train/loss`, `eval/test/2hop_test/accuracy`, …).
///
/// The format is TensorFlow's: TFRecord framing (length, masked CRC-32C of the length, the bytes,
/// masked CRC-32C of the bytes) around `Event` protocol buffers — a first event with
/// `file_version` "brain.Event:2", then events with `wall_time`, `step` and a `Summary` of
/// `simple_value`s. The few fields are encoded here by hand rather than through a protobuf
/// library: it needs no generated code and no dependency.
///
/// Every process that trains a run opens a new file, named to sort after the files already there.
/// A resumed run redoes the steps after its checkpoint; `trim(in:after:)` first removes them from
/// the earlier files (as the trainer trims `metrics.jsonl`), and the new file opens with a
/// SessionLog START at its first step, TensorFlow's restart mark, on which TensorBoard also drops
/// whatever it holds from that step on. So no reader sees a step twice or out of order.
public final class TensorBoardEventFile {
    public static let namePrefix = "events.out.tfevents."
    public static let fileVersion = "brain.Event:2"

    public let url: URL
    private let handle: FileHandle

    /// Creates the next events file in `folder` and writes its header and the restart mark at
    /// `firstStep` (the step of the first record it will hold).
    public init(in folder: URL, firstStep: Int, now: Date = Date()) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let existing = try Self.files(in: folder)
        // TensorBoard reads a folder's files in name order: the new file's time must sort last.
        let latest = existing.compactMap { Int($0.lastPathComponent.dropFirst(Self.namePrefix.count).prefix { $0 != "." }) }.max() ?? 0
        let seconds = max(Int(now.timeIntervalSince1970), latest + 1)
        url = folder.appendingPathComponent(Self.namePrefix + String(format: "%010d", seconds) + "." + Self.hostName)
        var header = Self.record(Self.event(wallTime: now.timeIntervalSince1970, step: 0, body: Self.field(3, string: Self.fileVersion)))
        // SessionLog { status: START (1) } as Event field 6.
        header += Self.record(Self.event(wallTime: now.timeIntervalSince1970, step: firstStep, body: Self.field(6, bytes: [0x08, 0x01])))
        guard FileManager.default.createFile(atPath: url.path, contents: Data(header)),
              let handle = FileHandle(forWritingAtPath: url.path) else {
            throw RecurrentDepthError.writeFailed(url.path, reason: "cannot create the TensorBoard events file")
        }
        self.handle = handle
        try handle.seekToEnd()
    }

    deinit { try? handle.close() }

    /// Appends one event with every number of `record` (and a training record's curriculum stage).
    public func append(_ record: MetricsRecord, wallTime: Date = Date()) throws {
        var values = record.scalars().map { ($0.tag, $0.value) }
        if record.kind == "train", let stage = record.stage { values.append(("train/stage", Double(stage))) }
        var summary: [UInt8] = []
        for (tag, value) in values {
            // Summary.Value { tag = 1; simple_value = 2 (float) }
            var bits = Float(value).bitPattern.littleEndian
            let float = withUnsafeBytes(of: &bits) { Array($0) }
            summary += Self.field(1, bytes: Self.field(1, string: tag) + [0x15] + float)
        }
        let event = Self.event(wallTime: wallTime.timeIntervalSince1970, step: record.step, body: Self.field(5, bytes: summary))
        do { try handle.write(contentsOf: Data(Self.record(event))) } catch {
            throw RecurrentDepthError.writeFailed(url.path, reason: error.localizedDescription)
        }
    }

    /// Removes, from every events file in `folder`, the events of steps after `step` (what a run
    /// resumed from a checkpoint at `step` does again), and a torn last record. Each file changed is
    /// replaced whole (written beside it, then renamed over it).
    public static func trim(in folder: URL, after step: Int) throws {
        for file in try files(in: folder) {
            let data = try Data(contentsOf: file)
            var kept = Data()
            for record in records(in: data) {
                guard let eventStep = Self.step(ofEvent: record) else { continue }
                if eventStep <= step { kept.append(contentsOf: Self.record(Array(record))) }
            }
            guard kept != data else { continue }
            let temporary = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).tmp")
            do {
                try kept.write(to: temporary)
                guard rename(temporary.path, file.path) == 0 else { throw RecurrentDepthError.writeFailed(file.path, reason: String(cString: strerror(errno))) }
            } catch {
                try? FileManager.default.removeItem(at: temporary)
                throw error
            }
        }
    }

    /// The events files in `folder`, in name order (TensorBoard's reading order).
    public static func files(in folder: URL) throws -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasPrefix(namePrefix) }.sorted().map { folder.appendingPathComponent($0) }
    }

    // MARK: - Encoding

    /// TFRecord framing: length, masked CRC of the length, data, masked CRC of the data (little-endian).
    static func record(_ data: [UInt8]) -> [UInt8] {
        let length = littleEndian(UInt64(data.count))
        return length + littleEndian(CRC32C.masked(length)) + data + littleEndian(CRC32C.masked(data))
    }

    /// Event { wall_time = 1 (double); step = 2 (int64) } followed by `body` (its other fields).
    static func event(wallTime: Double, step: Int, body: [UInt8]) -> [UInt8] {
        [0x09] + littleEndian(wallTime.bitPattern) + [0x10] + varint(UInt64(bitPattern: Int64(step))) + body
    }

    static func field(_ number: UInt64, bytes: [UInt8]) -> [UInt8] { varint(number << 3 | 2) + varint(UInt64(bytes.count)) + bytes }
    static func field(_ number: UInt64, string: String) -> [UInt8] { field(number, bytes: Array(string.utf8)) }

    static func varint(_ value: UInt64) -> [UInt8] {
        var v = value, out: [UInt8] = []
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        return out + [UInt8(v)]
    }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

    // MARK: - Reading back (for trimming)

    /// The data of each whole record whose checksums hold, up to the first that is torn or corrupt.
    static func records(in data: Data) -> [ArraySlice<UInt8>] {
        let bytes = [UInt8](data)
        var out: [ArraySlice<UInt8>] = [], at = 0
        func u32(_ i: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[i + $1]) << (8 * $1) } }
        while at + 12 <= bytes.count {
            let length = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * $1) }
            guard CRC32C.masked(bytes[at..<at + 8]) == u32(at + 8), length <= UInt64(bytes.count - at - 16) else { break }
            let start = at + 12, end = start + Int(length)
            guard CRC32C.masked(bytes[start..<end]) == u32(end) else { break }
            out.append(bytes[start..<end])
            at = end + 4
        }
        return out
    }

    /// An event's step (0 when it has none); nil for bytes that are not an event.
    static func step(ofEvent bytes: ArraySlice<UInt8>) -> Int? {
        var i = bytes.startIndex, step: Int64 = 0
        func readVarint() -> UInt64? {
            var value: UInt64 = 0, shift: UInt64 = 0
            while i < bytes.endIndex, shift < 64 {
                let b = bytes[i]; i += 1
                value |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return value }
                shift += 7
            }
            return nil
        }
        while i < bytes.endIndex {
            guard let key = readVarint() else { return nil }
            switch key & 7 {
            case 0: guard let v = readVarint() else { return nil }; if key >> 3 == 2 { step = Int64(bitPattern: v) }
            case 1: i += 8
            case 5: i += 4
            case 2: guard let n = readVarint(), n <= UInt64(bytes.endIndex - i) else { return nil }; i += Int(n)
            default: return nil
            }
        }
        return i == bytes.endIndex ? Int(step) : nil
    }

    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        let name = gethostname(&buffer, buffer.count) == 0 ? String(cString: buffer) : "localhost"
        return name.isEmpty ? "localhost" : name.replacingOccurrences(of: "/", with: "_")
    }
}
