import Foundation

/// A grid of values coloured on viridis, with a colour bar; missing values are grey.
///
/// In the SVG every cell is `<rect class="cell" data-row=… data-column=… data-value=…>` and the
/// colour bar is `<g class="colorbar">`.
public struct Heatmap: Codable, Equatable, Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var columns: [String]
    /// Top to bottom.
    public var rows: [String]
    /// `values[row][column]`; nil where nothing was measured.
    public var values: [[Double?]]
    public var colorLabel: String
    /// The values at the two ends of the colour scale.
    public var colorDomain: [Double]
    /// Print each value in its cell (with this many decimals), when the cells are large enough.
    public var valueDecimals: Int?

    public init(title: String, xLabel: String, yLabel: String, columns: [String], rows: [String], values: [[Double?]],
                colorLabel: String, colorDomain: ClosedRange<Double>? = nil, valueDecimals: Int? = 0) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.columns = columns
        self.rows = rows
        self.values = values
        self.colorLabel = colorLabel
        let present = values.flatMap { $0.compactMap { $0 } }.filter(\.isFinite)
        let domain = colorDomain ?? ((present.min() ?? 0)...(max(present.max() ?? 1, (present.min() ?? 0) + 1e-9)))
        self.colorDomain = [domain.lowerBound, domain.upperBound]
        self.valueDecimals = valueDecimals
    }

    public func svg() -> String {
        let cell = max(22, min(56, 560 / Double(max(columns.count, 1))))
        let cellH = max(16, min(34, 420 / Double(max(rows.count, 1))))
        let rowLabelWidth = max(40, (rows.map { textWidth($0, size: 10.5) }.max() ?? 0) + 14)
        let left = 40 + rowLabelWidth, top = 58.0
        let gridW = cell * Double(columns.count), gridH = cellH * Double(rows.count)
        let barX = left + gridW + 28, barW = 16.0
        let width = max(barX + barW + 90, textWidth(title, size: 15) + 40)
        let height = top + gridH + 62
        let (lo, hi) = (colorDomain[0], colorDomain[1])
        func t(_ v: Double) -> Double { hi > lo ? (v - lo) / (hi - lo) : 0.5 }

        var svg = SVGBuilder(width: width, height: height)
        svg.text(title, x: width / 2, y: 28, size: 15, anchor: "middle", weight: "bold", extra: [("class", "title")])
        svg.open("g", [("class", "cells")])
        for (r, row) in rows.enumerated() {
            for (c, column) in columns.enumerated() {
                let value = r < values.count && c < values[r].count ? values[r][c] : nil
                let (x, y) = (left + Double(c) * cell, top + Double(r) * cellH)
                var a: [(String, String)] = [("class", value == nil ? "cell missing" : "cell"), ("data-row", row), ("data-column", column)]
                if let value { a.append(("data-value", String(value))) }
                svg.rect(x: x, y: y, width: cell, height: cellH, fill: value.map { Palette.viridis(t($0)) } ?? "#dddddd",
                         stroke: "#ffffff", extra: a)
                if let value, let decimals = valueDecimals, cell >= 26, cellH >= 14 {
                    svg.text(String(format: "%.\(decimals)f", value), x: x + cell / 2, y: y + cellH / 2 + 3.5, size: min(10, cellH * 0.55),
                             anchor: "middle", color: Palette.textColor(onViridis: t(value)), extra: [("class", "cell-label")])
                }
            }
        }
        svg.close("g")
        svg.open("g", [("class", "axis x")])
        let every = max(1, Int((30 / cell).rounded(.up)))
        for (c, column) in columns.enumerated() where c % every == 0 {
            svg.open("g", [("class", "tick"), ("data-value", column)])
            svg.text(column, x: left + (Double(c) + 0.5) * cell, y: top + gridH + 16, size: 10.5, anchor: "middle")
            svg.close("g")
        }
        svg.close("g")
        svg.open("g", [("class", "axis y")])
        for (r, row) in rows.enumerated() {
            svg.open("g", [("class", "tick"), ("data-value", row)])
            svg.text(row, x: left - 6, y: top + (Double(r) + 0.5) * cellH + 3.5, size: 10.5, anchor: "end")
            svg.close("g")
        }
        svg.close("g")
        svg.text(xLabel, x: left + gridW / 2, y: top + gridH + 40, size: 12.5, anchor: "middle", extra: [("class", "x-label")])
        svg.text(yLabel, x: 18, y: top + gridH / 2, size: 12.5, anchor: "middle", rotate: -90, extra: [("class", "y-label")])

        // Colour bar: stacked bands from low (bottom) to high (top).
        svg.open("g", [("class", "colorbar"), ("data-low", String(lo)), ("data-high", String(hi))])
        let bands = 40
        for i in 0..<bands {
            let f = Double(i) / Double(bands - 1)
            svg.rect(x: barX, y: top + gridH * (1 - Double(i + 1) / Double(bands)), width: barW, height: gridH / Double(bands) + 0.5,
                     fill: Palette.viridis(f))
        }
        svg.rect(x: barX, y: top, width: barW, height: gridH, fill: "none", stroke: "#444444")
        let ticks = AxisMapping(scale: .linear, low: lo, high: hi, from: top + gridH, to: top)
        let values = ticks.ticks(target: 5)
        for v in values {
            svg.line(x1: barX + barW, y1: ticks(v), x2: barX + barW + 4, y2: ticks(v), color: "#444444")
            svg.text(ticks.label(v, ticks: values), x: barX + barW + 7, y: ticks(v) + 3.5, size: 10)
        }
        svg.text(colorLabel, x: barX + barW + 52, y: top + gridH / 2, size: 11.5, anchor: "middle", rotate: 90,
                 extra: [("class", "colorbar-label")])
        svg.close("g")
        return svg.render()
    }
}
