import Foundation
import XCTest
import KnowledgeGraph

/// A small dataset written by hand in the reference's layout (no `<pad>` in vocab.json, as the
/// reference writes it; train.json with its off-by-two types).
final class ReferenceFormatTests: XCTestCase {
    func makeReferenceDataset() throws -> URL {
        let dir = try temporaryDirectory(self)
        try write(#"["<e_0>", "<e_1>", "<e_2>", "<r_0>", "<r_1>", "<mask>", "<sep>", "<a>", "</a>", "<q>", "</q>"]"#, to: dir, "vocab.json")
        // ids: <pad> 0, <e_0> 1, <e_1> 2, <e_2> 3, <r_0> 4, <r_1> 5, ..., </a> 9
        try write("""
        [{"input_text": "<e_0><r_0>", "target_text": "<e_0><r_0><e_1></a>", "type": "atomic"},
         {"input_text": "<e_1><r_1>", "target_text": "<e_1><r_1><e_2></a>", "type": "atomic"},
         {"input_text": "<e_0><r_0><r_1>", "target_text": "<e_0><r_0><r_1><e_2></a>", "type": "0hop_train"},
         {"input_text": "<e_2><r_1><r_0><r_1>", "target_text": "<e_2><r_1><r_0><r_1><e_0></a>", "type": "1hop_train"}]
        """, to: dir, "train.json")
        try write("""
        [
          {"type": "2hop_test", "input_text": "<e_1><r_1><r_0>", "target_text": "<e_1><r_1><r_0><e_0></a>", "extra": [1, {"x": null}]},
          {"input_text": "<e_2><r_0>", "target_text": "<e_2><r_0><e_0></a>", "type": "atomic_facts"}
        ]
        """, to: dir, "test.json")
        try write(#"[{"input_text": "<e_1><r_1><r_0>", "target_text": "<e_1><r_1><r_0><e_0></a>"}]"#, to: dir, "valid.json")
        return dir
    }

    func testHandWrittenReferenceDatasetLoadsToExpectedIDsAndLabels() throws {
        let dataset = try Dataset.load(from: try makeReferenceDataset())
        XCTAssertEqual(dataset.vocabulary.tokens.first, "<pad>")
        XCTAssertEqual(dataset.vocabulary.count, 12)
        XCTAssertNil(dataset.manifest)
        let train = try dataset.split("train")
        XCTAssertEqual(train.name, "train")
        XCTAssertEqual(train.examples.map(\.inputIDs), [[1, 4], [2, 5], [1, 4, 5], [3, 5, 4, 5]])
        XCTAssertEqual(train.examples.map(\.label), [2, 3, 3, 1])
        XCTAssertEqual(train.examples.map(\.hops), [1, 1, 2, 3])
        XCTAssertEqual(train.examples.map(\.type), ["atomic", "atomic", "0hop_train", "1hop_train"])
        XCTAssertEqual(train.types, ["atomic", "0hop_train", "1hop_train"])

        let test = try dataset.split("test")
        XCTAssertEqual(test.examples.map(\.inputIDs), [[2, 5, 4], [3, 4]])
        XCTAssertEqual(test.examples.map(\.label), [1, 1])
        XCTAssertEqual(test.examples.map(\.type), ["2hop_test", "atomic_facts"])

        let valid = try dataset.split("valid")
        XCTAssertNil(valid.examples[0].type)
        XCTAssertEqual(valid.types, [])
    }

    func testCurriculumSelectionCountsHopsFromTokensNotFromType() throws {
        let train = try Dataset.load(from: try makeReferenceDataset()).split("train")
        // Stage 2: atomic facts and the 2-hop chain the reference typed "0hop_train".
        let stage2 = train.selecting(hopsAtMost: 2)
        XCTAssertEqual(stage2.examples.map(\.type), ["atomic", "atomic", "0hop_train"])
        XCTAssertEqual(train.selecting(hopsAtMost: 1).count, 2)
        XCTAssertEqual(train.selecting(hopsAtMost: 3).count, 4)
        XCTAssertEqual(train.selecting(hops: 3).examples.map(\.type), ["1hop_train"])
        XCTAssertEqual(train.hopCounts, [1, 2, 3])
    }

    func testSelectionByTypeAndGrouping() throws {
        let train = try Dataset.load(from: try makeReferenceDataset()).split("train")
        XCTAssertEqual(train.selecting(types: ["atomic"]).count, 2)
        XCTAssertEqual(train.selecting(types: ["atomic", "1hop_train"]).examples.map(\.hops), [1, 1, 3])
        XCTAssertEqual(train.selecting(types: ["nothing"]).count, 0)
        let groups = train.groupedByType()
        XCTAssertEqual(groups.map(\.type), ["atomic", "0hop_train", "1hop_train"])
        XCTAssertEqual(groups.map(\.split.count), [2, 1, 1])
        XCTAssertEqual(groups[0].split.name, "train/atomic")
    }

    func testEscapesWhitespaceAndUnknownKeysAreHandled() throws {
        let dir = try makeReferenceDataset()
        // \u003c is '<', \/ is '/': Python's json may write either.
        try write(" [ {\"input_text\":\"\\u003ce_0>\\u003cr_0>\" , \"target_text\" : \"<e_0><r_0><e_1><\\/a>\", \"type\":null, \"n\": -1.5e3, \"b\": true} ] \n",
                  to: dir, "test_small.json")
        let split = try Dataset.load(from: dir).split("test_small")
        XCTAssertEqual(split.examples, [Example(inputIDs: [1, 4], label: 2, type: nil)])
    }

    func testGeneratedFilesRoundTripThroughTheReader() throws {
        let dir = try temporaryDirectory(self)
        let generated = try DepthExtrapolationGenerator(parameters: .init(entities: 12, relations: 3, minHops: 2, maxHops: 4,
                                                                          trainChainsPerHop: 40, testChainsPerHop: 10,
                                                                          atomicSampleInTest: 5, trainSampleInTest: 5, seed: 5)).write(to: dir)
        let dataset = try Dataset.load(from: dir)
        XCTAssertEqual(dataset.vocabulary, generated.vocabulary)
        XCTAssertEqual(dataset.manifest, generated.manifest)
        for name in Dataset.splitNames {
            XCTAssertEqual(try dataset.split(name).examples, try generated.split(name).examples, name)
        }
        // No temporary files left behind.
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        XCTAssertEqual(files, ["dataset.json", "test.json", "test_small.json", "train.json", "valid.json", "vocab.json"])
        // Each line of train.json is one item, in the reference's spelling.
        let text = try String(contentsOf: dir.appendingPathComponent("train.json"), encoding: .utf8)
        let line = text.split(separator: "\n")[1]
        let first = generated.train.examples[0]
        let spelledInput = spelled(first.inputIDs, generated.vocabulary)
        XCTAssertEqual(String(line), "{\"input_text\": \"\(spelledInput)\", \"target_text\": \"\(spelledInput)"
                       + "\(generated.vocabulary.tokens[Int(first.label)])</a>\", \"type\": \"atomic\"},")
        // And it is valid JSON by Foundation's reckoning too.
        let parsed = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("test.json"))) as! [[String: String]]
        XCTAssertEqual(parsed.count, generated.test.count)
    }

