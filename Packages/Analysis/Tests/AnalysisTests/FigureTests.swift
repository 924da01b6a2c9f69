import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import Analysis

/// The SVG figures parse as XML and hold the series, axes, legends and cells they should.
final class FigureTests: XCTestCase {
    func testLineChartStructure() throws {
        let panels = [
            ChartPanel(title: "R=6", series: [LineSeries(label: "2-hop", x: [1, 2, 3], y: [-1, 0.5, 2], color: Palette.color(0)),
                                              LineSeries(label: "5-hop", x: [1, 2, 3], y: [-3, -1, 1], color: Palette.color(1))],
                       lines: [ReferenceLine(axis: .y, value: 0, color: "#000000", dashed: false, role: "zero"),
                               ReferenceLine(axis: .x, value: 2.5, color: Palette.color(0), dashed: true, role: "first-hit")]),
            ChartPanel(title: "R=dynamic & <more>", series: [LineSeries(label: "2-hop", x: [1, 2, 3], y: [0, 1, 1.5], color: Palette.color(0))]),
        ]
        let chart = LineChart(title: "Margin", xLabel: "Recurrent iteration (t)", yLabel: "Margin", xDomain: 1...3, panels: panels,
                              legend: LineChart.seriesLegend(panels) + [LegendEntry(label: "first hit", color: "#000", style: .dashed)])
        let svg = try ParsedSVG(chart.svg())
        XCTAssertEqual(svg.texts(class: "title"), ["Margin"])
        XCTAssertEqual(svg.texts(class: "x-label"), ["Recurrent iteration (t)"])
        XCTAssertEqual(svg.texts(class: "y-label"), ["Margin"])
        XCTAssertEqual(svg.elements(class: "panel").compactMap { svg.attribute($0, "data-title") }, ["R=6", "R=dynamic & <more>"])
        let series = svg.elements(class: "series")
        XCTAssertEqual(series.compactMap { svg.attribute($0, "data-series") }, ["2-hop", "5-hop", "2-hop"])
        XCTAssertEqual(series.compactMap { svg.attribute($0, "data-points") }, ["3", "3", "3"])
        XCTAssertTrue(svg.attribute(series[0], "d")!.hasPrefix("M"))
        XCTAssertEqual(svg.attribute(series[1], "stroke"), Palette.color(1))
        // Ids are unique and valid.
        let ids = series.compactMap { svg.attribute($0, "id") }
        XCTAssertEqual(Set(ids).count, 3)
        let lines = svg.elements(class: "reference-line")
        XCTAssertEqual(lines.compactMap { svg.attribute($0, "data-role") }, ["zero", "first-hit"])
        XCTAssertNotNil(svg.attribute(lines[1], "stroke-dasharray"), "the first-hit line is dashed")
        // Ticks on both axes of both panels, labelled.
        XCTAssertEqual(svg.elements(class: "axis").count, 4)
        XCTAssertGreaterThanOrEqual(svg.elements(class: "tick").count, 12)
        XCTAssertEqual(svg.elements(class: "legend-entry").compactMap { svg.attribute($0, "data-label") }, ["2-hop", "5-hop", "first hit"])
        XCTAssertEqual(svg.elements(class: "legend-entry").last.flatMap { svg.attribute($0, "data-style") }, "dashed")
    }

    func testLogAxisTicksArePowersOfTen() throws {
        let chart = LineChart(title: "t", xLabel: "step", yLabel: "acc", xScale: .log, xDomain: 100...100_000,
                              panels: [ChartPanel(title: "", series: [LineSeries(label: "a", x: [0, 100, 1000, 100_000], y: [0, 0.1, 0.5, 1], color: "#000")])])
        let svg = try ParsedSVG(chart.svg())
        let x = svg.elements(class: "axis").first { svg.attribute($0, "class") == "axis x" }!
        let ticks = svg.children(x).compactMap { svg.attribute($0, "data-value") }
        XCTAssertEqual(ticks, ["100", "1k", "10k", "100k"])
        // The point at step 0 cannot be drawn on a log axis and is left out.
        XCTAssertEqual(svg.attribute(svg.elements(class: "series")[0], "data-points"), "3")
    }

    func testHeatmapStructure() throws {
        let accuracy: [Int: [String: Double]] = [1: ["2hop_test": 6, "3hop_test": 0, "atomic": 50, "2hop_train": 99, "weird": 1],
                                                 2: ["2hop_test": 85, "3hop_test": 5, "atomic": 90],
                                                 4: ["2hop_test": 99, "3hop_test": 96]]
        let (heatmap, rows, skipped) = RecurrenceFigures.sweepHeatmap(accuracy: accuracy)
        XCTAssertEqual(rows.map(\.hops), [1, 2, 3])
        XCTAssertEqual(rows.map(\.type), ["atomic", "2hop_test", "3hop_test"])
        XCTAssertEqual(skipped, ["2hop_train", "weird"])
        let svg = try ParsedSVG(heatmap.svg())
        let cells = svg.elements(class: "cell")
        XCTAssertEqual(cells.count, 9)
        XCTAssertEqual(svg.elements(class: "missing").count, 1, "atomic at r = 4 was not measured")
        let cell = try XCTUnwrap(cells.first { svg.attribute($0, "data-row") == "3-hop" && svg.attribute($0, "data-column") == "4" })
        XCTAssertEqual(svg.attribute(cell, "data-value"), "96.0")
        XCTAssertEqual(svg.elements(class: "colorbar").count, 1)
        XCTAssertEqual(svg.texts(class: "x-label"), ["Inference recurrence r"])
        XCTAssertEqual(svg.texts(class: "y-label"), ["Hop count"])
    }

    func testHistogramStructure() throws {
        let chart = RecurrenceFigures.iterationsHistogram(["2hop_test": [2, 2, 3, 4], "10hop_test": [5, 6, 6, 6]])
        XCTAssertEqual(chart.categories, ["2", "3", "4", "5", "6"])
        XCTAssertEqual(chart.series.map(\.label), ["2-hop test", "10-hop test"])
        let svg = try ParsedSVG(chart.svg())
        let bars = svg.elements(class: "bar")
        XCTAssertEqual(bars.count, 10)
        let b = bars.first { svg.attribute($0, "data-series") == "10-hop test" && svg.attribute($0, "data-category") == "6" }!
        XCTAssertEqual(Double(svg.attribute(b, "data-value")!)!, 0.75, accuracy: 1e-12)
        XCTAssertEqual(svg.elements(class: "legend-entry").count, 2)

        let summary = RecurrenceFigures.iterationsSummary(["2hop_test": IterationStats(count: 4, mean: 2.75, median: 2.5, std: 0.8, min: 2, max: 4)])
        let s = try ParsedSVG(summary.svg())
        XCTAssertEqual(s.elements(class: "bar").count, 1)
        XCTAssertEqual(s.elements(class: "whisker").count, 1)
    }

    func testTextIsEscaped() throws {
        XCTAssertEqual(xmlEscape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;")
        XCTAssertEqual(svgID("series", "0", "2-hop test"), "series-0-2-hop_test")
        XCTAssertEqual(svgID("7hop"), "s7hop")
    }
}
