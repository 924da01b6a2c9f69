/// A small, strict JSON reader for the reference's two file shapes: a list of strings
/// (`vocab.json`) and a list of flat objects with string values (`train.json`, ...). It works on the
/// file's bytes in place, hands unescaped strings to the caller as byte ranges without copying, and
/// reports malformed input with its line and column. Foundation's `JSONSerialization` would build an
/// `NSDictionary` and three `NSString`s per item only for them to be tokenized and dropped, and its
/// errors give no line.
struct JSONScanner {
    let p: UnsafePointer<UInt8>
    let end: Int
    let file: String
    var i = 0

    init(_ raw: UnsafeRawBufferPointer, file: String) {
        // An empty buffer has no base address; point at a harmless byte instead.
        p = raw.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) } ?? JSONScanner.emptyByte
        end = raw.count
        self.file = file
    }

    private static let emptyByte: UnsafePointer<UInt8> = {
        let b = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        b.initialize(to: 0)
        return UnsafePointer(b)
    }()

    // MARK: Errors

    /// The error for offset `at`, with a 1-based line and column (columns count bytes).
    func malformed(_ reason: String, at offset: Int? = nil) -> KnowledgeGraphError {
        let offset = min(offset ?? i, end)
        var line = 1, lineStart = 0
        for k in 0..<offset where p[k] == UInt8(ascii: "\n") {
            line += 1
            lineStart = k + 1
        }
        return .malformedJSON(file: file, line: line, column: offset - lineStart + 1, reason: reason)
    }

    private func describeHere() -> String {
        guard i < end else { return "the end of the file" }
        let b = p[i]
        if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x\(String(b, radix: 16))"
    }

    // MARK: Primitives

    @inline(__always)
    mutating func skipWhitespace() {
        while i < end {
            let b = p[i]
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { i += 1 } else { return }
        }
    }

    @inline(__always)
    mutating func expect(_ byte: UInt8, _ what: String) throws {
        skipWhitespace()
        guard i < end, p[i] == byte else { throw malformed("expected \(what), found \(describeHere())") }
        i += 1
    }

    /// Peeks at the next non-whitespace byte (nil at the end).
    @inline(__always)
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return i < end ? p[i] : nil
    }

    /// Reads a string starting at `"`. Without escapes the result points into the file; with
    /// escapes it is decoded into `scratch` and points there (valid until `scratch` changes).
    @inline(__always)
    mutating func readString(scratch: ByteBuffer) throws -> UnsafeBufferPointer<UInt8> {
        let start = i + 1
        var j = start
        while j < end {
            let b = p[j]
            if b == UInt8(ascii: "\"") {
                i = j + 1
                return UnsafeBufferPointer(start: p + start, count: j - start)
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw malformed("control character in a string", at: j) }
            j += 1
        }
        if j >= end { throw malformed("unterminated string", at: i) }
        return try readEscapedString(from: start, firstEscape: j, scratch: scratch)
    }

    private mutating func readEscapedString(from start: Int, firstEscape: Int, scratch: ByteBuffer) throws -> UnsafeBufferPointer<UInt8> {
        scratch.removeAll()
        scratch.append(p + start, count: firstEscape - start)
        var j = firstEscape
        while j < end {
            let b = p[j]
            if b == UInt8(ascii: "\"") {
                i = j + 1
                return scratch.buffer
            }
            if b < 0x20 { throw malformed("control character in a string", at: j) }
            if b != UInt8(ascii: "\\") { scratch.append(b); j += 1; continue }
            guard j + 1 < end else { break }
            let e = p[j + 1]
            j += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(e)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(at: j)
                j += 4
                if scalar >= 0xD800 && scalar < 0xDC00, j + 6 <= end, p[j] == UInt8(ascii: "\\"), p[j + 1] == UInt8(ascii: "u") {
                    let low = try hex4(at: j + 2)
                    if low >= 0xDC00 && low < 0xE000 {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        j += 6
                    }
                }
                // A lone surrogate cannot be UTF-8; Python keeps it, we substitute U+FFFD.
                let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                for byte in String(Character(u)).utf8 { scratch.append(byte) }
            default:
                throw malformed("invalid escape \\\(Character(Unicode.Scalar(e)))", at: j - 2)
            }
        }
        throw malformed("unterminated string", at: start - 1)
    }

    private func hex4(at k: Int) throws -> UInt32 {
        guard k + 4 <= end else { throw malformed("truncated \\u escape", at: k) }
        var v: UInt32 = 0
        for t in 0..<4 {
            let c = p[k + t]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw malformed("invalid \\u escape", at: k + t)
            }
            v = v << 4 | d
        }
        return v
    }

    /// Skips any JSON value (for keys this format does not use).
    mutating func skipValue(depth: Int = 0) throws {
        guard depth < 512 else { throw malformed("nesting deeper than 512 levels") }
        guard let b = peek() else { throw malformed("expected a value, found the end of the file") }
        switch b {
        case UInt8(ascii: "\""):
            let scratch = ByteBuffer()
            _ = try readString(scratch: scratch)
        case UInt8(ascii: "{"):
            i += 1
            if peek() == UInt8(ascii: "}") { i += 1; return }
            while true {
                guard peek() == UInt8(ascii: "\"") else { throw malformed("expected a key string, found \(describeHere())") }
                try skipValue(depth: depth + 1)
                try expect(UInt8(ascii: ":"), "':'")
                try skipValue(depth: depth + 1)
                let c = peek()
                i += 1
                if c == UInt8(ascii: "}") { return }
                if c != UInt8(ascii: ",") { i -= 1; throw malformed("expected ',' or '}', found \(describeHere())") }
            }
        case UInt8(ascii: "["):
            i += 1
            if peek() == UInt8(ascii: "]") { i += 1; return }
            while true {
                try skipValue(depth: depth + 1)
                let c = peek()
                i += 1
                if c == UInt8(ascii: "]") { return }
                if c != UInt8(ascii: ",") { i -= 1; throw malformed("expected ',' or ']', found \(describeHere())") }
            }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            i += 1
            while i < end, case let c = p[i],
                  (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: ".") || c == UInt8(ascii: "e")
                    || c == UInt8(ascii: "E") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { i += 1 }
        default:
            throw malformed("expected a value, found \(describeHere())")
        }
    }

    /// Consumes `null` if it comes next.
    mutating func consumeNull() -> Bool {
        if peek() == UInt8(ascii: "n"), i + 4 <= end, p[i + 1] == UInt8(ascii: "u"), p[i + 2] == UInt8(ascii: "l"), p[i + 3] == UInt8(ascii: "l") {
            i += 4
            return true
        }
        return false
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard i + n <= end, memcmp(p + i, word.utf8Start, n) == 0 else { throw malformed("expected a value, found \(describeHere())") }
        i += n
    }

    /// After the top-level value only whitespace may follow.
    mutating func expectEnd() throws {
        skipWhitespace()
        if i < end { throw malformed("unexpected \(describeHere()) after the top-level list") }
    }

    // MARK: File shapes

    /// `["tok", "tok", ...]`
    mutating func readStringList() throws -> [String] {
        try expect(UInt8(ascii: "["), "a JSON list of token strings ('[')")
        var result: [String] = []
        let scratch = ByteBuffer()
        if peek() == UInt8(ascii: "]") {
            i += 1
        } else {
            while true {
                guard peek() == UInt8(ascii: "\"") else { throw malformed("expected a token string, found \(describeHere())") }
                result.append(String(decoding: try readString(scratch: scratch), as: UTF8.self))
                let c = peek()
                if c == UInt8(ascii: "]") { i += 1; break }
                guard c == UInt8(ascii: ",") else { throw malformed("expected ',' or ']', found \(describeHere())") }
                i += 1
            }
        }
        try expectEnd()
        return result
    }

    /// The fields of one item of a reference file; byte ranges valid until the next item.
    struct Item {
        var input: UnsafeBufferPointer<UInt8>?
        var target: UnsafeBufferPointer<UInt8>?
        var type: UnsafeBufferPointer<UInt8>?
    }

    /// `[{"input_text": ..., "target_text": ..., "type": ...}, ...]`: calls `body(index, item)` per
    /// object. Other keys are skipped; a repeated key keeps its last value, as Python's does.
    mutating func readItems(_ body: (Int, Item) throws -> Void) throws {
        try expect(UInt8(ascii: "["), "a JSON list of objects ('[')")
        let inputScratch = ByteBuffer(), targetScratch = ByteBuffer(), typeScratch = ByteBuffer(), keyScratch = ByteBuffer()
        var index = 0
        if peek() == UInt8(ascii: "]") { i += 1; try expectEnd(); return }
        while true {
            guard peek() == UInt8(ascii: "{") else { throw malformed("item \(index) is not an object: found \(describeHere())") }
            i += 1
            var item = Item()
            if peek() == UInt8(ascii: "}") {
                i += 1
            } else {
                while true {
                    guard peek() == UInt8(ascii: "\"") else { throw malformed("expected a key string, found \(describeHere())") }
                    let key = try readString(scratch: keyScratch)
                    try expect(UInt8(ascii: ":"), "':'")
                    let field = Field(key)
                    if field == .other {
                        try skipValue()
                    } else if peek() == UInt8(ascii: "\"") {
                        switch field {
                        case .input: item.input = try readString(scratch: inputScratch)
                        case .target: item.target = try readString(scratch: targetScratch)
                        case .type: item.type = try readString(scratch: typeScratch)
                        case .other: break
                        }
                    } else {
                        // A non-string value: the item lacks that field (reported by the caller); `type`
                        // may legitimately be null.
                        try skipValue()
                        switch field {
                        case .input: item.input = nil
                        case .target: item.target = nil
                        case .type, .other: item.type = nil
                        }
                    }
                    let c = peek()
                    if c == UInt8(ascii: "}") { i += 1; break }
                    guard c == UInt8(ascii: ",") else { throw malformed("expected ',' or '}', found \(describeHere())") }
                    i += 1
                }
            }
            try body(index, item)
            index += 1
            let c = peek()
            if c == UInt8(ascii: "]") { i += 1; break }
            guard c == UInt8(ascii: ",") else { throw malformed("expected ',' or ']' after item \(index - 1), found \(describeHere())") }
            i += 1
        }
        try expectEnd()
    }

    private enum Field {
        case input, target, type, other
        @inline(__always)
        init(_ key: UnsafeBufferPointer<UInt8>) {
            switch key.count {
            case 10 where Field.equals(key, "input_text"): self = .input
            case 11 where Field.equals(key, "target_text"): self = .target
            case 4 where Field.equals(key, "type"): self = .type
            default: self = .other
            }
        }
        @inline(__always)
        static func equals(_ key: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
            memcmp(key.baseAddress!, word.utf8Start, key.count) == 0
        }
    }
}

/// A growable byte buffer with a stable pointer between appends, for decoded strings.
final class ByteBuffer {
    private(set) var pointer: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 256) {
        self.capacity = capacity
        pointer = .allocate(capacity: capacity)
    }

    deinit { pointer.deallocate() }

    var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: pointer, count: count) }

    func removeAll() { count = 0 }

    @inline(__always)
    func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        pointer[count] = byte
        count += 1
    }

    func append(_ bytes: UnsafePointer<UInt8>, count n: Int) {
        if count + n > capacity { grow(to: count + n) }
        (pointer + count).update(from: bytes, count: n)
        count += n
    }

    private func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newPointer = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newPointer.update(from: pointer, count: count)
        pointer.deallocate()
        pointer = newPointer
        capacity = newCapacity
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
