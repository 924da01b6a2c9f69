import XCTest
import TensorKit
import RecurrentDepth
import FixtureSupport
import ModelFixtureSupport

/// Stops fixed examples after fixed steps and records what it saw.
final class StoppingObserver: RecurrenceObserver {
    var stopAfter: [Int: Set<Int>]
    var seen: [(step: Int, examples: [Int], logits: Tensor)] = []
    var layersSeen: [(Int, Int)] = []
    var wantsLayers = false
    init(stopAfter: [Int: Set<Int>]) { self.stopAfter = stopAfter }
    func recurrenceDidFinish(_ step: RecurrenceStep) -> Set<Int> {
        seen.append((step.index, step.examples, step.monitoredLogits().copy()))
        return stopAfter[step.index] ?? []
    }
    func layerDidFinish(_ step: RecurrenceStep) { layersSeen.append((step.index, step.layer!)) }
    var observesLayers: Bool { wantsLayers }
}

final class RecurrenceSeamTests: XCTestCase {
    /// Examples dropped from the working batch do not change the others' results.
    func testStoppedExamplesLeaveTheBatchWithoutChangingTheRest() throws {
        let c = try FixtureCase("nope-inject-r4")
        let model = try Checkpoint.readModel(from: c.folder)
        let observer = StoppingObserver(stopAfter: [0: [1], 1: [3, 4]])
        let output = try withoutGrad { try model.run(c.input, recurrence: 4, observer: observer) }
        XCTAssertEqual(observer.seen.map(\.step), [0, 1, 2, 3])
        XCTAssertEqual(observer.seen.map(\.examples), [[0, 1, 2, 3, 4], [0, 2, 3, 4], [0, 2], [0, 2]])
        XCTAssertEqual(output.examples, [0, 2])
        XCTAssertEqual(output.stepsRun, 4)
        // Every step's monitored logits equal the full batch's logits at that recurrence.
        for (step, examples, logits) in observer.seen {
            let full = try withoutGrad { try model.monitoredLogits(c.input, recurrence: step + 1) }
            let rows = RecurrentGPT2.selectRows(full, examples)
            assertClose(logits, rows, rtol: 1e-5, atol: 1e-5, "step \(step)")
        }
    }

    func testPassEndsWhenEveryExampleHasStopped() throws {
        let model = try smallModel()
        let input = ModelInput(ids: IDTensor(shape: [2, 3], ids: [1, 2, 3, 4, 5, 0]),
                               mask: Tensor(shape: [2, 3], scalars: [1, 1, 1, 1, 1, 0]), positions: [2, 1])
        let observer = StoppingObserver(stopAfter: [1: [0, 1]])
        let output = try withoutGrad { try model.run(input, recurrence: 6, observer: observer) }
        XCTAssertEqual(output.stepsRun, 2)
        XCTAssertNil(output.hidden)
        XCTAssertEqual(observer.seen.count, 2)
    }

    func testLayerObserverSeesEveryBlockOfEveryStep() throws {
        let model = try smallModel(layers: 3)
        let input = ModelInput(ids: IDTensor(shape: [1, 2], ids: [1, 2]), mask: Tensor.ones([1, 2]), positions: [1])
        let observer = StoppingObserver(stopAfter: [:])
        observer.wantsLayers = true
        _ = try withoutGrad { try model.run(input, recurrence: 2, observer: observer) }
        XCTAssertEqual(observer.layersSeen.map { "\($0.0).\($0.1)" }, ["0.0", "0.1", "0.2", "1.0", "1.1", "1.2"])
    }

    /// Truncated backpropagation computes the same loss, the full gradient when k = r, and a
    /// different one (only the last steps) when k < r.
    func testTruncatedBackpropagation() throws {
        let c = try FixtureCase("learned-r3")
        func gradients(_ k: Int?) throws -> (Float, [Tensor]) {
            let model = try Checkpoint.readModel(from: c.folder)
            let loss = Tensor.crossEntropy(try model.monitoredLogits(c.input, recurrence: 3, gradientSteps: k), targets: try c.labels)
            loss.backward()
            return (loss.item, model.parameters.map { $0.grad ?? Tensor(zeros: $0.shape) })
        }
        let (full, g) = try gradients(nil)
        let (same, gAll) = try gradients(3)
        let (truncated, gLast) = try gradients(1)
        XCTAssertEqual(full, same)
        XCTAssertEqual(full, truncated)
        for (a, b) in zip(g, gAll) { XCTAssertEqual(a.scalars, b.scalars) }
        let blockGradient = 2  // blocks.0.ln_1.weight (index 0 token, 1 position)
        XCTAssertNotEqual(g[blockGradient].scalars, gLast[blockGradient].scalars)
        // Without input injection, the embeddings reach the last step only through the unembedding:
        // the position embedding gets no gradient at all.
        XCTAssertTrue(gLast[1].scalars.allSatisfy { $0 == 0 })
        XCTAssertTrue(g[1].scalars.contains { $0 != 0 })
    }

    func testBadInputIsAnErrorNotATrap() throws {
        let model = try smallModel()
        func input(_ ids: [Int], _ t: Int, positions: [Int]) -> ModelInput {
            ModelInput(ids: IDTensor(shape: [ids.count / t, t], ids: ids), mask: Tensor.ones([ids.count / t, t]), positions: positions)
        }
        XCTAssertThrowsError(try model.run(input([1, 99], 2, positions: [1]), recurrence: 1)) {
            XCTAssertTrue("\($0)".contains("token id 99"), "\($0)")
        }
        XCTAssertThrowsError(try model.run(input(Array(repeating: 1, count: 13), 13, positions: [0]), recurrence: 1)) {
            XCTAssertTrue("\($0)".contains("exceeds n_positions 12"), "\($0)")
        }
        XCTAssertThrowsError(try model.run(input([1, 2], 2, positions: [2]), recurrence: 1)) {
            XCTAssertTrue("\($0)".contains("position 2"), "\($0)")
        }
        XCTAssertThrowsError(try model.run(input([1, 2], 2, positions: [1]), recurrence: 0))
    }
}
