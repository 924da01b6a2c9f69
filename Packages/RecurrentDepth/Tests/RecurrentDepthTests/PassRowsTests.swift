import XCTest
import TensorKit
@testable import RecurrentDepth
import FixtureSupport

/// The rows a pass computes (`PassRows`): a pass that reads only the monitored positions drops the
/// columns none of them reads (`LiveColumns`) and packs each example's rows before its answer
/// (`PackedRows`); each is checked against the full grid.
final class PassRowsTests: XCTestCase {
    /// Right-padded inputs of the given lengths, padded to `width`, ids from 1. `shared[e] = k`:
    /// example e begins with example 0's first k tokens.
    func padded(_ lengths: [Int], width: Int, positions: [Int], shared: [Int: Int] = [:], seed: UInt64 = 1) -> ModelInput {
        var generator = RandomGenerator(seed: seed)
        var ids: [Int32] = [], mask: [Float] = []
        for (e, n) in lengths.enumerated() {
            for j in 0..<width {
                let token = j < (shared[e] ?? 0) ? ids[j] : Int32(1 + generator.nextInt(below: 29))
                ids.append(j < n ? token : 0)
                mask.append(j < n ? 1 : 0)
            }
        }
        return ModelInput(ids: IDTensor(shape: [lengths.count, width], ids: ids),
                          mask: Tensor(shape: [lengths.count, width], scalars: mask), positions: positions)
    }

    func testKeptColumnsAreTheOnesTheMonitoredRowsRead() {
        // last_token at max_len 8: the real tokens (at most 3) and the last position.
        XCTAssertEqual(LiveColumns(padded([2, 3], width: 8, positions: [7, 7]))?.columns, [0, 1, 2, 7])
        // inp_len: nothing after the last answer position.
        XCTAssertEqual(LiveColumns(padded([2, 4], width: 8, positions: [1, 3]))?.columns, [0, 1, 2, 3])
        // A real token after an example's own answer position is still read by the other example.
        XCTAssertEqual(LiveColumns(padded([4, 2], width: 6, positions: [1, 5]))?.columns, [0, 1, 5])
        // Every column needed: nothing to drop.
        XCTAssertNil(LiveColumns(padded([4, 3], width: 4, positions: [3, 3])))
        // A monitored padding row with no real key before it attends over padding alone: keep all.
        let noKey = ModelInput(ids: IDTensor(shape: [1, 4], ids: [0, 0, 5, 6]), mask: Tensor(shape: [1, 4], scalars: [0, 0, 1, 1]),
                               positions: [1])
        XCTAssertNil(LiveColumns(noKey))
        let applied = LiveColumns(padded([2, 3], width: 8, positions: [7, 7]))!.apply(to: padded([2, 3], width: 8, positions: [7, 7]))
        XCTAssertEqual(applied.ids.shape, [2, 4])
        XCTAssertEqual(applied.mask.scalars, [1, 1, 0, 0, 1, 1, 1, 0])
        XCTAssertEqual(applied.positions, [3, 3])
    }

    func testPackedRowsAreEachExamplesTokensBeforeItsAnswerAndTheAnswer() throws {
        // Lengths 2 and 3 padded to 4, answers at the last position: example 0 skips its slot 2.
        let packed = try XCTUnwrap(PackedRows(padded([2, 3], width: 4, positions: [3, 3]), sharingPrefixes: false))
        XCTAssertEqual(packed.slots.ids, [0, 1, 3, 4, 5, 6, 7])
        XCTAssertEqual(packed.gridRows.ids, [0, 1, 2, 2, 3, 4, 5, 6], "slot 2 repeats example 0's answer row")
        XCTAssertEqual(packed.columns, [0, 1, 3, 0, 1, 2, 3])
        XCTAssertEqual(packed.monitoredRows.ids, [2, 6])
        XCTAssertEqual(packed.monitoredSlots.ids, [3, 7])
        let input = padded([2, 3], width: 4, positions: [3, 3])
        XCTAssertEqual(packed.ids.ids, [0, 1, 3, 4, 5, 6, 7].map { input.ids.ids[$0] })
        // inp_len: each example stops at its own answer.
        XCTAssertEqual(PackedRows(padded([2, 4], width: 4, positions: [1, 3]), sharingPrefixes: false)?.slots.ids, [0, 1, 4, 5, 6, 7])
        // Every slot needed, or a monitored padding row without a real key before it: no packing.
        XCTAssertNil(PackedRows(padded([4, 4], width: 4, positions: [3, 3]), sharingPrefixes: false))
        let noKey = ModelInput(ids: IDTensor(shape: [2, 3], ids: [0, 0, 5, 1, 2, 3]),
                               mask: Tensor(shape: [2, 3], scalars: [0, 0, 1, 1, 1, 1]), positions: [1, 2])
        XCTAssertNil(PackedRows(noKey, sharingPrefixes: true))
    }

