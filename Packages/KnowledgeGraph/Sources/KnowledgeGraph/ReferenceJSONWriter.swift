/// Writes examples in the reference's layout, one item per line:
/// `{"input_text": "<e_3><r_7>", "target_text": "<e_3><r_7><e_12></a>", "type": "atomic"}`.
/// The bytes are built directly (no `JSONEncoder`), from each token's pre-escaped spelling.
struct ReferenceJSONWriter {
    private let tokenBytes: [[UInt8]]
    private let answerEnd: [UInt8]

    init(vocabulary: Vocabulary) {
        tokenBytes = vocabulary.tokens.map(ReferenceJSONWriter.escaped)
        answerEnd = ReferenceJSONWriter.escaped(Vocabulary.answerEndToken)
    }

    /// JSON string-content escaping: quotes, backslashes and control characters.
    static func escaped(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(b >> 4)], hex[Int(b & 15)]]
            default: out.append(b)
            }
        }
        return out
    }

    func encode(_ examples: [Example]) -> [UInt8] {
        // Exact size first, then one pass of raw copies into the preallocated buffer.
        var typeBytes: [String: [UInt8]] = [:]
        var total = 4
        for example in examples {
            var spelling = 0
            for id in example.inputIDs { spelling += tokenBytes[Int(id)].count }
            total += 2 + Self.inputKey.count + 2 * spelling + Self.targetKey.count
                + example.answer.reduce(0) { $0 + tokenBytes[Int($1)].count }
                + answerEnd.count + Self.close.count
            if let type = example.type {
                if typeBytes[type] == nil { typeBytes[type] = Self.escaped(type) }
                total += Self.typeKey.count + typeBytes[type]!.count
            }
        }
        var out = [UInt8](repeating: 0, count: total)
        var written = 0
        out.withUnsafeMutableBufferPointer { buffer in
            var q = buffer.baseAddress!
            @inline(__always) func put(_ bytes: [UInt8]) {
                bytes.withUnsafeBufferPointer { b in
                    q.update(from: b.baseAddress!, count: b.count)
                    q += b.count
                }
            }
            @inline(__always) func byte(_ b: UInt8) { q.pointee = b; q += 1 }
            byte(UInt8(ascii: "["))
            var lastType: String? = nil
            var lastTypeBytes: [UInt8] = []
            for (n, example) in examples.enumerated() {
                if n > 0 { byte(UInt8(ascii: ",")) }
                byte(0x0A)
                put(Self.inputKey)
                let inputStart = q
                for id in example.inputIDs { put(tokenBytes[Int(id)]) }
                let spelling = q - inputStart
                put(Self.targetKey)
                q.update(from: inputStart, count: spelling)
                q += spelling
                for id in example.answer { put(tokenBytes[Int(id)]) }
                put(answerEnd)
                if let type = example.type {
                    if type != lastType { lastType = type; lastTypeBytes = typeBytes[type]! }
                    put(Self.typeKey)
                    put(lastTypeBytes)
                }
                put(Self.close)
            }
            byte(0x0A)
            byte(UInt8(ascii: "]"))
            byte(0x0A)
            written = q - buffer.baseAddress!
        }
        // The size pass counted one separator byte too many for the first item.
        out.removeLast(out.count - written)
        return out
    }

    private static let inputKey = Array("{\"input_text\": \"".utf8)
    private static let targetKey = Array("\", \"target_text\": \"".utf8)
    private static let typeKey = Array("\", \"type\": \"".utf8)
    private static let close = Array("\"}".utf8)

    /// `["<pad>", "<e_0>", ...]`, one token per line.
    static func encodeStringList(_ strings: [String]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (n, s) in strings.enumerated() {
            out.append(contentsOf: n == 0 ? [0x0A] : [UInt8(ascii: ","), 0x0A])
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: escaped(s))
            out.append(UInt8(ascii: "\""))
        }
        out.append(contentsOf: [0x0A, UInt8(ascii: "]"), 0x0A])
        return out
    }
}
