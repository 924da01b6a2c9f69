import Foundation

/// How an axis maps values: evenly, or by powers of ten (training steps).
public enum AxisScale: String, Codable, Sendable {
    case linear
    case log
}

/// A value range mapped onto a pixel range, with readable ticks.
struct AxisMapping {
    let scale: AxisScale
    let low: Double
    let high: Double
    /// Pixel coordinates of `low` and `high` (for a y axis the first is the bottom).
    let from: Double
    let to: Double

    init(scale: AxisScale, low: Double, high: Double, from: Double, to: Double) {
        self.scale = scale
        var (lo, hi) = (low, high)
        if scale == .log { lo = max(lo, 1e-12); if hi <= lo { hi = lo * 10 } }
        if hi <= lo { hi = lo + 1 }
        self.low = lo
        self.high = hi
        self.from = from
        self.to = to
    }

    private func transform(_ v: Double) -> Double { scale == .log ? log10(max(v, 1e-300)) : v }

    func callAsFunction(_ v: Double) -> Double {
        let (a, b) = (transform(low), transform(high))
        return from + (transform(v) - a) / (b - a) * (to - from)
    }

    func contains(_ v: Double) -> Bool {
        let eps = (high - low) * 1e-9
        return v >= low - eps && v <= high + eps && (scale == .linear || v > 0)
    }

    /// Tick values inside the range: 1-2-5 steps (linear) or powers of ten, with 2 and 5 between
    /// them when the range spans less than two decades (log).
    func ticks(target: Int = 6) -> [Double] {
        switch scale {
        case .linear:
            let step = Self.niceStep((high - low) / Double(max(target - 1, 1)))
            var v = (low / step).rounded(.up) * step
            var out: [Double] = []
            while v <= high + step * 1e-9 && out.count < 50 {
                out.append(abs(v) < step * 1e-9 ? 0 : v)
                v += step
            }
            return out
        case .log:
            let (a, b) = (Int(log10(low).rounded(.down)), Int(log10(high).rounded(.up)))
            let multiples: [Double] = b - a <= 2 ? [1, 2, 5] : [1]
            var out: [Double] = []
            for k in a...b { for m in multiples {
                let v = m * pow(10, Double(k))
                if contains(v) { out.append(v) }
            } }
            let stride = max(1, out.count / 8)
            return out.enumerated().filter { $0.offset % stride == 0 }.map(\.element)
        }
    }

    /// A label that shows every tick distinctly (`1k`, `10k`, `0.25`).
    func label(_ v: Double, ticks: [Double]) -> String {
        if scale == .log || (ticks.allSatisfy { $0 == $0.rounded() } && (ticks.map(abs).max() ?? 0) >= 10_000) {
            return Self.compact(v)
        }
        let step = ticks.count > 1 ? abs(ticks[1] - ticks[0]) : max(abs(v), 1)
        // Steps are 1, 2 or 5 × 10^k, so −k decimals show every tick exactly.
        let decimals = max(0, min(6, Int((-log10(step) + 1e-9).rounded(.up))))
        return String(format: "%.\(decimals)f", v)
    }

    static func compact(_ v: Double) -> String {
        let a = abs(v)
        func trimmed(_ x: Double) -> String {
            x == x.rounded() ? String(Int(x)) : String(format: "%g", x)
        }
        if a >= 1e6 { return trimmed(v / 1e6) + "M" }
        if a >= 1e3 { return trimmed(v / 1e3) + "k" }
        return trimmed(v)
    }

    /// The 1-2-5 step nearest (in ratio) to `raw`, so ticks come out close to the count asked for.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, log10(raw).rounded(.down))
        let candidates = [1.0, 2, 5, 10].map { $0 * magnitude }
        return candidates.min { abs(log($0 / raw)) < abs(log($1 / raw)) }!
    }
}

/// The range a set of values needs on an axis: min to max, padded by `pad` of the span on a
/// linear axis (a flat series gets ±1), the positive values only on a log axis.
func dataDomain(_ values: [Double], scale: AxisScale, pad: Double) -> (Double, Double) {
    let finite = values.filter { $0.isFinite && (scale == .linear || $0 > 0) }
    guard var lo = finite.min(), var hi = finite.max() else { return scale == .log ? (1, 10) : (0, 1) }
    if scale == .log { return hi == lo ? (lo / 2, lo * 2) : (lo / pow(hi / lo, pad), hi * pow(hi / lo, pad)) }
    if hi == lo { lo -= 1; hi += 1 }
    let p = (hi - lo) * pad
    return (lo - p, hi + p)
}
