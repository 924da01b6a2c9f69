import Foundation
import XCTest
import KnowledgeGraph

final class BatcherTests: XCTestCase {
    /// Seven examples of lengths 2…5 (ids chosen so every row is recognizable).
    let examples: [Example] = (0..<7).map { (i: Int) -> Example in
        let length = 2 + i % 4
        let ids: [Int32] = (0..<length).map { (k: Int) -> Int32 in Int32(10 * (i + 1) + k) }
        return Example(inputIDs: ids, label: Int32(100 + i), type: i % 2 == 0 ? "even" : "odd")
    }

    func testFixedPaddingShapesMasksAndLastPartialBatch() throws {
        let batcher = try Batcher(examples: examples, batchSize: 3, padding: .fixed(6))
        XCTAssertEqual(batcher.batchesPerEpoch, 3)
        let batches = Array(batcher.batches())
        XCTAssertEqual(batches.map(\.size), [3, 3, 1])
        XCTAssertTrue(batches.allSatisfy { $0.length == 6 })
        let first = batches[0]
        XCTAssertEqual(first.inputIDs, [10, 11, 0, 0, 0, 0,
                                        20, 21, 22, 0, 0, 0,
                                        30, 31, 32, 33, 0, 0])
        XCTAssertEqual(first.attentionMask, [1, 1, 0, 0, 0, 0,
                                             1, 1, 1, 0, 0, 0,
                                             1, 1, 1, 1, 0, 0])
        XCTAssertEqual(first.inputLengths, [2, 3, 4])
        XCTAssertEqual(first.labels, [100, 101, 102])
        XCTAssertEqual(first.hops, [1, 2, 3])
        XCTAssertEqual(first.exampleIndices, [0, 1, 2])
        let last = batches[2]
        XCTAssertEqual(last.inputIDs.count, 6)
        XCTAssertEqual(last.exampleIndices, [6])
        XCTAssertEqual(last.inputIDs, [70, 71, 72, 73, 0, 0])
    }

    func testShiftingMovesEachRowsTokensAndMaskRight() throws {
        let first = try XCTUnwrap(Batcher(examples: examples, batchSize: 3, padding: .fixed(6)).batches().first(where: { _ in true }))
        let shifted = first.shiftedRight(by: [3, 0, 2])
        XCTAssertEqual(shifted.inputIDs, [0, 0, 0, 10, 11, 0,
                                          20, 21, 22, 0, 0, 0,
                                          0, 0, 30, 31, 32, 33])
        XCTAssertEqual(shifted.attentionMask, [0, 0, 0, 1, 1, 0,
                                               1, 1, 1, 0, 0, 0,
                                               0, 0, 1, 1, 1, 1])
        XCTAssertEqual(shifted.inputLengths, first.inputLengths)
        XCTAssertEqual(shifted.labels, first.labels)
        XCTAssertEqual(shifted.hops, first.hops)
        XCTAssertEqual(first.shiftedRight(by: [0, 0, 0]), first)
    }

    func testLongestPaddingUsesTheBatchsLongestInput() throws {
        let batcher = try Batcher(examples: examples, batchSize: 2, padding: .longest)
        let lengths = batcher.batches().map(\.length)
        XCTAssertEqual(lengths, [3, 5, 3, 4])
        for batch in batcher.batches() {
            XCTAssertEqual(batch.inputIDs.count, batch.size * batch.length)
            XCTAssertEqual(batch.attentionMask.count, batch.size * batch.length)
            for row in 0..<batch.size {
                let mask = batch.attentionMask[(row * batch.length)..<((row + 1) * batch.length)]
                XCTAssertEqual(Int(mask.reduce(0, +)), Int(batch.inputLengths[row]))
                let ids = batch.inputIDs[(row * batch.length)..<((row + 1) * batch.length)]
                XCTAssertEqual(Array(ids.prefix(Int(batch.inputLengths[row]))), examples[batch.exampleIndices[row]].inputIDs)
                XCTAssertTrue(ids.dropFirst(Int(batch.inputLengths[row])).allSatisfy { $0 == 0 })
            }
        }
    }

