/// One legend entry: a solid or dashed line, or a filled box, with its label.
public struct LegendEntry: Codable, Equatable, Sendable {
    public enum Style: String, Codable, Sendable { case line, dashed, box }
    public var label: String
    public var color: String
    public var style: Style

    public init(label: String, color: String, style: Style = .line) {
        self.label = label
        self.color = color
        self.style = style
    }
}

extension SVGBuilder {
    /// Lays entries out in rows from `x`, wrapping at `maxWidth`; returns the height used.
    @discardableResult
    mutating func legend(_ entries: [LegendEntry], x: Double, y: Double, maxWidth: Double, centered: Bool = true) -> Double {
        guard !entries.isEmpty else { return 0 }
        let size = 11.0, rowHeight = 18.0, swatch = 22.0, gap = 18.0
        var rows: [[(LegendEntry, Double)]] = [[]]
        var width = 0.0
        for entry in entries {
            let w = swatch + 6 + textWidth(entry.label, size: size)
            if width + w > maxWidth && !rows[rows.count - 1].isEmpty { rows.append([]); width = 0 }
            rows[rows.count - 1].append((entry, w))
            width += w + gap
        }
        open("g", [("class", "legend")])
        for (r, row) in rows.enumerated() {
            let rowWidth = row.map(\.1).reduce(0, +) + gap * Double(row.count - 1)
            var cx = centered ? x + (maxWidth - rowWidth) / 2 : x
            let cy = y + Double(r) * rowHeight + rowHeight / 2
            for (entry, w) in row {
                open("g", [("class", "legend-entry"), ("data-label", entry.label), ("data-style", entry.style.rawValue)])
                switch entry.style {
                case .box: rect(x: cx, y: cy - 6, width: swatch, height: 12, fill: entry.color)
                case .line, .dashed: line(x1: cx, y1: cy, x2: cx + swatch, y2: cy, color: entry.color, width: 2.2, dashed: entry.style == .dashed)
                }
                text(entry.label, x: cx + swatch + 6, y: cy + 4, size: size)
                close("g")
                cx += w + gap
            }
        }
        close("g")
        return Double(rows.count) * rowHeight
    }
}

/// The height `legend` will use for `entries` in `maxWidth`.
func legendHeight(_ entries: [LegendEntry], maxWidth: Double) -> Double {
    guard !entries.isEmpty else { return 0 }
    var rows = 1, width = 0.0
    for entry in entries {
        let w = 28 + textWidth(entry.label, size: 11)
        if width + w > maxWidth && width > 0 { rows += 1; width = 0 }
        width += w + 18
    }
    return Double(rows) * 18
}
