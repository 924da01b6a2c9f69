/// Colours for figures.
///
/// Series take the Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2008), which stays
/// distinguishable under the common colour-vision deficiencies; its yellow is left out because it
/// disappears on white. Heatmaps use viridis (perceptually uniform, readable in grey).
public enum Palette {
    public static let series = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#999999"]

    /// The colour of the `i`-th series (cycling).
    public static func color(_ i: Int) -> String { series[((i % series.count) + series.count) % series.count] }

    /// Viridis anchors (matplotlib's table, every 32nd entry and the last).
    static let viridis: [(Double, Double, Double)] = [
        (0.267, 0.005, 0.329), (0.283, 0.141, 0.458), (0.254, 0.265, 0.530), (0.207, 0.372, 0.553),
        (0.164, 0.471, 0.558), (0.128, 0.567, 0.551), (0.135, 0.659, 0.518), (0.267, 0.749, 0.441),
        (0.478, 0.821, 0.318), (0.741, 0.873, 0.150), (0.993, 0.906, 0.144),
    ]

    /// Viridis at `t` in 0...1 (clamped), as `#rrggbb`.
    public static func viridis(_ t: Double) -> String {
        let (r, g, b) = viridisRGB(t)
        func hex(_ v: Double) -> String {
            let i = max(0, min(255, Int((v * 255).rounded())))
            let s = String(i, radix: 16)
            return s.count == 1 ? "0" + s : s
        }
        return "#" + hex(r) + hex(g) + hex(b)
    }

    static func viridisRGB(_ t: Double) -> (Double, Double, Double) {
        let x = t.isFinite ? max(0, min(1, t)) : 0
        let position = x * Double(viridis.count - 1)
        let i = min(Int(position), viridis.count - 2)
        let f = position - Double(i)
        let (a, b) = (viridis[i], viridis[i + 1])
        return (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f, a.2 + (b.2 - a.2) * f)
    }

    /// Black or white, whichever reads better on viridis at `t`.
    static func textColor(onViridis t: Double) -> String {
        let (r, g, b) = viridisRGB(t)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 ? "#000000" : "#ffffff"
    }
}
