import Foundation

/// One line of a chart: points in data coordinates (non-finite points break the line).
public struct LineSeries: Codable, Equatable, Sendable {
    public var label: String
    public var x: [Double]
    public var y: [Double]
    public var color: String
    public var dashed: Bool
    /// Draw a dot at every point (for sparse series such as evaluations).
    public var markers: Bool

    public init(label: String, x: [Double], y: [Double], color: String, dashed: Bool = false, markers: Bool = false) {
        self.label = label
        self.x = x
        self.y = y
        self.color = color
        self.dashed = dashed
        self.markers = markers
    }
}

/// A vertical (`axis` "x": a line at x = value) or horizontal (`axis` "y") reference line, with an
/// optional label drawn beside it.
public struct ReferenceLine: Codable, Equatable, Sendable {
    public enum Axis: String, Codable, Sendable { case x, y }
    public var axis: Axis
    public var value: Double
    public var color: String
    public var dashed: Bool
    public var label: String?
    /// What the line marks, for readers of the SVG (e.g. "first-hit", "zero", "stage").
    public var role: String

    public init(axis: Axis, value: Double, color: String, dashed: Bool, label: String? = nil, role: String) {
        self.axis = axis
        self.value = value
        self.color = color
        self.dashed = dashed
        self.label = label
        self.role = role
    }
}

public struct ChartPanel: Codable, Equatable, Sendable {
    public var title: String
    public var series: [LineSeries]
    public var lines: [ReferenceLine]

    public init(title: String, series: [LineSeries], lines: [ReferenceLine] = []) {
        self.title = title
        self.series = series
        self.lines = lines
    }
}

