import Foundation
import XCTest
import KnowledgeGraph

final class VocabularyTests: XCTestCase {
    func testPadIsPrependedWhenAbsentSoItsIDIsZero() throws {
        let v = try Vocabulary(tokens: ["<e_0>", "<r_0>", "</a>"])
        XCTAssertEqual(v.tokens, ["<pad>", "<e_0>", "<r_0>", "</a>"])
        XCTAssertEqual(v.id("<pad>"), 0)
        XCTAssertEqual(v.padID, 0)
        XCTAssertEqual(v.id("<e_0>"), 1)
        XCTAssertEqual(v.count, 4)
        XCTAssertNil(v.id("<e_1>"))
        // Present and first: kept as is.
        XCTAssertEqual(try Vocabulary(tokens: ["<pad>", "<e_0>"]).tokens, ["<pad>", "<e_0>"])
    }

    func testPadElsewhereOrRepeatedTokensAreRejected() {
        assertThrows(nil, mentioning: ["<pad>", "index 1"]) { try Vocabulary(tokens: ["<e_0>", "<pad>"]) }
        assertThrows(nil, mentioning: ["<e_0>", "twice"]) { try Vocabulary(tokens: ["<e_0>", "<r_0>", "<e_0>"]) }
    }

    func testTokenizeFollowsTheReferenceRegularExpression() throws {
        let v = try Vocabulary(tokens: ["<e_1>", "<r_2>", "</a>", "<a<b>"])
        XCTAssertEqual(try v.tokenize("<e_1><r_2></a>"), [1, 2, 3])
        // Text outside <...> is skipped, as re.findall skips it; "<>" is not a token.
        XCTAssertEqual(try v.tokenize(" x<e_1> <>y<r_2>\n"), [1, 2])
        // `[^>]+` may contain '<': "<a<b>" is one token.
        XCTAssertEqual(try v.tokenize("<a<b>"), [4])
        XCTAssertEqual(try v.tokenize(""), [])
        XCTAssertEqual(try v.tokenize("<e_1><unclosed"), [1])
    }

    func testUnknownTokenIsNamed() throws {
        let v = try Vocabulary(tokens: ["<e_1>"])
        assertThrows(.unknownToken("<e_9>", item: nil, file: nil), mentioning: ["<e_9>"]) { try v.tokenize("<e_1><e_9>") }
    }

    func testKnowledgeGraphVocabularyLayoutAndFileRoundTrip() throws {
        let v = Vocabulary.knowledgeGraph(entities: 3, relations: 2)
        XCTAssertEqual(v.tokens, ["<pad>", "<e_0>", "<e_1>", "<e_2>", "<r_0>", "<r_1>", "<mask>", "<sep>", "<a>", "</a>", "<q>", "</q>"])
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("vocab.json")
        try ReferenceFormat.encodeVocabulary(v).write(to: url)
        XCTAssertEqual(try Vocabulary.load(from: url), v)
        XCTAssertEqual(v.text([1, 4, 3]), "<e_0><r_0><e_2>")
    }

    func testVocabularyFileMustBeAListOfStrings() throws {
        let dir = try temporaryDirectory(self)
        try write("{\"a\": 1}", to: dir, "vocab.json")
        assertThrows(nil, mentioning: ["vocab.json:1:1", "list"]) { try Vocabulary.load(from: dir.appendingPathComponent("vocab.json")) }
        try write("[\"<e_0>\",\n 3]", to: dir, "vocab.json")
        assertThrows(.malformedJSON(file: "vocab.json", line: 2, column: 2, reason: "expected a token string, found '3'")) {
            try Vocabulary.load(from: dir.appendingPathComponent("vocab.json"))
        }
    }
}
