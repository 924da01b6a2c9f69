import Foundation
import Analysis

/// A study's report: `report.md` with its SVG figures, and `results.json` with every number the
/// report shows (per seed, so other tools can recompute anything).
enum StudyReport {
    /// `extraFigures`: SVG files already in `out/figures` (a probe's) that the report shows too.
    static func write(_ results: StudyResults, study: Study, preset: StudyPreset, goals: [GoalOutcome],
                      command: String, minutes: Double, to out: URL, extraFigures: [String] = []) throws {
        let figures = out.appendingPathComponent("figures")
        try FileManager.default.createDirectory(at: figures, withIntermediateDirectories: true)
        var figureFiles: [String] = []
        for (name, svg) in self.figures(results) {
            try Data(svg.utf8).write(to: figures.appendingPathComponent(name), options: .atomic)
            figureFiles.append(name)
        }
        try writeJSON(StudyOutcome(results: results, goals: goals, command: command, minutes: minutes),
                      to: out.appendingPathComponent("results.json"))
        let text = markdown(results, study: study, preset: preset, goals: goals, figures: figureFiles + extraFigures,
                            command: command, minutes: minutes)
        try Data(text.utf8).write(to: out.appendingPathComponent("report.md"), options: .atomic)
    }

    /// A run's settings as training resolves them (the task's defaults filled in by `RunSettings`).
    static func describe(_ s: RunSettings) -> String {
        guard let c = try? s.trainingConfig(), let schedule = try? s.schedule ?? s.preset().schedule else { return "settings that do not resolve" }
        var parts = ["d \(s.d), \(s.layers) layers, \(s.heads) heads, positions \(s.pos)" + (s.injection ? ", input injection" : ""),
                     "schedule `\(schedule)`, lr \(c.learningRate), weight decay \(c.weightDecay)"]
        switch c.padding {
        case .fixed(let n): parts.append("max_len \(n)")
        case .longest: parts.append("padded to the longest in the batch")
        }
        if let shift = c.positionShift { parts.append("position shift ≤ \(shift)") }
        parts.append(c.curriculum.map { "curriculum hops \($0.firstHop)–\($0.lastHop)" } ?? "no curriculum")
        if let m = c.maxMinutes { parts.append(String(format: "at most %g minutes", m)) }
        if let n = c.maxSteps { parts.append("at most \(n) steps") }
        return parts.joined(separator: ", ")
    }

