import Foundation

// JSON details of the safetensors header that JSONSerialization does not cover on its own:
// telling integers from booleans and floats, spotting duplicate keys, and writing JSON exactly like serde_json.
enum SafeTensorsJSON {
    /// A non-negative integer literal, or a reason (completing "element 0 …") why `value` is not one.
    /// JSONSerialization hands out NSNumber for booleans and floats too, and `as? Int` accepts `true`
    /// and `1e2`, so look at the number's storage type instead.
    static func nonNegativeInteger(_ value: Any) -> Result<Int, Reason> {
        guard let number = value as? NSNumber else { return .failure(Reason("is not a number")) }
        if number is NSDecimalNumber { return .failure(Reason("is too large")) } // integer literals beyond UInt64
        switch UInt8(bitPattern: number.objCType.pointee) {
        case UInt8(ascii: "c"), UInt8(ascii: "B"):
            return .failure(Reason("is a boolean"))
        case UInt8(ascii: "f"), UInt8(ascii: "d"):
            return .failure(Reason("is a floating-point number (\(number.stringValue))"))
        case UInt8(ascii: "Q"), UInt8(ascii: "L"), UInt8(ascii: "I"), UInt8(ascii: "S"), UInt8(ascii: "C"):
            let unsigned = number.uint64Value
            return unsigned <= UInt64(Int.max) ? .success(Int(unsigned)) : .failure(Reason("is too large"))
        default:
            let signed = number.int64Value
            return signed >= 0 ? .success(Int(signed)) : .failure(Reason("is negative (\(signed))"))
        }
    }

    struct Reason: Error { var text: String; init(_ text: String) { self.text = text } }

    /// The first key that appears twice in one object of `json`, which must already be valid JSON.
    /// JSONSerialization silently keeps one of the values; the Rust reader rejects such headers.
    static func firstDuplicateKey(in json: [UInt8]) -> String? {
        var objects: [Set<String>?] = [] // one slot per open container; nil for arrays
        var expectingKey = false
        var index = 0
        while index < json.count {
            switch json[index] {
            case UInt8(ascii: "{"): objects.append([]); expectingKey = true
            case UInt8(ascii: "["): objects.append(nil); expectingKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = objects.popLast(); expectingKey = false
            case UInt8(ascii: ","): expectingKey = objects.last.map { $0 != nil } ?? false
            case UInt8(ascii: "\""):
                let start = index
                index += 1
                while index < json.count, json[index] != UInt8(ascii: "\"") { index += json[index] == UInt8(ascii: "\\") ? 2 : 1 }
                guard index < json.count else { return nil } // unterminated: not valid JSON, nothing to report
                if expectingKey, var keys = objects.last ?? nil {
                    let key = decodeString(json[start...index])
                    if !keys.insert(key).inserted { return key }
                    objects[objects.count - 1] = keys
                    expectingKey = false
                }
            default: break
            }
            index += 1
        }
        return nil
    }

    // Keys without escapes are plain UTF-8; let JSONSerialization undo escapes in the others.
    private static func decodeString(_ quoted: ArraySlice<UInt8>) -> String {
        if !quoted.contains(UInt8(ascii: "\\")) { return String(decoding: quoted.dropFirst().dropLast(), as: UTF8.self) }
        let decoded = try? JSONSerialization.jsonObject(with: Data(quoted), options: .fragmentsAllowed)
        return decoded as? String ?? String(decoding: quoted, as: UTF8.self)
    }

    /// `string` as a JSON string literal, escaped exactly as serde_json (the Python writer) does.
    static func quoted(_ string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