    func testShuffledEpochsCoverEveryExampleOnceAndAreSeeded() throws {
        let many = (0..<100).map { Example(inputIDs: [Int32($0 + 1), 1], label: Int32($0), type: nil) }
        let batcher = try Batcher(examples: many, batchSize: 16, padding: .longest)
        var g = SeededGenerator(seed: 5)
        let epoch1 = batcher.batches(shuffledWith: &g).flatMap(\.exampleIndices)
        let epoch2 = batcher.batches(shuffledWith: &g).flatMap(\.exampleIndices)
        XCTAssertEqual(epoch1.sorted(), Array(0..<100))
        XCTAssertEqual(epoch2.sorted(), Array(0..<100))
        XCTAssertNotEqual(epoch1, Array(0..<100))
        XCTAssertNotEqual(epoch1, epoch2)
        var h = SeededGenerator(seed: 5)
        XCTAssertEqual(batcher.batches(shuffledWith: &h).flatMap(\.exampleIndices), epoch1)
        // Rows carry their own example's label.
        for batch in batcher.batches(shuffledWith: &h) {
            XCTAssertEqual(batch.labels, batch.exampleIndices.map { Int32($0) })
        }
        // Epoch-indexed orders are reproducible and differ between epochs.
        XCTAssertEqual(batcher.batches(epoch: 3, seed: 9).order, batcher.batches(epoch: 3, seed: 9).order)
        XCTAssertNotEqual(batcher.batches(epoch: 3, seed: 9).order, batcher.batches(epoch: 4, seed: 9).order)
        XCTAssertEqual(batcher.batches().order, Array(0..<100))
    }

    func testBatchesFromAGeneratedSplitAtTheExtrapolationDefaults() throws {
        let data = try DepthExtrapolationGenerator(parameters: .small).generate()
        let batcher = try Batcher(split: data.train.selecting(hopsAtMost: 2), batchSize: 128, padding: .fixed(50))
        XCTAssertEqual(batcher.examples.count, 240 + 1_250)
        XCTAssertEqual(batcher.batchesPerEpoch, 12)
        let batch = batcher.batches()[11]
        XCTAssertEqual(batch.size, 1_490 - 11 * 128)
        XCTAssertEqual(batch.inputIDs.count, batch.size * 50)
        XCTAssertTrue(batch.hops.allSatisfy { $0 <= 2 })
    }

    /// Answers of several tokens: the row holds the input and the answer but its last token; the
    /// answer loss predicts the answer at the row's last positions, language modelling every next token.
    func testRowsOfSeveralAnswerTokensAreTeacherForced() throws {
        let examples = [Example(inputIDs: [1, 2], answer: [3, 4], type: "a"), Example(inputIDs: [5], label: 6, type: "b")]
        let answer = try Batcher(examples: examples, batchSize: 2, padding: .fixed(4)).batch(of: 0..<2)
        XCTAssertEqual(answer.inputIDs, [1, 2, 3, 0, 5, 0, 0, 0])
        XCTAssertEqual(answer.attentionMask, [1, 1, 1, 0, 1, 0, 0, 0])
        XCTAssertEqual(answer.inputLengths, [3, 1])
        XCTAssertEqual(answer.targetCounts, [2, 1])
        XCTAssertEqual(answer.labels, [3, 4, 6])
        let sequence = try Batcher(examples: examples, batchSize: 2, padding: .longest, targets: .sequence).batch(of: 0..<2)
        XCTAssertEqual(sequence.inputIDs, [1, 2, 3, 5, 0, 0])
        XCTAssertEqual(sequence.targetCounts, [3, 1])
        XCTAssertEqual(sequence.labels, [2, 3, 4, 6])
        // A row with answer tokens is never cut, even when truncation is asked for.
        XCTAssertThrowsError(try Batcher(examples: examples, batchSize: 2, padding: .fixed(2), truncate: true, splitName: "train")) { error in
            XCTAssertTrue("\(error)".contains("train"), "\(error)")
        }
        XCTAssertNoThrow(try Batcher(examples: [examples[1], Example(inputIDs: [1, 2, 3], label: 4, type: "c")], batchSize: 2,
                                     padding: .fixed(2), truncate: true))
    }
}
