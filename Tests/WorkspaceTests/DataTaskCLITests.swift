import Foundation
import XCTest
import LoopCLI

/// `loop data addition|induction|assignment` end to end: the files and types each writes from its
/// flags, their errors, and `loop data validate` recomputing every answer from its input.
final class DataTaskCLITests: CLITestCase {
    func fails(_ arguments: [String], mentioning parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        let (status, message) = LoopCLI.run(arguments)
        XCTAssertNotEqual(status, 0, "loop \(arguments.joined(separator: " ")) should fail", file: file, line: line)
        for part in parts {
            XCTAssertTrue(message.contains(part), "\"\(message)\" should mention \(part)", file: file, line: line)
        }
    }

    func items(_ folder: String, _ file: String) throws -> [[String: String]] {
        let data = try Data(contentsOf: root.appendingPathComponent(folder).appendingPathComponent(file))
        return try JSONSerialization.jsonObject(with: data) as! [[String: String]]
    }

    func manifest(_ folder: String) throws -> [String: Any] {
        let data = try Data(contentsOf: root.appendingPathComponent(folder).appendingPathComponent("dataset.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    func testEachTaskWritesWhatItsFlagsAskAndValidates() throws {
        loop(["data", "addition", "--numbers", "3", "--digits", "2", "--train-size", "120", "--test-size", "30",
              "--train-sample", "10", "--small-per-type", "2", "--seed", "4", "--out", path("add")])
        let addition = try items("add", "train.json")
        XCTAssertEqual(addition.count, 120)
        XCTAssertEqual(Set(addition.map { $0["type"]! }), ["addition_n3_d2_train"])
        XCTAssertEqual(try items("add", "test.json").filter { $0["type"] == "addition_n3_d2_test" }.count, 30)
        XCTAssertEqual(try manifest("add")["generator"] as? String, "addition")
        XCTAssertEqual((try manifest("add")["parameters"] as? [String: Any])?["seed"] as? Int, 4)

        loop(["data", "induction", "--alphabet", "5", "--length", "20", "--hops", "3", "--train-size", "100", "--test-size", "20",
              "--train-sample", "5", "--small-per-type", "2", "--seed", "1", "--out", path("hop")])
        let induction = try items("hop", "train.json")
        XCTAssertEqual(induction.count, 100)
        XCTAssertEqual(Set(induction.map { $0["type"]! }), ["induction_p3_train"])
        XCTAssertTrue(induction[0]["input_text"]!.hasPrefix("<s_"))

        loop(["data", "assignment", "--min-depth", "2", "--max-depth", "3", "--distractors", "2", "--variables", "8",
              "--modulus", "5", "--addition-probability", "0", "--no-shuffle-statements", "--train-per-depth", "50",
              "--test-per-depth", "10", "--train-sample", "5", "--small-per-type", "2", "--seed", "9", "--out", path("assign")])
        let assignment = try items("assign", "train.json")
        XCTAssertEqual(assignment.count, 100)
        XCTAssertEqual(Set(assignment.map { $0["type"]! }), ["assignment_d2_train", "assignment_d3_train"])
        XCTAssertFalse(assignment.contains { $0["input_text"]!.contains("<+>") }, "--addition-probability 0 writes copies only")
        let parameters = try XCTUnwrap(try manifest("assign")["parameters"] as? [String: Any])
        XCTAssertEqual(parameters["shuffle_statements"] as? Bool, false)
        XCTAssertEqual(parameters["modulus"] as? Int, 5)

        for folder in ["add", "hop", "assign"] { loop(["data", "validate", path(folder)]) }
    }

    func testBadFlagsAreClearErrors() {
        fails(["data", "addition", "--numbers", "1", "--out", path("a")], mentioning: ["numbers", "at least 2"])
        fails(["data", "addition", "--preset", "huge", "--out", path("a")], mentioning: ["huge", "small, paper"])
        fails(["data", "addition", "--numbers", "2", "--digits", "1", "--train-size", "95", "--test-size", "10", "--out", path("a")],
              mentioning: ["105", "100"])
        fails(["data", "induction", "--hops", "10", "--length", "8", "--out", path("i")], mentioning: ["length", "hops + 2"])
        fails(["data", "assignment", "--variables", "3", "--out", path("s")], mentioning: ["variables", "max_depth + distractors"])
        let (status, help) = LoopCLI.run(["data", "assignment", "--help"])
        XCTAssertEqual(status, 0)
        for flag in ["--min-depth", "--distractors", "--modulus", "--addition-probability", "--no-shuffle-statements", "loop data assignment"] {
            XCTAssertTrue(help.contains(flag), "help lacks \(flag)")
        }
    }

    /// Replaces the answer token just before `</a>` in item `index` of `file` (one item per line).
    func corruptAnswer(_ folder: String, _ file: String, item index: Int, with token: String) throws -> String {
        let url = root.appendingPathComponent(folder).appendingPathComponent(file)
        var lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
        var line = lines[index + 1]
        let end = try XCTUnwrap(line.range(of: "</a>"))
        let start = try XCTUnwrap(line[..<end.lowerBound].range(of: "<", options: .backwards))
        let old = String(line[start.lowerBound..<end.lowerBound])
        XCTAssertNotEqual(old, token)
        line.replaceSubrange(start.lowerBound..<end.lowerBound, with: token)
        lines[index + 1] = line
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        return old
    }

    func testValidateNamesTheItemWhoseAnswerIsWrong() throws {
        loop(["data", "addition", "--train-size", "200", "--test-size", "40", "--seed", "2", "--out", path("add")])
        loop(["data", "validate", path("add")])
        let lastDigit = try items("add", "train.json")[17]["target_text"]!.dropLast("</a>".count).suffix(3)
        let wrong = lastDigit == "<5>" ? "<6>" : "<5>"
        let right = try corruptAnswer("add", "train.json", item: 17, with: wrong)
        fails(["data", "validate", path("add")],
              mentioning: ["train.json: 1 of 200 answers", "train.json item 17", "addition solver", "expected", right, "found", wrong])

        loop(["data", "induction", "--train-size", "100", "--test-size", "30", "--seed", "3", "--out", path("hop")])
        let found = try items("hop", "test.json")[4]["target_text"]!.dropLast("</a>".count).suffix(5)
        let replacement = found == "<s_1>" ? "<s_2>" : "<s_1>"
        _ = try corruptAnswer("hop", "test.json", item: 4, with: replacement)
        fails(["data", "validate", path("hop")], mentioning: ["test.json item 4", "induction solver", "found \(replacement)"])
    }
}
