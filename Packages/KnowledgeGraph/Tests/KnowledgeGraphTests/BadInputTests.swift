import Foundation
import XCTest
import KnowledgeGraph

/// Every kind of bad input gives a clear `KnowledgeGraphError` naming where it is, never a crash.
final class BadInputTests: XCTestCase {
    func datasetDirectory() throws -> URL {
        let dir = try temporaryDirectory(self)
        try write(#"["<pad>", "<e_0>", "<e_1>", "<r_0>", "</a>"]"#, to: dir, "vocab.json")
        return dir
    }

    func load(_ train: String) throws -> Split {
        let dir = try datasetDirectory()
        try write(train, to: dir, "train.json")
        return try Dataset.load(from: dir).split("train")
    }

    func testMissingFilesAreNamed() throws {
        let dir = try datasetDirectory()
        let dataset = try Dataset.load(from: dir)
        assertThrows(.fileNotFound(file: dir.appendingPathComponent("test.json").path), mentioning: ["test.json", "no such file"]) {
            try dataset.split("test")
        }
        let empty = try temporaryDirectory(self)
        assertThrows(nil, mentioning: ["vocab.json"]) { try Dataset.load(from: empty) }
        assertThrows(nil, mentioning: ["does-not-exist"]) { try Dataset.load(from: empty.appendingPathComponent("does-not-exist")) }
        assertThrows(.unknownSplit("training"), mentioning: ["training"]) { try dataset.split("training") }
    }

    func testMalformedJSONSaysWhere() {
        assertThrows(.malformedJSON(file: "train.json", line: 2, column: 29, reason: "expected ',' or '}', found '\"'")) {
            try load("[{\"input_text\": \"<e_0><r_0>\", \"target_text\": \"<e_0><r_0><e_1></a>\"},\n{\"input_text\": \"<e_0><r_0>\" \"target_text\": \"x\"}]")
        }
        assertThrows(nil, mentioning: ["train.json:1:", "unterminated string"]) { try load("[{\"input_text\": \"<e_0>") }
        assertThrows(nil, mentioning: ["train.json:1:", "the end of the file"]) { try load("[{\"input_text\": \"<e_0><r_0>\", \"target_text\": \"<e_1></a>\"}") }
        assertThrows(nil, mentioning: ["train.json:1:1", "list"]) { try load("{\"input_text\": \"<e_0>\"}") }
        assertThrows(nil, mentioning: ["train.json:1:2", "item 0 is not an object"]) { try load("[\"<e_0>\"]") }
        assertThrows(nil, mentioning: ["train.json:3:1", "after the top-level list"]) {
            try load("[{\"input_text\": \"<e_0><r_0>\", \"target_text\": \"<e_0><r_0><e_1></a>\"}]\n\nx")
        }
        assertThrows(nil, mentioning: ["control character"]) { try load("[{\"input_text\": \"<e_0>\n\"}]") }
        assertThrows(nil, mentioning: ["invalid escape"]) { try load("[{\"input_text\": \"<e_0>\\q\"}]") }
        assertThrows(nil, mentioning: ["train.json:1:1", "found the end of the file"]) { try load("") }
    }

    func testItemWithoutInputTextIsNamed() {
        assertThrows(.missingField("input_text", item: 1, file: "train.json"), mentioning: ["train.json", "item 1", "input_text"]) {
            try load("""
            [{"input_text": "<e_0><r_0>", "target_text": "<e_0><r_0><e_1></a>"},
             {"target_text": "<e_0><r_0><e_1></a>", "type": "atomic"}]
            """)
        }
        // A non-string input_text counts as missing.
        assertThrows(.missingField("input_text", item: 0, file: "train.json")) {
            try load(#"[{"input_text": 5, "target_text": "<e_0><r_0><e_1></a>"}]"#)
        }
        assertThrows(.missingField("target_text", item: 0, file: "train.json")) { try load(#"[{"input_text": "<e_0><r_0>"}]"#) }
    }

    func testUnknownTokenIsNamedWithItsItem() {
        assertThrows(.unknownToken("<r_5>", item: 2, file: "train.json"), mentioning: ["<r_5>", "item 2", "train.json"]) {
            try load("""
            [{"input_text": "<e_0><r_0>", "target_text": "<e_0><r_0><e_1></a>"},
             {"input_text": "<e_1><r_0>", "target_text": "<e_1><r_0><e_0></a>"},
             {"input_text": "<e_1><r_5>", "target_text": "<e_1><r_5><e_0></a>"}]
            """)
        }
        // In the target too.
        assertThrows(.unknownToken("<e_7>", item: 0, file: "train.json")) {
            try load(#"[{"input_text": "<e_0><r_0>", "target_text": "<e_0><r_0><e_7></a>"}]"#)
        }
    }

    func testItemsThatCannotBeExamples() {
        assertThrows(nil, mentioning: ["item 0", "input_text has no"]) { try load(#"[{"input_text": "", "target_text": "<e_1></a>"}]"#) }
        assertThrows(nil, mentioning: ["item 0", "no answer token"]) { try load(#"[{"input_text": "<e_0>", "target_text": "</a>"}]"#) }
    }

    func testEmptySplitIsAnError() throws {
        assertThrows(nil, mentioning: ["train", "no examples"]) { try load("[]") }
        assertThrows(.emptySplit("train"), mentioning: ["train"]) {
            try Batcher(split: Split(name: "train", examples: []), batchSize: 4, padding: .longest)
        }
        let split = try load(#"[{"input_text": "<e_0><r_0>", "target_text": "<e_0><r_0><e_1></a>"}]"#)
        assertThrows(.emptySplit("train"), mentioning: ["train"]) {
            try Batcher(split: split.selecting(hopsAtMost: 0), batchSize: 4, padding: .longest)
        }
    }

    func testSequenceLongerThanMaxLenIsAnErrorUnlessTruncationIsAsked() throws {
        let examples = [Example(inputIDs: [1, 2], label: 3, type: nil), Example(inputIDs: [1, 2, 2, 2], label: 3, type: nil)]
        assertThrows(.sequenceTooLong(length: 4, maxLength: 3, item: 1, split: "test"), mentioning: ["item 1", "max_len 3", "truncation"]) {
            try Batcher(examples: examples, batchSize: 2, padding: .fixed(3), splitName: "test")
        }
        let truncating = try Batcher(examples: examples, batchSize: 2, padding: .fixed(3), truncate: true)
        let batch = truncating.batches()[0]
        XCTAssertEqual(batch.inputIDs, [1, 2, 0, 1, 2, 2])
        XCTAssertEqual(batch.inputLengths, [2, 3])
        XCTAssertEqual(batch.hops, [1, 3])
        assertThrows(nil, mentioning: ["batch_size"]) { try Batcher(examples: examples, batchSize: 0, padding: .longest) }
        assertThrows(nil, mentioning: ["max_len"]) { try Batcher(examples: examples, batchSize: 1, padding: .fixed(0)) }
    }

    func testImpossibleGeneratorParameters() {
        assertThrows(nil, mentioning: ["out_degree", "relations 4"]) {
            try DepthExtrapolationGenerator(parameters: .init(entities: 10, relations: 4, outDegree: 5)).generate()
        }
        assertThrows(nil, mentioning: ["out_degree"]) {
            try SystematicityGenerator(parameters: .init(entities: 10, relations: 4, outDegree: 5)).generate()
        }
        // 5 entities × 2² = 20 two-hop chains exist.
        assertThrows(nil, mentioning: ["2-hop chains", "21", "20"]) {
            try DepthExtrapolationGenerator(parameters: .init(entities: 5, relations: 2, minHops: 2, maxHops: 2,
                                                              trainChainsPerHop: 18, testChainsPerHop: 3)).generate()
        }
        assertThrows(nil, mentioning: ["min_hops"]) { try DepthExtrapolationGenerator(parameters: .init(minHops: 1)).generate() }
        assertThrows(nil, mentioning: ["max_hops"]) { try DepthExtrapolationGenerator(parameters: .init(minHops: 5, maxHops: 4)).generate() }
        assertThrows(nil, mentioning: ["test_chains_per_hop"]) { try DepthExtrapolationGenerator(parameters: .init(testChainsPerHop: -1)).generate() }
        assertThrows(nil, mentioning: ["entities"]) { try SystematicityGenerator(parameters: .init(entities: 0)).generate() }
        assertThrows(nil, mentioning: ["ood_fraction"]) { try SystematicityGenerator(parameters: .init(oodFraction: 1.5)).generate() }
        // φ asking for more inferred facts than the graph has.
        assertThrows(nil, mentioning: ["train_inferred", "phi 50"]) {
            try SystematicityGenerator(parameters: .init(entities: 30, relations: 5, outDegree: 3, phi: 50)).generate()
        }
    }

    func testWritingWhereNothingCanBeWrittenIsAnError() throws {
        let dir = try temporaryDirectory(self)
        let blocker = dir.appendingPathComponent("file")
        try write("x", to: dir, "file")
        let dataset = try DepthExtrapolationGenerator(parameters: .small).generate()
        assertThrows(nil, mentioning: ["cannot be written"]) { try dataset.write(to: blocker.appendingPathComponent("sub")) }
    }
}
