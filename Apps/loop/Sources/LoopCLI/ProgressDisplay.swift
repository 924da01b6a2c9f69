import Foundation
import RecurrentDepth

/// Training progress: one line redrawn in place on a terminal, or a plain line every few seconds
/// (and at every evaluation) when the output is a file or a pipe; on standard error, like every log
/// line (`Console`).
final class ProgressDisplay {
    let redraw: Bool
    let quiet: Bool
    let limitSteps: Int?
    let limitMinutes: Double?
    private var lastPrint = Date.distantPast
    private var latest: TrainingProgress?
    private var drewLine = false

    init(plain: Bool, quiet: Bool, limitSteps: Int?, limitMinutes: Double?) {
        redraw = !plain && isatty(STDERR_FILENO) != 0
        self.quiet = quiet
        self.limitSteps = limitSteps
        self.limitMinutes = limitMinutes
    }

    func update(_ p: TrainingProgress) {
        latest = p
        guard !quiet else { return }
        let now = Date()
        let interval = redraw ? 0.25 : 10
        guard now.timeIntervalSince(lastPrint) >= interval else { return }
        lastPrint = now
        emit(line(p))
    }

    func record(_ r: MetricsRecord) {
        guard !quiet, r.kind == "eval", let accuracy = r.accuracy else { return }
        let shown = accuracy.sorted { $0.key < $1.key }.prefix(8).map { "\($0.key) \(String(format: "%.1f", $0.value * 100))" }
        if redraw && drewLine { Console.log(""); drewLine = false }
        Console.log("eval step \(r.step) epoch \(r.epoch)" + (r.stage.map { " stage \($0)" } ?? "") + (r.mark.map { " [\($0)]" } ?? "")
              + ": " + shown.joined(separator: ", ")
              + (accuracy.count > 8 ? ", …" : ""))
    }

    func finish() {
        if redraw && drewLine { Console.log("") }
    }

    private func emit(_ text: String) {
        if redraw {
            Console.log("\r\u{1B}[2K" + text, terminator: "")
            drewLine = true
        } else {
            Console.log(text)
        }
    }

    private func line(_ p: TrainingProgress) -> String {
        var parts: [String] = []
        if let stage = p.stage { parts.append("stage \(stage)") }
        parts.append("epoch \(p.epoch) (\(p.batchInEpoch)/\(p.batchesPerEpoch))")
        parts.append("step \(p.step)")
        parts.append(String(format: "loss %.4f", p.loss))
        if let term = p.regularizer { parts.append(String(format: "regularizer %.4g", term)) }
        parts.append(String(format: "lr %.2e", p.learningRate))
        parts.append("r \(p.recurrence)")
        parts.append(String(format: "%.1f steps/s", p.rate))
        if let eta = eta(p) { parts.append("ETA \(eta)") }
        return parts.joined(separator: "  ")
    }

    /// Time left to the nearest step or time limit, when there is one.
    private func eta(_ p: TrainingProgress) -> String? {
        var seconds: [Double] = []
        if let n = limitSteps, p.rate > 0 { seconds.append(Double(max(n - p.step, 0)) / p.rate) }
        if let m = limitMinutes { seconds.append(max(m * 60 - p.elapsedSeconds, 0)) }
        guard let s = seconds.min() else { return nil }
        return s >= 3600 ? String(format: "%dh%02dm", Int(s) / 3600, Int(s) % 3600 / 60) : String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60)
    }
}
