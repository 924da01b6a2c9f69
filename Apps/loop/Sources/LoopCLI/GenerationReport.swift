import Foundation
import KnowledgeGraph
import RecurrentDepth

/// What `loop generate` prints and writes: each continuation spelled out and, for a dataset split,
/// exact match overall and per type.
struct GenerationReport {
    let checkpoint: String
    let options: GenerationOptions
    let vocabulary: Vocabulary
    let sequences: [GeneratedSequence]
    /// The decoded examples, in the order of `sequences`, when a split was decoded.
    let examples: [Example]?
    let split: String?
    let seconds: Double

    var generatedTokens: Int { sequences.reduce(0) { $0 + $1.tokens.count } }

    func spelled(_ ids: [Int32]) -> [String] { ids.map { vocabulary.tokens.indices.contains(Int($0)) ? vocabulary.tokens[Int($0)] : "<id \($0)>" } }

    /// The tokens before the stop token are the answer.
    func exactMatch(_ i: Int) -> Bool { sequences[i].answer == examples![i].answer }
    /// The first tokens are the answer, whatever follows.
    func answerMatch(_ i: Int) -> Bool { Array(sequences[i].tokens.prefix(examples![i].answer.count)) == examples![i].answer }

    /// Per type (in order of first appearance; "all" for untyped examples): (exact, answer-first, count).
    func perType() -> [(type: String, exact: Int, answer: Int, count: Int)] {
        guard let examples else { return [] }
        var order: [String] = [], counts: [String: (Int, Int, Int)] = [:]
        for i in examples.indices {
            let type = examples[i].type ?? "all"
            if counts[type] == nil { order.append(type); counts[type] = (0, 0, 0) }
            counts[type]!.0 += exactMatch(i) ? 1 : 0
            counts[type]!.1 += answerMatch(i) ? 1 : 0
            counts[type]!.2 += 1
        }
        return order.map { ($0, counts[$0]!.0, counts[$0]!.1, counts[$0]!.2) }
    }

    func json() throws -> Data {
        var items: [[String: Any]] = []
        for (i, s) in sequences.enumerated() {
            var item: [String: Any] = [
                "prompt": vocabulary.text(s.prompt), "tokens": spelled(s.tokens), "text": vocabulary.text(s.tokens),
                "stopped": s.stopped, "margins": s.margins.map(Double.init),
            ]
            if let examples {
                item["answer"] = spelled(examples[i].answer)
                item["type"] = examples[i].type ?? NSNull()
                item["exact_match"] = exactMatch(i)
                item["answer_match"] = answerMatch(i)
            }
            items.append(item)
        }
        var report: [String: Any] = [
            "checkpoint": checkpoint, "recurrence": options.recurrence, "cache": options.usesCache,
            "max_tokens": options.maxNewTokens, "stop_token": options.stopToken.map { vocabulary.tokens[Int($0)] } ?? NSNull(),
            "sequences": items, "generated_tokens": generatedTokens, "seconds": seconds,
            "tokens_per_second": seconds > 0 ? Double(generatedTokens) / seconds : NSNull(),
        ]
        if let examples {
            let types = perType()
            report["split"] = split
            report["count"] = examples.count
            report["exact_match"] = Double(types.reduce(0) { $0 + $1.exact }) / Double(examples.count)
            report["answer_match"] = Double(types.reduce(0) { $0 + $1.answer }) / Double(examples.count)
            report["exact_match_per_type"] = Dictionary(uniqueKeysWithValues: types.map { ($0.type, Double($0.exact) / Double($0.count)) })
            report["answer_match_per_type"] = Dictionary(uniqueKeysWithValues: types.map { ($0.type, Double($0.answer) / Double($0.count)) })
        }
        return try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
    }

    /// Examples listed in the text report; the JSON lists them all.
    static let listed = 20

    func text() -> String {
        var lines: [String] = []
        for (i, s) in sequences.enumerated().prefix(Self.listed) {
            var line = "\(vocabulary.text(s.prompt)) → \(vocabulary.text(s.tokens))"
            if let examples {
                line += exactMatch(i) ? "   ✓" : answerMatch(i) ? "   ≈ answer first, more after it"
                    : "   ✗ answer \(vocabulary.text(examples[i].answer))"
            }
            lines.append(line)
        }
        if sequences.count > Self.listed { lines.append("… and \(sequences.count - Self.listed) more (--json lists them all)") }
        func share(_ n: Int, _ of: Int) -> String { "\(n)/\(of) (\(String(format: "%.1f", 100 * Double(n) / Double(of)))%)" }
        if let examples {
            let types = perType()
            let exact = types.reduce(0) { $0 + $1.exact }, answer = types.reduce(0) { $0 + $1.answer }
            lines.append("exact match \(share(exact, examples.count)); answer first \(share(answer, examples.count))")
            if types.count > 1 {
                lines.append(types.map { "  \($0.type): exact \(share($0.exact, $0.count)), answer first \(share($0.answer, $0.count))" }
                    .joined(separator: "\n"))
            }
        }
        let rate = seconds > 0 ? String(format: ", %.0f tokens/s", Double(generatedTokens) / seconds) : ""
        lines.append("r \(options.recurrence), \(options.usesCache ? "key-value cache per layer call" : "no cache"): "
                     + "\(generatedTokens) tokens in \(String(format: "%.2f", seconds)) s\(rate)")
        return lines.joined(separator: "\n")
    }
}
