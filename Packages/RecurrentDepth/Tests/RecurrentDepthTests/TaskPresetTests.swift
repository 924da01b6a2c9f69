import XCTest
import RecurrentDepth

/// The reference's run per task, declared once in `TaskPreset`.
final class TaskPresetTests: XCTestCase {
    /// Systematicity trains at a fixed recurrence (r 4 unless the user sets it) with dropout 0.1
    /// everywhere and `c_scale` 1; extrapolation with the dynamic schedule, no embedding dropout
    /// and `c_scale` 0.
    func testEachTaskHasTheReferencesRun() throws {
        let systematicity = TaskPreset.systematicity
        XCTAssertEqual(systematicity.training, .systematicity)
        let fixed = try XCTUnwrap(try systematicity.makeSchedule() as? FixedRecurrence)
        XCTAssertEqual(fixed.r, 4)
        let s = try systematicity.modelConfig(vocabSize: 50)
        XCTAssertEqual([s.embeddingDropout, s.attentionDropout, s.residualDropout, s.cScale], [0.1, 0.1, 0.1, 1])
        XCTAssertEqual(s.recurrence, 4)

        let extrapolation = TaskPreset.extrapolation
        XCTAssertEqual(extrapolation.training, .extrapolation)
        let dynamic = try XCTUnwrap(try extrapolation.makeSchedule() as? DynamicRecurrence)
        XCTAssertEqual([dynamic.minimum, dynamic.maximum], [2, 8])
        XCTAssertEqual(dynamic.mean, 4)
        let e = try extrapolation.modelConfig(vocabSize: 50)
        XCTAssertEqual([e.embeddingDropout, e.attentionDropout, e.residualDropout, e.cScale], [0, 0.1, 0.1, 0])
        XCTAssertEqual(e.recurrence, 8)
        XCTAssertEqual(e.positions, max(50, ModelConfig(vocabSize: 1).positions), "the table covers max_len 50")

        XCTAssertEqual(try TaskPreset.named("systematicity"), systematicity)
        XCTAssertThrowsError(try TaskPreset.named("sorting")) { error in
            XCTAssertTrue("\(error)".contains("'sorting': expected extrapolation or systematicity"), "\(error)")
        }
    }
}