/// Line charts: one panel, or several in a grid sharing both axes (the reference's margin figure).
///
/// The SVG names what it draws, so tests and scripts can find it: panels are
/// `<g class="panel" data-title=…>`, series `<path class="series" data-series=…>`, reference lines
/// `<line class="reference-line" data-role=…>`, axes `<g class="axis x|y">` with `<g class="tick">`.
public struct LineChart: Codable, Equatable, Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xScale: AxisScale
    public var yScale: AxisScale
    /// Fixed ranges; nil fits the data (padded on a linear y axis).
    public var xDomain: [Double]?
    public var yDomain: [Double]?
    public var panels: [ChartPanel]
    public var columns: Int
    public var legend: [LegendEntry]
    public var panelWidth: Double = 340
    public var panelHeight: Double = 230

    public init(title: String, xLabel: String, yLabel: String, xScale: AxisScale = .linear, yScale: AxisScale = .linear,
                xDomain: ClosedRange<Double>? = nil, yDomain: ClosedRange<Double>? = nil, panels: [ChartPanel],
                columns: Int = 2, legend: [LegendEntry] = []) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xScale = xScale
        self.yScale = yScale
        self.xDomain = xDomain.map { [$0.lowerBound, $0.upperBound] }
        self.yDomain = yDomain.map { [$0.lowerBound, $0.upperBound] }
        self.panels = panels
        self.columns = max(1, min(columns, panels.count))
        self.legend = legend
    }

    /// The legend a chart gets by default: one line entry per distinct series label.
    public static func seriesLegend(_ panels: [ChartPanel]) -> [LegendEntry] {
        var seen = Set<String>()
        var out: [LegendEntry] = []
        for s in panels.flatMap(\.series) where seen.insert(s.label).inserted {
            out.append(LegendEntry(label: s.label, color: s.color, style: s.dashed ? .dashed : .line))
        }
        return out
    }

    public func svg() -> String {
        let left = 86.0, right = 24.0, top = 58.0, gapX = 64.0, gapY = 62.0, panelTitle = 22.0
        let rows = (panels.count + columns - 1) / max(columns, 1)
        let gridWidth = Double(columns) * panelWidth + Double(columns - 1) * gapX
        let gridHeight = Double(rows) * (panelHeight + panelTitle) + Double(max(rows - 1, 0)) * (gapY - panelTitle)
        let width = left + gridWidth + right
        let legendTop = top + gridHeight + 58
        let height = legendTop + legendHeight(legend, maxWidth: width - 40) + 16

        let allX = panels.flatMap { $0.series.flatMap(\.x) + $0.lines.filter { $0.axis == .x }.map(\.value) }
        let allY = panels.flatMap { $0.series.flatMap(\.y) + $0.lines.filter { $0.axis == .y }.map(\.value) }
        let (x0, x1) = xDomain.map { ($0[0], $0[1]) } ?? dataDomain(allX, scale: xScale, pad: 0)
        let (y0, y1) = yDomain.map { ($0[0], $0[1]) } ?? dataDomain(allY, scale: yScale, pad: 0.08)

        var svg = SVGBuilder(width: width, height: height)
        svg.text(title, x: width / 2, y: 28, size: 15, anchor: "middle", weight: "bold", extra: [("class", "title")])
        for (i, panel) in panels.enumerated() {
            let (col, row) = (i % columns, i / columns)
            let px = left + Double(col) * (panelWidth + gapX)
            let py = top + Double(row) * (panelHeight + gapY) + panelTitle
            let xs = AxisMapping(scale: xScale, low: x0, high: x1, from: px, to: px + panelWidth)
            let ys = AxisMapping(scale: yScale, low: y0, high: y1, from: py + panelHeight, to: py)
            draw(panel, index: i, in: &svg, xs: xs, ys: ys, px: px, py: py)
        }
        svg.text(xLabel, x: left + gridWidth / 2, y: top + gridHeight + 40, size: 12.5, anchor: "middle", extra: [("class", "x-label")])
        svg.text(yLabel, x: 20, y: top + gridHeight / 2, size: 12.5, anchor: "middle", rotate: -90, extra: [("class", "y-label")])
        svg.legend(legend, x: 20, y: legendTop, maxWidth: width - 40)
        return svg.render()
    }

    private func draw(_ panel: ChartPanel, index: Int, in svg: inout SVGBuilder, xs: AxisMapping, ys: AxisMapping, px: Double, py: Double) {
        let clip = "clip-\(index)"
        svg.open("g", [("class", "panel"), ("id", svgID("panel", String(index), panel.title)), ("data-title", panel.title)])
        svg.open("clipPath", [("id", clip)])
        svg.rect(x: px, y: py, width: panelWidth, height: panelHeight, fill: "#ffffff")
        svg.close("clipPath")
        svg.rect(x: px, y: py, width: panelWidth, height: panelHeight, fill: "#ffffff", stroke: "#444444", extra: [("class", "frame")])
        if !panel.title.isEmpty {
            svg.text(panel.title, x: px + panelWidth / 2, y: py - 8, size: 12.5, anchor: "middle", weight: "bold", extra: [("class", "panel-title")])
        }
        // Ticks and grid.
        let xt = xs.ticks(), yt = ys.ticks()
        svg.open("g", [("class", "axis x")])
        for t in xt {
            let x = xs(t)
            svg.open("g", [("class", "tick"), ("data-value", AxisMapping.compact(t))])
            svg.line(x1: x, y1: py, x2: x, y2: py + panelHeight, color: "#e6e6e6", width: 0.8)
            svg.line(x1: x, y1: py + panelHeight, x2: x, y2: py + panelHeight + 5, color: "#444444")
            svg.text(xs.label(t, ticks: xt), x: x, y: py + panelHeight + 18, size: 10.5, anchor: "middle")
            svg.close("g")
        }
        svg.close("g")
        svg.open("g", [("class", "axis y")])
        for t in yt {
            let y = ys(t)
            svg.open("g", [("class", "tick"), ("data-value", AxisMapping.compact(t))])
            svg.line(x1: px, y1: y, x2: px + panelWidth, y2: y, color: "#e6e6e6", width: 0.8)
            svg.line(x1: px - 5, y1: y, x2: px, y2: y, color: "#444444")
            svg.text(ys.label(t, ticks: yt), x: px - 8, y: y + 3.5, size: 10.5, anchor: "end")
            svg.close("g")
        }
        svg.close("g")

        svg.open("g", [("clip-path", "url(#\(clip))")])
        for line in panel.lines {
            var a: [(String, String)] = [("class", "reference-line"), ("data-role", line.role), ("data-value", String(line.value))]
            if let label = line.label { a.append(("data-label", label)) }
            switch line.axis {
            case .x:
                guard xs.contains(line.value) else { continue }
                svg.line(x1: xs(line.value), y1: py, x2: xs(line.value), y2: py + panelHeight, color: line.color,
                         width: line.dashed ? 1.4 : 1.1, dashed: line.dashed, extra: a)
            case .y:
                guard ys.contains(line.value) else { continue }
                svg.line(x1: px, y1: ys(line.value), x2: px + panelWidth, y2: ys(line.value), color: line.color,
                         width: line.dashed ? 1.4 : 1.1, dashed: line.dashed, extra: a)
            }
        }
        for series in panel.series {
            var d = "", pen = false
            var dots: [(Double, Double)] = []
            for (x, y) in zip(series.x, series.y) {
                guard x.isFinite, y.isFinite, xScale == .linear || x > 0, yScale == .linear || y > 0 else { pen = false; continue }
                d += (pen ? "L" : "M") + fmt(xs(x)) + " " + fmt(ys(y)) + " "
                pen = true
                dots.append((xs(x), ys(y)))
            }
            var a: [(String, String)] = [("class", "series"), ("id", svgID("series", String(index), series.label)),
                                         ("data-series", series.label), ("data-points", String(dots.count)),
                                         ("d", d.isEmpty ? "M0 0" : String(d.dropLast())), ("fill", "none"),
                                         ("stroke", series.color), ("stroke-width", "2"), ("stroke-linejoin", "round")]
            if series.dashed { a.append(("stroke-dasharray", "6 4")) }
            svg.element("path", a)
            if series.markers {
                svg.open("g", [("class", "markers"), ("data-series", series.label)])
                for (x, y) in dots { svg.element("circle", [("cx", fmt(x)), ("cy", fmt(y)), ("r", "2.6"), ("fill", series.color)]) }
                svg.close("g")
            }
        }
        svg.close("g")
        // Labels of reference lines, outside the clip so they are never cut.
        // Vertical lines' labels stack downwards so neighbours never overlap, and sit left of
        // their line in the right part of the panel so they are not cut at the edge.
        var stacked = 0
        for line in panel.lines {
            guard let label = line.label, !label.isEmpty else { continue }
            if line.axis == .x, xs.contains(line.value) {
                let x = xs(line.value)
                let right = x > px + panelWidth * 0.6
                svg.text(label, x: right ? x - 4 : x + 4, y: py + 13 + 13 * Double(stacked), size: 9.5, anchor: right ? "end" : "start",
                         color: line.color, extra: [("class", "reference-label")])
                stacked += 1
            } else if line.axis == .y, ys.contains(line.value) {
                svg.text(label, x: px + panelWidth - 4, y: ys(line.value) - 4, size: 9.5, anchor: "end", color: line.color,
                         extra: [("class", "reference-label")])
            }
        }
        svg.close("g")
    }
}