    func testWriterEscapesOddTokens() throws {
        let v = try Vocabulary(tokens: ["<pad>", "<q\"x>", "<b\\s>", "</a>"])
        let bytes = ReferenceFormat.encode([Example(inputIDs: [1], label: 2, type: "t\"1")], vocabulary: v)
        let parsed = try JSONSerialization.jsonObject(with: bytes) as! [[String: String]]
        XCTAssertEqual(parsed[0]["input_text"], "<q\"x>")
        XCTAssertEqual(parsed[0]["target_text"], "<q\"x><b\\s></a>")
        XCTAssertEqual(parsed[0]["type"], "t\"1")
        XCTAssertEqual(try ReferenceFormat.decode(bytes, file: "x.json", vocabulary: v), [Example(inputIDs: [1], label: 2, type: "t\"1")])
    }

    /// Answers of several tokens: what the target adds after repeating the input, up to `</a>`;
    /// a target that does not repeat the input is all answer.
    func testAnswersSpanEveryTokenAfterTheInput() throws {
        let v = try Vocabulary(tokens: ["<pad>", "<1>", "<2>", "<+>", "<=>", "</a>"])
        let items = """
        [{"input_text": "<1><+><2><=>", "target_text": "<1><+><2><=><2><1></a>"},
         {"input_text": "<1><+><1><=>", "target_text": "<1><2></a><1>"},
         {"input_text": "<1><+><2>", "target_text": "<1><+><1></a>"}]
        """
        let examples = try ReferenceFormat.decode(Data(items.utf8), file: "x.json", vocabulary: v)
        XCTAssertEqual(examples.map(\.answer), [[2, 1], [1, 2], [1, 3, 1]])
        XCTAssertEqual(examples.map(\.label), [1, 2, 1])
        // The writer spells the whole answer after the input, and the reader gives it back.
        let written = ReferenceFormat.encode(examples, vocabulary: v)
        let parsed = try JSONSerialization.jsonObject(with: written) as! [[String: String]]
        XCTAssertEqual(parsed[0]["target_text"], "<1><+><2><=><2><1></a>")
        XCTAssertEqual(try ReferenceFormat.decode(written, file: "y.json", vocabulary: v), examples)
        XCTAssertThrowsError(try ReferenceFormat.decode(Data(#"[{"input_text": "<1><+>", "target_text": "<1><+></a>"}]"#.utf8),
                                                        file: "z.json", vocabulary: v)) { error in
            XCTAssertTrue("\(error)".contains("z.json"), "\(error)")
        }
    }
}
