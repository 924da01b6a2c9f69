import Foundation
import XCTest
import LoopCLI

/// `loop generate` end to end: prompts spelled in the run's vocabulary, the same tokens with and
/// without the key-value cache, a dataset split scored against its answers, and clear errors.
final class GenerateCommandTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("loop-generate-\(UInt64.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    func loop(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) {
        let (status, message) = LoopCLI.run(arguments)
        XCTAssertEqual(status, 0, "loop \(arguments.joined(separator: " ")) failed: \(message)", file: file, line: line)
    }

    func fails(_ arguments: [String], mentioning parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        let (status, message) = LoopCLI.run(arguments)
        XCTAssertNotEqual(status, 0, "loop \(arguments.joined(separator: " ")) should fail", file: file, line: line)
        for part in parts {
            XCTAssertTrue(message.contains(part), "\"\(message)\" should mention \(part)", file: file, line: line)
        }
    }

    func json(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent(name))) as! [String: Any]
    }

    func sequences(_ name: String) throws -> [[String: Any]] { try json(name)["sequences"] as! [[String: Any]] }

    /// Tiny permutation graph (12 entities, 3 relations, 2-hop chains): 22 tokens.
    func makeData() {
        loop(["data", "extrapolation", "--entities", "12", "--relations", "3", "--min-hops", "2", "--max-hops", "2",
              "--train-per-hop", "60", "--test-per-hop", "10", "--atomic-sample", "36", "--train-sample", "60",
              "--small-per-type", "2", "--seed", "5", "--out", path("data")])
    }

    func testGeneratesFromARunWithAndWithoutTheCacheAndScoresASplit() throws {
        makeData()
        loop(["train", "--out", path("run"), "--data", path("data"), "--d", "32", "--layers", "2", "--heads", "4",
              "--schedule", "fixed:r=2", "--lr", "3e-3", "--warmup", "5", "--max-len", "0", "--pred-pos", "inp_len",
              "--batch-size", "32", "--no-curriculum", "--injection", "--max-steps", "30", "--eval-every-epochs", "50", "--plain"])
        let prompts = ["--prompt", "<e_1><r_0>", "--prompt", "<e_2><r_1><r_2>"]
        // The run folder and its checkpoint folder are the same model; the vocabulary comes from run.json.
        loop(["generate", "--checkpoint", path("run"), "--max-tokens", "3", "--output", path("cached.json")] + prompts)
        loop(["generate", "--checkpoint", path("run/checkpoints/final"), "--max-tokens", "3", "--no-cache", "--output", path("uncached.json")] + prompts)
        let cached = try sequences("cached.json"), uncached = try sequences("uncached.json")
        XCTAssertEqual(cached.map { $0["prompt"] as! String }, ["<e_1><r_0>", "<e_2><r_1><r_2>"])
        XCTAssertEqual(cached.map { $0["tokens"] as! [String] }, uncached.map { $0["tokens"] as! [String] })
        for (a, b) in zip(cached, uncached) {
            let tokens = a["tokens"] as! [String]
            XCTAssertTrue((1...3).contains(tokens.count))
            XCTAssertEqual(a["text"] as? String, tokens.joined())
            XCTAssertEqual(a["stopped"] as? Bool, tokens.last == "</a>")
            for (x, y) in zip(a["margins"] as! [Double], b["margins"] as! [Double]) { XCTAssertEqual(x, y, accuracy: 1e-4) }
        }
        let report = try json("cached.json")
        XCTAssertEqual(report["recurrence"] as? Int, 2, "the checkpoint's recurrence")
        XCTAssertEqual(report["cache"] as? Bool, true)
        XCTAssertEqual(try json("uncached.json")["cache"] as? Bool, false)
        XCTAssertEqual(report["stop_token"] as? String, "</a>")

        // A stop token ends generation there.
        let first = (cached[0]["tokens"] as! [String])[0]
        loop(["generate", "--checkpoint", path("run"), "--prompt", "<e_1><r_0>", "--max-tokens", "3", "--stop", first, "--r", "2",
              "--output", path("stop.json")])
        let stopped = try sequences("stop.json")[0]
        XCTAssertEqual(stopped["tokens"] as? [String], [first])
        XCTAssertEqual(stopped["stopped"] as? Bool, true)

        // A split's inputs, decoded at another r and scored against their answers.
        loop(["generate", "--checkpoint", path("run"), "--data", path("data"), "--split", "test", "--count", "7", "--r", "3",
              "--output", path("split.json")])
        let split = try json("split.json"), items = try sequences("split.json")
        XCTAssertEqual(split["recurrence"] as? Int, 3)
        XCTAssertEqual(split["count"] as? Int, 7)
        XCTAssertEqual(items.count, 7)
        XCTAssertEqual(split["max_tokens"] as? Int, 2, "one-token answers: the answer and room for </a>")
        var exact = 0
        for item in items {
            let tokens = item["tokens"] as! [String], answer = item["answer"] as! [String]
            let beforeStop = tokens.last == "</a>" ? Array(tokens.dropLast()) : tokens
            XCTAssertEqual(item["exact_match"] as? Bool, beforeStop == answer)
            XCTAssertEqual(item["answer_match"] as? Bool, Array(tokens.prefix(answer.count)) == answer)
            XCTAssertNotNil(item["type"] as? String)
            exact += beforeStop == answer ? 1 : 0
        }
        XCTAssertEqual(split["exact_match"] as! Double, Double(exact) / 7, accuracy: 1e-12)
        XCTAssertNotNil(split["exact_match_per_type"] as? [String: Double])
    }

    func testBadRequestsNameTheProblem() throws {
        makeData()
        // A model barely trained (one step) with a short learned position table.
        loop(["train", "--out", path("run"), "--data", path("data"), "--d", "16", "--layers", "1", "--heads", "2", "--positions", "8",
              "--pos", "learned", "--schedule", "fixed:r=2", "--max-len", "0", "--no-curriculum", "--max-steps", "1",
              "--eval-every-epochs", "50", "--plain"])
        loop(["generate", "--checkpoint", path("run"), "--prompt", "<e_1><r_0>", "--max-tokens", "7", "--output", path("fits.json")])
        XCTAssertEqual(try json("fits.json")["max_tokens"] as? Int, 7)

        fails(["generate", "--checkpoint", path("run"), "--prompt", "<e_1><r_9>"], mentioning: ["unknown token <r_9>", "<e_1><r_9>"])
        fails(["generate", "--checkpoint", path("run"), "--prompt", "e_1 r_0"], mentioning: ["has no tokens"])
        fails(["generate", "--checkpoint", path("run"), "--prompt", "<e_1><r_0>", "--max-tokens", "8"],
              mentioning: ["needs 9 positions", "n_positions 8", "--max-tokens 7 or less"])
        fails(["generate", "--checkpoint", path("run"), "--prompt", String(repeating: "<e_1>", count: 9)],
              mentioning: ["9 tokens", "is longer than", "n_positions 8"])
        fails(["generate", "--checkpoint", path("run"), "--prompt", "<e_1>", "--stop", "<nope>"], mentioning: ["--stop <nope>"])
        fails(["generate", "--checkpoint", path("run"), "--prompt", "<e_1>", "--split", "test"], mentioning: ["--split"])
        fails(["generate", "--checkpoint", path("nowhere"), "--prompt", "<e_1>"], mentioning: ["nowhere", "config.json"])
        // A checkpoint outside a run has no vocabulary unless --data gives one.
        try FileManager.default.copyItem(at: root.appendingPathComponent("run/checkpoints/final"), to: root.appendingPathComponent("lone"))
        fails(["generate", "--checkpoint", path("lone"), "--prompt", "<e_1>"], mentioning: ["run.json", "--data"])
        loop(["generate", "--checkpoint", path("lone"), "--data", path("data"), "--prompt", "<e_1>", "--max-tokens", "2"])
    }
}
