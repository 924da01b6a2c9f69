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
        var out: [UInt8] = []
        // Items are ~60 bytes plus twice the input's spelling.
        var estimate = 4
        for e in examples { estimate += 80 + 2 * e.inputIDs.count * 7 }
        out.reserveCapacity(estimate)
        out.append(UInt8(ascii: "["))
        var typeCache: (String, [UInt8])? = nil
        for (n, example) in examples.enumerated() {
            out.append(contentsOf: n == 0 ? [0x0A] : [UInt8(ascii: ","), 0x0A])
            out.append(contentsOf: ReferenceJSONWriter.inputKey)
            for id in example.inputIDs { out.append(contentsOf: tokenBytes[Int(id)]) }
            out.append(contentsOf: ReferenceJSONWriter.targetKey)
            for id in example.inputIDs { out.append(contentsOf: tokenBytes[Int(id)]) }
            out.append(contentsOf: tokenBytes[Int(example.label)])
            out.append(contentsOf: answerEnd)
            if let type = example.type {
                if typeCache?.0 != type { typeCache = (type, ReferenceJSONWriter.escaped(type)) }
                out.append(contentsOf: ReferenceJSONWriter.typeKey)
                out.append(contentsOf: typeCache!.1)
                out.append(contentsOf: ReferenceJSONWriter.closeWithType)
            } else {
                out.append(contentsOf: ReferenceJSONWriter.closeWithoutType)
            }
        }
        out.append(contentsOf: [0x0A, UInt8(ascii: "]"), 0x0A])
        return out
    }

    private static let inputKey = Array("{\"input_text\": \"".utf8)
    private static let targetKey = Array("\", \"target_text\": \"".utf8)
    private static let typeKey = Array("\", \"type\": \"".utf8)
    private static let closeWithType = Array("\"}".utf8)
    private static let closeWithoutType = Array("\"}".utf8)

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