    /// Examples that begin alike share those rows: the same token at the same column after the same
    /// shared row. Here examples 1 and 2 begin with example 0's first two and first token.
    func testPackedRowsShareCommonPrefixes() throws {
        let input = padded([2, 3, 2], width: 4, positions: [3, 3, 3], shared: [1: 2, 2: 1])
        let packed = try XCTUnwrap(PackedRows(input, sharingPrefixes: true))
        // Rows: e·0, e·1 (shared by 0 and 1), 0's answer, 1's third token, 1's answer, 2's second token, 2's answer.
        XCTAssertEqual(packed.count, 7)
        XCTAssertEqual(packed.slots.ids, [0, 1, 3, 6, 7, 9, 11])
        XCTAssertEqual(packed.gridRows.ids, [0, 1, 2, 2, 0, 1, 3, 4, 0, 5, 6, 6])
        XCTAssertEqual(packed.monitoredRows.ids, [2, 4, 6])
        XCTAssertEqual(packed.monitoredSlots.ids, [3, 7, 11])
        XCTAssertEqual(packed.columns, [0, 1, 3, 2, 3, 1, 3])
        XCTAssertEqual(try XCTUnwrap(PackedRows(input, sharingPrefixes: false)).count, 10)
        // Two identical examples share everything, their answer included.
        let twins = padded([3, 3], width: 4, positions: [3, 3], shared: [1: 3])
        XCTAssertEqual(try XCTUnwrap(PackedRows(twins, sharingPrefixes: true)).monitoredRows.ids, [3, 3])
        // The same token after the same row, but at another column, or padding where the other has
        // a token: different rows.
        let apart = ModelInput(ids: IDTensor(shape: [4, 5], ids: [7, 0, 9, 0, 0, 7, 0, 0, 9, 0, 7, 9, 0, 0, 0, 7, 9, 0, 0, 0]),
                               mask: Tensor(shape: [4, 5], scalars: [1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0]),
                               positions: [4, 4, 1, 4])
        let rows = try XCTUnwrap(PackedRows(apart, sharingPrefixes: true))
        XCTAssertEqual(Set([0, 5, 10, 15].map { rows.gridRows.ids[$0] }).count, 1, "the first token is shared")
        // 9 at column 2, at column 3, padding 9 at column 1 and token 9 at column 1: four rows.
        XCTAssertEqual(rows.count, 8)
    }

    /// The logits at the monitored positions are bit for bit those of the full padded pass, for
    /// every kind of position embedding, both answer positions, input injection, and head widths
    /// on both attention paths (8: any width; 16: the register rows). The lengths differ and some
    /// examples begin alike, so the pass drops columns, packs rows and shares prefixes.
    func testDroppingColumnsLeavesTheLogitsBitwiseEqual() throws {
        for positional in [PositionalEmbedding.learned, .sinusoidal, .none] {
            for (d, heads) in [(16, 2), (32, 2)] {
                let model = try smallModel(positional: positional, injection: true, d: d, heads: heads)
                let lengths = [2, 3, 5, 4, 3, 3]
                // Equal lengths at the last position (columns dropped, little to pack); twins and
                // an inp_len example that is a prefix of an earlier one (a monitored row another
                // example created); equal-length examples sharing their padded answer row.
                let sharedAnswers = [
                    padded([3, 3, 3], width: 12, positions: [11, 11, 11]),
                    padded([4, 4, 2, 3], width: 12, positions: [3, 3, 1, 2], shared: [1: 4, 2: 2, 3: 3]),
                    padded([3, 3, 3], width: 12, positions: [11, 11, 11], shared: [1: 3, 2: 3]),
                ]
                for input in sharedAnswers {
                    try withoutGrad {
                        let output = try model.run(input, recurrence: 3)
                        XCTAssertEqual(try model.monitoredLogits(input, recurrence: 3).scalars,
                                       model.readout(model.rows(of: output.hidden!, at: output.positions)).scalars)
                    }
                }
                for positions in [lengths.map { _ in 11 }, lengths.map { $0 - 1 }] {
                    let input = padded(lengths, width: 12, positions: positions, shared: [2: 2, 3: 1, 5: 3])
                    let live = try XCTUnwrap(LiveColumns(input))
                    let packed = try XCTUnwrap(PackedRows(live.apply(to: input), sharingPrefixes: true))
                    XCTAssertLessThan(packed.count, try XCTUnwrap(PackedRows(live.apply(to: input), sharingPrefixes: false)).count)
                    try withoutGrad {
                        let pruned = try model.monitoredLogits(input, recurrence: 3)
                        let output = try model.run(input, recurrence: 3)
                        let full = model.readout(model.rows(of: output.hidden!, at: output.positions))
                        XCTAssertEqual(pruned.scalars, full.scalars, "\(positional), d \(d), positions \(positions)")
                    }
                }
            }
        }
    }

