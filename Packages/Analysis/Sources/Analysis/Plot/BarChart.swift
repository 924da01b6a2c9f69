import Foundation

/// One group member of a bar chart: a value per category, optionally with a whisker per category.
public struct BarSeries: Codable, Equatable, Sendable {
    public var label: String
    public var values: [Double]
    public var color: String
    /// Whisker ends per category (e.g. min and max); nil draws none.
    public var low: [Double]?
    public var high: [Double]?

    public init(label: String, values: [Double], color: String, low: [Double]? = nil, high: [Double]? = nil) {
        self.label = label
        self.values = values
        self.color = color
        self.low = low
        self.high = high
    }
}

/// Grouped bars over categories (histograms are bars over bins).
///
/// In the SVG every bar is `<rect class="bar" data-series=… data-category=… data-value=…>`.
public struct BarChart: Codable, Equatable, Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var categories: [String]
    public var series: [BarSeries]

    public init(title: String, xLabel: String, yLabel: String, categories: [String], series: [BarSeries]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.categories = categories
        self.series = series
    }

    public func svg() -> String {
        let left = 80.0, right = 24.0, top = 58.0
        let groupWidth = max(18, min(90, 640 / Double(max(categories.count, 1))))
        let plotW = max(360, groupWidth * Double(categories.count)), plotH = 260.0
        let width = left + plotW + right
        let legend = series.map { LegendEntry(label: $0.label, color: $0.color, style: .box) }
        let legendTop = top + plotH + 58
        let height = legendTop + legendHeight(legend, maxWidth: width - 40) + 16
        let top_ = series.flatMap { $0.values + ($0.high ?? []) }.filter(\.isFinite).max() ?? 1
        let ys = AxisMapping(scale: .linear, low: 0, high: max(top_ * 1.08, 1e-9), from: top + plotH, to: top)
        let slot = plotW / Double(max(categories.count, 1))
        let barW = slot * 0.8 / Double(max(series.count, 1))

        var svg = SVGBuilder(width: width, height: height)
        svg.text(title, x: width / 2, y: 28, size: 15, anchor: "middle", weight: "bold", extra: [("class", "title")])
        svg.rect(x: left, y: top, width: plotW, height: plotH, fill: "#ffffff", stroke: "#444444", extra: [("class", "frame")])
        let yt = ys.ticks()
        svg.open("g", [("class", "axis y")])
        for t in yt {
            svg.open("g", [("class", "tick"), ("data-value", AxisMapping.compact(t))])
            svg.line(x1: left, y1: ys(t), x2: left + plotW, y2: ys(t), color: "#e6e6e6", width: 0.8)
            svg.line(x1: left - 5, y1: ys(t), x2: left, y2: ys(t), color: "#444444")
            svg.text(ys.label(t, ticks: yt), x: left - 8, y: ys(t) + 3.5, size: 10.5, anchor: "end")
            svg.close("g")
        }
        svg.close("g")
        svg.open("g", [("class", "bars")])
        for (s, series) in series.enumerated() {
            for (c, category) in categories.enumerated() where c < series.values.count {
                let v = series.values[c]
                let x = left + Double(c) * slot + slot * 0.1 + Double(s) * barW
                svg.rect(x: x, y: ys(max(v, 0)), width: barW, height: ys(0) - ys(max(v, 0)), fill: series.color,
                         extra: [("class", "bar"), ("data-series", series.label), ("data-category", category), ("data-value", String(v))])
                if let low = series.low, let high = series.high, c < low.count, c < high.count {
                    let cx = x + barW / 2
                    svg.line(x1: cx, y1: ys(low[c]), x2: cx, y2: ys(high[c]), color: "#222222", width: 1.2, extra: [("class", "whisker")])
                    for end in [low[c], high[c]] {
                        svg.line(x1: cx - barW * 0.25, y1: ys(end), x2: cx + barW * 0.25, y2: ys(end), color: "#222222", width: 1.2)
                    }
                }
            }
        }
        svg.close("g")
        svg.open("g", [("class", "axis x")])
        let every = max(1, Int((34 / slot).rounded(.up)))
        for (c, category) in categories.enumerated() where c % every == 0 {
            svg.open("g", [("class", "tick"), ("data-value", category)])
            svg.text(category, x: left + (Double(c) + 0.5) * slot, y: top + plotH + 16, size: 10.5, anchor: "middle")
            svg.close("g")
        }
        svg.close("g")
        svg.text(xLabel, x: left + plotW / 2, y: top + plotH + 40, size: 12.5, anchor: "middle", extra: [("class", "x-label")])
        svg.text(yLabel, x: 20, y: top + plotH / 2, size: 12.5, anchor: "middle", rotate: -90, extra: [("class", "y-label")])
        svg.legend(legend, x: 20, y: legendTop, maxWidth: width - 40)
        return svg.render()
    }
}
