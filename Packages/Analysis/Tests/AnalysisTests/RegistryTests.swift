import Foundation
import XCTest
import RecurrentDepth
import Analysis
import FixtureSupport

/// A probe that lives outside this package: it needs only the `Probe` protocol (and
/// `RegisteredProbe` to be built by name).
struct CountingProbe: RegisteredProbe {
    static let description = ComponentDescription(name: "count-models", summary: "counts the models", parameters: [
        ParameterSpec("scale", default: "1", "multiplier"),
    ])
    struct Result: Codable { var models: Int }
    var name: String { Self.description.name }
    let scale: Int
    init(parameters: Parameters) throws { scale = try parameters.number("scale", in: 1...10) }
    func measure(_ context: ProbeContext) throws -> Result { Result(models: context.models.count * scale) }
    func figures(for result: Result) throws -> [Figure] {
        let chart = LineChart(title: "Models", xLabel: "x", yLabel: "y",
                              panels: [ChartPanel(title: "", series: [LineSeries(label: "n", x: [0, 1], y: [0, Double(result.models)], color: Palette.color(0))])])
        return [try Figure(name: "count-models-figure", chart: chart)]
    }
}

final class RegistryTests: XCTestCase {
    func testBuiltInProbesAreListedWithTheirParameters() {
        let descriptions = ProbeRegistry.builtIn.descriptions
        XCTAssertEqual(descriptions.map(\.name), ["logit-margin", "grokking", "logit-lens", "bridge-lens", "recurrence-sweep", "training-curves"])
        let margin = descriptions[0]
        XCTAssertEqual(margin.parameters.first { $0.key == "position" }?.defaultValue, "pred_pos")
        XCTAssertTrue(descriptions.allSatisfy { !$0.summary.isEmpty && $0.parameters.allSatisfy { !$0.help.isEmpty } })
    }

    func testSpecsTakeCommaSeparatedLists() throws {
        let probe = try ProbeRegistry.builtIn.make("logit-margin:splits=2hop_test,3hop_test,iterations=20,position=first_pad") as! LogitMarginProbe
        XCTAssertEqual(probe.splits, ["2hop_test", "3hop_test"])
        XCTAssertEqual(probe.iterations, 20)
        XCTAssertEqual(probe.position, .firstPad)
    }

    func testBadNamesAndValuesAreClearErrors() {
        let registry = ProbeRegistry.builtIn
        XCTAssertThrowsError(try registry.make("logit-margins")) { error in
            XCTAssertTrue("\(error)".contains("unknown probe 'logit-margins'"), "\(error)")
            XCTAssertTrue("\(error)".contains("logit-margin,"), "lists the known probes: \(error)")
        }
        XCTAssertThrowsError(try registry.make("logit-margin", parameters: ["split": "x"])) { error in
            guard case .unknownParameter("split", "probe", "logit-margin", _)? = error as? SpecificationError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try registry.make("logit-margin", parameters: ["iterations": "many"])) { error in
            XCTAssertTrue("\(error)".contains("iterations=many"), "\(error)")
        }
        XCTAssertThrowsError(try registry.make("logit-margin", parameters: ["position": "middle"])) { error in
            XCTAssertTrue("\(error)".contains("pred_pos, first_pad"), "\(error)")
        }
        XCTAssertThrowsError(try registry.make("grokking", parameters: ["ood_threshold": "95"])) { error in
            XCTAssertTrue("\(error)".contains("0.0...1.0"), "\(error)")
        }
    }

