/// Turns the items of a reference file into examples: tokenizes `input_text`, takes the answer
/// from `target_text`, counts hops from tokens and interns the `type` strings.
enum ReferenceItemDecoder {
    static func decode(_ raw: UnsafeRawBufferPointer, file: String, vocabulary: Vocabulary) throws -> [Example] {
        var scanner = JSONScanner(raw, file: file)
        let table = vocabulary.table
        let answerEnd = vocabulary.id(Vocabulary.answerEndToken) ?? -1
        var examples: [Example] = []
        // A rough guess from the size of a typical item, to avoid regrowing a large array.
        examples.reserveCapacity(raw.count / 200 + 16)
        var ids: [Int32] = []
        ids.reserveCapacity(64)
        var answer: [Int32] = []
        var types = TypeInterner()

        try scanner.readItems { index, item in
            guard let input = item.input else { throw KnowledgeGraphError.missingField("input_text", item: index, file: file) }
            guard let target = item.target else { throw KnowledgeGraphError.missingField("target_text", item: index, file: file) }
            ids.removeAll(keepingCapacity: true)
            if let base = input.baseAddress {
                try TokenScanner.forEachToken(base, input.count) { p, n in
                    guard let id = table.id(p, n) else { throw unknown(p, n, index, file) }
                    ids.append(id)
                }
            }
            guard !ids.isEmpty else {
                throw KnowledgeGraphError.invalidItem(item: index, file: file, reason: "input_text has no <...> tokens")
            }
            // The answer is what the target adds to the input (the reference repeats the input
            // before it), up to `</a>`; a target that does not repeat it is all answer.
            answer.removeAll(keepingCapacity: true)
            var matched = 0, prefix = true, ended = false
            if let base = target.baseAddress {
                try TokenScanner.forEachToken(base, target.count) { p, n in
                    guard let id = table.id(p, n) else { throw unknown(p, n, index, file) }
                    if ended { return }
                    if prefix && matched < ids.count && ids[matched] == id { matched += 1; return }
                    if prefix && matched < ids.count {
                        // The target does not repeat the whole input: what matched is answer too.
                        answer.append(contentsOf: ids[0..<matched])
                    }
                    prefix = false
                    if id == answerEnd { ended = true } else { answer.append(id) }
                }
            }
            guard !answer.isEmpty else {
                throw KnowledgeGraphError.invalidItem(item: index, file: file, reason: "target_text has no answer token after the input and before </a>")
            }
            examples.append(Example(inputIDs: ids, answer: answer, type: item.type.map { types.intern($0) }))
        }
        return examples
    }

    private static func unknown(_ p: UnsafePointer<UInt8>, _ n: Int, _ index: Int, _ file: String) -> KnowledgeGraphError {
        .unknownToken(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self), item: index, file: file)
    }
}

/// Gives every item of the same type the same `String` (a file has a few dozen types and
/// hundreds of thousands of items); the last match is tried first, as items come grouped by type.
struct TypeInterner {
    private var known: [([UInt8], String)] = []
    private var last = -1

    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if last >= 0 && Self.same(known[last].0, bytes) { return known[last].1 }
        for (k, entry) in known.enumerated() where Self.same(entry.0, bytes) {
            last = k
            return entry.1
        }
        known.append((Array(bytes), String(decoding: bytes, as: UTF8.self)))
        last = known.count - 1
        return known[last].1
    }

    @inline(__always)
    private static func same(_ a: [UInt8], _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        a.count == b.count && (b.count == 0 || a.withUnsafeBufferPointer { memcmp($0.baseAddress!, b.baseAddress!, b.count) == 0 })
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
