import XCTest
import RecurrentDepth

/// The reference's run per task, declared once in `TaskPreset`.
final class TaskPresetTests: XCTestCase {
    /// Systematicity trains with dropout 0.1 everywhere and `c_scale` 1; extrapolation with no
    /// embedding dropout and `c_scale` 0; both with the dynamic schedule.
    func testEachTaskHasTheReferencesRun() throws {
        let systematicity = TaskPreset.systematicity
        XCTAssertEqual(systematicity.training, .systematicity)
        XCTAssertTrue(try systematicity.makeSchedule() is DynamicRecurrence)
        let s = try systematicity.modelConfig(vocabSize: 50)
        XCTAssertEqual([s.embeddingDropout, s.attentionDropout, s.residualDropout, s.cScale], [0.1, 0.1, 0.1, 1])
        XCTAssertEqual(s.recurrence, 8)

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