    func testAThirdPartyProbeRegistersRunsAndWrites() throws {
        var registry = ProbeRegistry.builtIn
        registry.register(CountingProbe.component)
        XCTAssertEqual(registry.descriptions.last?.name, "count-models")
        let probe = try registry.make("count-models:scale=3")
        let output = try probe.run(ProbeContext(models: [ProbeModel(name: "a", folder: fixturesRoot.appendingPathComponent("learned-r3"))]))
        let folder = temporaryFolder().appendingPathComponent("out")
        let files = try output.write(to: folder)
        XCTAssertEqual(files.map(\.lastPathComponent), ["count-models.json", "count-models-figure.svg", "count-models-figure.json"])
        let result = try JSONSerialization.jsonObject(with: Data(contentsOf: files[0])) as! [String: Int]
        XCTAssertEqual(result, ["models": 3])
        let chart = try JSONDecoder().decode(LineChart.self, from: Data(contentsOf: files[2]))
        XCTAssertEqual(chart.panels[0].series[0].y, [0, 3])
        XCTAssertNoThrow(try ParsedSVG(String(contentsOf: files[1], encoding: .utf8)))
        // Writing again replaces the files and leaves no temporaries behind.
        try output.write(to: folder)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(),
                       ["count-models-figure.json", "count-models-figure.svg", "count-models.json"])
    }

    func testRecurrenceSweepReadsHaltingJSONByKeys() throws {
        let run = temporaryFolder()
        let sweep = #"{"config": {"r": [1, 2, 4]}, "accuracy_per_recurrence": {"1": {"2hop_test": 6.0, "3hop_test": 0.0}, "2": {"2hop_test": 85.0, "3hop_test": 5.0}, "4": {"2hop_test": 99.0, "3hop_test": 96.0}}}"#
        let report = #"{"accuracy_per_type": {"2hop_test": 99.0}, "avg_iterations_per_type": {"2hop_test": 3.5}, "iterations_stats_per_type": {"2hop_test": {"count": 4, "mean": 3.5, "median": 3.5, "std": 0.5, "min": 3, "max": 4}}, "config": {}}"#
        try sweep.write(to: run.appendingPathComponent("sweep.json"), atomically: true, encoding: .utf8)
        try report.write(to: run.appendingPathComponent("report.json"), atomically: true, encoding: .utf8)
        let probe = try ProbeRegistry.builtIn.make("recurrence-sweep", parameters: ["report": run.appendingPathComponent("report.json").path])
        let output = try probe.run(ProbeContext(runFolder: run))
        XCTAssertEqual(output.figures.map(\.name), ["recurrence-sweep-heatmap", "halting-iterations"])
        let result = try JSONDecoder().decode(RecurrenceSweepProbe.Result.self, from: output.json)
        XCTAssertEqual(result.accuracyPerRecurrence?["4"]?["3hop_test"], 96)
        XCTAssertEqual(result.hopTypes, ["2": "2hop_test", "3": "3hop_test"])
        XCTAssertEqual(result.iterationsStatsPerType?["2hop_test"]?.max, 4)

        // The wrong file for the key is a clear error.
        XCTAssertThrowsError(try RecurrenceSweepProbe.readSweep(Data(report.utf8), source: "report.json")) { error in
            XCTAssertTrue("\(error)".contains("not a recurrence sweep"), "\(error)")
        }
        XCTAssertThrowsError(try RecurrenceSweepProbe.readReport(Data(sweep.utf8), source: "sweep.json")) { error in
            XCTAssertTrue("\(error)".contains("not a halting evaluation report"), "\(error)")
        }
        XCTAssertThrowsError(try RecurrenceSweepProbe().run(ProbeContext(runFolder: temporaryFolder()))) { error in
            guard case .missingInput? = error as? AnalysisError else { return XCTFail("\(error)") }
        }
        let perExample = try RecurrenceSweepProbe.readReport(Data(#"{"iterations_per_example": {"2hop_test": [2, 3, 3]}}"#.utf8), source: "r")
        XCTAssertEqual(perExample.perExample?["2hop_test"], [2, 3, 3])
    }

    func testHopCountsFromTypeNames() {
        XCTAssertEqual(hopCount(ofType: "7hop_test"), 7)
        XCTAssertEqual(hopCount(ofType: "12hop_train"), 12)
        XCTAssertEqual(hopCount(ofType: "atomic"), 1)
        XCTAssertEqual(hopCount(ofType: "ood_atomic"), 1)
        XCTAssertNil(hopCount(ofType: "test_inferred_iid"))
        XCTAssertEqual(displayLabel(forSplit: "16hop_test"), "16-hop test")
        XCTAssertEqual(displayLabel(forSplit: "2hop"), "2-hop")
        XCTAssertEqual(displayLabel(forSplit: "test_inferred_ood"), "test_inferred_ood")
    }
}