    /// Padding between tokens or before them (not what the batcher writes, but valid input): each
    /// example keeps its columns up to its last real token, so every key stays in its column and
    /// the logits stay bitwise equal.
    func testInteriorAndLeftPaddingStayBitwiseEqual() throws {
        let model = try smallModel(positional: .none, injection: true, d: 32, heads: 2)
        let t = 24
        var ids = [Int32](repeating: 0, count: 3 * t), mask = [Float](repeating: 0, count: 3 * t)
        for (e, real) in [[0, 2, 3, 17], [1, 2, 16], [0, 4, 5, 6, 18]].enumerated() {
            for j in real { ids[e * t + j] = Int32(1 + (j * 7 + e) % 29); mask[e * t + j] = 1 }
        }
        let input = ModelInput(ids: IDTensor(shape: [3, t], ids: ids), mask: Tensor(shape: [3, t], scalars: mask),
                               positions: [23, 16, 23])
        XCTAssertEqual(LiveColumns(input)?.columns, Array(0...18) + [23])
        try withoutGrad {
            let output = try model.run(input, recurrence: 3)
            XCTAssertEqual(try model.monitoredLogits(input, recurrence: 3).scalars,
                           model.readout(model.rows(of: output.hidden!, at: output.positions)).scalars)
        }
    }

    /// With dropout, each example draws its own masks: identical examples are not merged, so
    /// their logits differ.
    func testDropoutKeepsIdenticalExamplesApart() throws {
        let model = try smallModel(positional: .learned, injection: false, d: 32, heads: 2)
        let twins = padded([3, 3], width: 6, positions: [5, 5], shared: [1: 3])
        // Embedding dropout only: were the twins merged, their one set of rows would see one mask.
        let dropout = Dropout(embedding: 0.3, attention: 0, residual: 0, generator: RandomGenerator(seed: 5))
        let logits = try model.monitoredLogits(twins, recurrence: 2, dropout: dropout).scalars
        XCTAssertNotEqual(Array(logits[0..<30]), Array(logits[30..<60]))
        let plain = try withoutGrad { try model.monitoredLogits(twins, recurrence: 2) }.scalars
        XCTAssertEqual(Array(plain[0..<30]), Array(plain[30..<60]))
    }

    func testMaskValuesOtherThanZeroAndOneAreRejected() throws {
        let model = try smallModel()
        let input = ModelInput(ids: IDTensor(shape: [2, 3], ids: [1, 2, 3, 4, 5, 6]),
                               mask: Tensor(shape: [2, 3], scalars: [1, 1, 1, 1, 0.5, 0]), positions: [2, 2])
        XCTAssertThrowsError(try withoutGrad { try model.monitoredLogits(input, recurrence: 2) }) { error in
            XCTAssertTrue("\(error)".contains("mask value 0.5 of example 1 at position 1"), "\(error)")
        }
    }