    static func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoder.encode(value).write(to: url, options: .atomic)
    }

    static func markdown(_ results: StudyResults, study: Study, preset: StudyPreset, goals: [GoalOutcome], figures: [String],
                         command: String, minutes: Double) -> String {
        let met = goals.filter(\.met).count
        var lines = ["# loop reproduce \(study.name) (\(preset.name))", "",
                     "**The paper's claim.** \(study.claim)", "",
                     "**What this run found.** \(met) of \(goals.count) goals met.", "",
                     "| goal | measured | met |", "|---|---|:---:|"]
        lines += goals.map { "| \($0.goal) | \($0.measured) | \($0.met ? "yes" : "**no**") |" }
        lines += ["", "## Setup", "",
                  "- Data: \(preset.data.description).",
                  "- Seeds: \(results.seeds.map(String.init).joined(separator: ", ")); \(preset.summary)",
                  "- Models:"]
        for arm in preset.arms { lines.append("  - **\(arm.label)** (`\(arm.name)`): " + describe(arm.settings)) }
        let training = results.arms.flatMap(\.seeds).reduce(0) { $0 + $1.trainingMinutes }
        lines += [String(format: "- Training time, summed over the runs: %.1f minutes; this call (which skips what an earlier one finished): %.1f minutes.",
                         training, minutes),
                  "- Command: `\(command)`", ""]
        for arm in results.arms {
            lines += ["## \(arm.label): accuracy (%) by inference recurrence, mean ± std over seeds", "",
                      "| r | " + results.types.joined(separator: " | ") + " |",
                      "|---:|" + results.types.map { _ in "---:" }.joined(separator: "|") + "|"]
            for r in arm.recurrences {
                lines.append("| \(r) | " + results.types.map { arm.accuracy($0, r: r).formatted() }.joined(separator: " | ") + " |")
            }
            lines += ["", "| seed | training | steps | minutes | " + results.types.map { "best \($0) (r)" }.joined(separator: " | ") + " |",
                      "|---:|---|---:|---:|" + results.types.map { _ in "---:" }.joined(separator: "|") + "|"]
            for seed in arm.seeds {
                let bests = results.types.map { type in seed.best(type).map { String(format: "%.1f (%d)", $0.accuracy, $0.r) } ?? "–" }
                lines.append("| \(seed.seed) | \(seed.training) | \(seed.steps) | \(String(format: "%.1f", seed.trainingMinutes)) | "
                             + bests.joined(separator: " | ") + " |")
            }
            if arm.seeds.contains(where: { $0.halting != nil }) {
                lines += ["", "Adaptive halting (\(preset.halting ?? "")):", "", "| type | accuracy % | mean iterations |", "|---|---:|---:|"]
                for type in results.types {
                    guard let h = arm.halting(type) else { continue }
                    lines.append("| \(type) | \(h.accuracy.formatted()) | \(h.iterations.formatted()) |")
                }
            }
            if arm.seeds.contains(where: { $0.stages != nil }) {
                let names = ["memorization", "iid", "ood"]
                lines += ["", "Grokking stages (`\(preset.grokking ?? "")`): the step of the first evaluation at each threshold, "
                          + "and the checkpoint nearest it, which the bridge lens (`ARM/seed-S/probes/`) looks at:", "",
                          "| seed | " + names.joined(separator: " | ") + " |", "|---:|" + names.map { _ in "---" }.joined(separator: "|") + "|"]
                for seed in arm.seeds {
                    let cells = names.map { name in
                        (seed.stages ?? []).first { $0.stage == name }.map { "step \($0.step)" + ($0.checkpoint.map { " (`\($0)`)" } ?? "") } ?? "not reached"
                    }
                    lines.append("| \(seed.seed) | " + cells.joined(separator: " | ") + " |")
                }
            }
            lines.append("")
        }
        lines += ["## Figures", ""] + figures.map { "![\($0)](figures/\($0))" }
        lines += ["", "Every number above is in `results.json`; each run's own folder (`ARM/seed-S/`) holds its training run, "
                  + "`sweep.json` and `halting.json`."]
        return lines.joined(separator: "\n") + "\n"
    }

    /// A sweep chart per arm (mean over seeds, one line per test type) and, for arms with more than
    /// one hop count, the hop × recurrence heatmap.
    static func figures(_ results: StudyResults) -> [(String, String)] {
        var out: [(String, String)] = []
        let panels = results.arms.map { arm in
            ChartPanel(title: arm.label, series: results.types.enumerated().map { i, type in
                LineSeries(label: type, x: arm.recurrences.map(Double.init), y: arm.recurrences.map { arm.accuracy(type, r: $0).mean },
                           color: Palette.color(i), markers: true)
            })
        }
        let chart = LineChart(title: "Accuracy by inference recurrence (mean over \(results.seeds.count) seeds)", xLabel: "recurrence r",
                              yLabel: "accuracy %", yDomain: 0...100, panels: panels, columns: min(2, panels.count),
                              legend: LineChart.seriesLegend(panels))
        out.append(("sweep.svg", chart.svg()))
        for arm in results.arms {
            let hopTypes = results.types.filter { hopCount(ofType: $0) != nil && $0.hasSuffix("_test") }
            guard hopTypes.count > 1 else { continue }
            let heatmap = Heatmap(title: "\(arm.label): accuracy % by hops × recurrence", xLabel: "recurrence r", yLabel: "test type",
                                  columns: arm.recurrences.map(String.init), rows: hopTypes,
                                  values: hopTypes.map { type in arm.recurrences.map { arm.accuracy(type, r: $0).mean } },
                                  colorLabel: "accuracy %", colorDomain: 0...100)
            out.append(("heatmap-\(arm.name).svg", heatmap.svg()))
        }
        return out
    }
}

/// `results.json`: the results, the goals judged on them, and how they were made.
struct StudyOutcome: Codable {
    let results: StudyResults
    let goals: [GoalOutcome]
    let command: String
    let minutes: Double
}
