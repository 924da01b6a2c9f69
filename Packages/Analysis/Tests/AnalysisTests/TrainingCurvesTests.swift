import Foundation
import XCTest
import RecurrentDepth
import Analysis
import FixtureSupport

/// The curves of runs whose logs hold known values, and figures that draw each run in each panel.
final class TrainingCurvesTests: XCTestCase {
    /// A run folder named `name` whose log has a training record every 10 steps (loss `base`/step,
    /// lr step·1e-5) and an evaluation every 20 (accuracy step/100 for `2hop_test`, 1 for `atomic`).
    func writeRun(_ name: String, base: Double, steps: Int = 100) throws -> URL {
        let run = temporaryFolder().appendingPathComponent(name)
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        var lines: [String] = []
        for step in stride(from: 10, through: steps, by: 10) {
            lines.append(#"{"kind": "train", "step": \#(step), "epoch": 0, "loss": \#(base / Double(step)), "lr": \#(Double(step) * 1e-5), "r": 4, "elapsed": 1}"#)
            if step % 20 == 0 {
                lines.append(#"{"kind": "eval", "step": \#(step), "epoch": 0, "lr": 0, "accuracy": {"2hop_test": \#(Double(step) / 100), "atomic": 1}, "elapsed": 1}"#)
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(to: run.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        return run
    }

    func testCurvesAreTheLogsValuesPerRun() throws {
        let a = try writeRun("seed-1", base: 10), b = try writeRun("seed-2", base: 20, steps: 60)
        let result = try TrainingCurvesProbe().measure(ProbeContext(runFolders: [a, b]))
        XCTAssertEqual(result.runs.map(\.name), ["seed-1", "seed-2"])
        XCTAssertEqual(result.types, ["2hop_test", "atomic"])
        XCTAssertEqual(result.runs[1].loss.step, [10, 20, 30, 40, 50, 60])
        XCTAssertEqual(result.runs[1].loss.value, [2, 1, 20.0 / 30, 0.5, 0.4, 20.0 / 60])
        XCTAssertEqual(result.runs[0].learningRate.value.last, 100 * 1e-5)
        XCTAssertEqual(result.runs[0].accuracy.map(\.split), ["2hop_test", "atomic"])
        XCTAssertEqual(result.runs[0].accuracy[0].step, [20, 40, 60, 80, 100])
        XCTAssertEqual(result.runs[0].accuracy[0].accuracy, [0.2, 0.4, 0.6, 0.8, 1])
        let picked = try TrainingCurvesProbe(splits: ["atomic"]).measure(ProbeContext(runFolders: [a]))
        XCTAssertEqual(picked.types, ["atomic"])
        XCTAssertEqual(picked.runs[0].accuracy.map(\.split), ["atomic"])
    }

    /// Loss (log scale), learning rate and an accuracy panel per type; every run a series in each.
    func testFiguresOverlayEveryRun() throws {
        let runs = [try writeRun("seed-1", base: 10), try writeRun("seed-2", base: 20)]
        let output = try ProbeRegistry.builtIn.make("training-curves").run(ProbeContext(runFolders: runs))
        XCTAssertEqual(output.figures.map(\.name), ["training-curves-loss", "training-curves-lr", "training-curves-accuracy"])
        for figure in output.figures {
            let svg = try ParsedSVG(figure.svg)
            let series = svg.elements(class: "series")
            XCTAssertEqual(Set(series.compactMap { svg.attribute($0, "data-series") }), ["seed-1", "seed-2"], figure.name)
            let panels = svg.elements(class: "panel").count
            XCTAssertEqual(series.count, 2 * panels, figure.name)
            let points = series.compactMap { svg.attribute($0, "data-points").flatMap(Int.init) }
            XCTAssertEqual(Set(points), [figure.name.hasSuffix("accuracy") ? 5 : 10], figure.name)
        }
        let accuracy = try ParsedSVG(output.figures[2].svg)
        XCTAssertEqual(accuracy.elements(class: "panel").compactMap { accuracy.attribute($0, "data-title") }, ["2hop_test", "atomic"])
        let loss = try JSONDecoder().decode(LineChart.self, from: output.figures[0].data)
        XCTAssertEqual(loss.yScale, .log)
    }

    func testMissingRunsUnknownTypesAndSeveralRunsForAOneRunProbeAreErrors() throws {
        XCTAssertThrowsError(try TrainingCurvesProbe().measure(ProbeContext())) { error in
            XCTAssertEqual(error as? AnalysisError, .missingInput("one or more run folders (--run)", probe: "training-curves"))
        }
        let a = try writeRun("a", base: 1), b = try writeRun("b", base: 1)
        XCTAssertThrowsError(try TrainingCurvesProbe(splits: ["3hop_test"]).measure(ProbeContext(runFolders: [a]))) { error in
            XCTAssertTrue("\(error)".contains("no split '3hop_test'") && "\(error)".contains("2hop_test, atomic"), "\(error)")
        }
        XCTAssertThrowsError(try GrokkingProbe(rules: []).measure(ProbeContext(runFolders: [a, b]))) { error in
            XCTAssertTrue("\(error)".contains("reads one run"), "\(error)")
        }
    }
}