    /// Records each step's monitored logits and columns, and stops example 1 after the first step.
    final class RecordingObserver: RecurrenceObserver {
        let readsMonitoredPositionsOnly: Bool
        var logits: [[Float]] = [], columns: [[Int]] = [], widths: [Int] = []
        init(monitoredOnly: Bool) { readsMonitoredPositionsOnly = monitoredOnly }
        var observesLayers: Bool { true }
        func layerDidFinish(_ step: RecurrenceStep) { logits.append(step.monitoredLogits().scalars) }
        func recurrenceDidFinish(_ step: RecurrenceStep) -> Set<Int> {
            logits.append(step.monitoredLogits().scalars)
            columns.append(step.columns)
            widths.append(step.hidden.shape[1])
            return step.index == 0 ? [1] : []
        }
    }

    /// An observer that reads the monitored positions only gets the pass on the kept columns, told
    /// which they are, with every step's and block's monitored logits bitwise those of the full pass.
    func testObserversOfMonitoredPositionsGetTheSmallerPass() throws {
        let model = try smallModel(positional: .learned, injection: true, d: 32, heads: 2)
        let input = padded([2, 3, 5, 4], width: 12, positions: [11, 11, 11, 11])
        let (full, pruned) = (RecordingObserver(monitoredOnly: false), RecordingObserver(monitoredOnly: true))
        let fullOutput = try withoutGrad { try model.run(input, recurrence: 3, observer: full) }
        let prunedOutput = try withoutGrad { try model.run(input, recurrence: 3, observer: pruned) }
        XCTAssertEqual(pruned.logits, full.logits)
        XCTAssertEqual(pruned.logits.count, 3 * 3)
        XCTAssertEqual(full.columns, Array(repeating: Array(0..<12), count: 3))
        XCTAssertEqual(pruned.columns, Array(repeating: [0, 1, 2, 3, 4, 11], count: 3))
        XCTAssertEqual(pruned.widths, [6, 6, 6])
        XCTAssertEqual(prunedOutput.columns, [0, 1, 2, 3, 4, 11])
        XCTAssertEqual(prunedOutput.positions, [5, 5, 5])
        XCTAssertEqual(fullOutput.positions, [11, 11, 11])
        XCTAssertEqual(prunedOutput.examples, [0, 2, 3])
        let rows = { (o: RecurrenceOutput) in model.rows(of: o.hidden!, at: o.positions).scalars }
        XCTAssertEqual(rows(prunedOutput), rows(fullOutput))
    }

    /// The gradient equals the full pass's (the dropped rows' share is exactly zero there, and a
    /// shared row gathers what each example sends it; only the order of the sums differs).
    func testDroppingColumnsLeavesTheGradientsEqual() throws {
        let model = try smallModel(positional: .learned, injection: true, d: 32, heads: 2)
        let lengths = [2, 3, 5, 4, 3, 2, 5]
        // Example 6 is example 2's twin: both read the answer row they share.
        let input = padded(lengths, width: 12, positions: lengths.map { _ in 11 }, shared: [2: 2, 4: 1, 6: 5])
        let targets = IDTensor([3, 4, 5, 6, 7, 8, 9])
        var logits: [[Float]] = []
        func gradients(_ compute: () throws -> Tensor) rethrows -> [[Float]] {
            for p in model.parameters { p.zeroGrad() }
            let l = try compute()
            logits.append(l.scalars)
            Tensor.crossEntropy(l, targets: targets).backward()
            return model.parameters.map { $0.grad?.scalars ?? [] }
        }
        let full = try gradients {
            let output = try model.run(input, recurrence: 3)
            return model.readout(model.rows(of: output.hidden!, at: output.positions))
        }
        let pruned = try gradients { try model.monitoredLogits(input, recurrence: 3) }
        XCTAssertEqual(logits[0], logits[1], "the recorded forward pass is bitwise equal too")
        for (name, (a, b)) in zip(model.namedParameters.map(\.0), zip(pruned, full)) {
            XCTAssertFalse(a.isEmpty, name)
            assertClose(Tensor(a), Tensor(b), rtol: 1e-4, atol: 1e-6, "gradient of \(name)")
        }
        // The position embedding of a dropped column gets nothing in the pruned pass.
        let positionGradient = model.positionEmbedding!.grad!
        XCTAssertTrue((5..<11).allSatisfy { p in (0..<32).allSatisfy { positionGradient[p, $0] == 0 } })
        XCTAssertTrue((0..<32).contains { positionGradient[11, $0] != 0 })
    }
}
