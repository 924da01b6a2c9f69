import Foundation
import RecurrentDepth
import Analysis

/// The looped-vs-deep study's report: `report.md` with its SVG figures, and `results.json` with
/// every number the report shows (per seed, with each model's cost).
enum LoopedVsDeepReport {
    static func write(_ results: LoopedVsDeepResults, preset: LoopedVsDeepPreset, goals: [GoalOutcome], command: String,
                      minutes: Double, to out: URL) throws {
        let figures = out.appendingPathComponent("figures")
        try FileManager.default.createDirectory(at: figures, withIntermediateDirectories: true)
        var names: [String] = []
        for (name, svg) in self.figures(results) {
            try Data(svg.utf8).write(to: figures.appendingPathComponent(name), options: .atomic)
            names.append(name)
        }
        try StudyReport.writeJSON(LoopedVsDeepOutcome(results: results, goals: goals, command: command, minutes: minutes),
                                  to: out.appendingPathComponent("results.json"))
        let text = markdown(results, preset: preset, goals: goals, figures: names, command: command, minutes: minutes)
        try Data(text.utf8).write(to: out.appendingPathComponent("report.md"), options: .atomic)
    }

    /// `1.23 M`: a count with an SI prefix, as `loop train` prints FLOPs.
    static func abbreviated(_ value: Int) -> String {
        ModelCost.abbreviated(value).trimmingCharacters(in: .whitespaces)
    }

    static func markdown(_ results: LoopedVsDeepResults, preset: LoopedVsDeepPreset, goals: [GoalOutcome], figures: [String],
                         command: String, minutes: Double) -> String {
        let k = results.blocks, l = results.loops
        let looped = "\(k)⊗\(l)", deep = "\(k * l)⊗1", shallow = "\(k)⊗1"
        let met = goals.filter(\.met).count
        var lines = ["# loop reproduce looped-vs-deep (\(results.preset))", "",
                     "Saunshi et al., *Reasoning with Latent Thoughts: On the Power of Looped Transformers* (ICLR 2025).", "",
                     "**The paper's claim.** \(LoopedVsDeepStudy.claim)", "",
                     "**What this run found.** \(met) of \(goals.count) goals met. A task's score is exact match (every answer "
                        + "token right) on its held-out test items, averaged over its test types, at the recurrence the model "
                        + "was trained at; mean ± sample std over \(results.seeds.count) seed(s).", "",
                     "| goal | measured | met |", "|---|---|:---:|"]
        lines += goals.map { "| \($0.goal) | \($0.measured) | \($0.met ? "yes" : "**no**") |" }

        lines += ["", "## The paper's claims beside this run", "",
                  "| the paper | this run |", "|---|---|"]
        func pair(_ a: String, _ b: String) -> String {
            results.tasks.map { task in
                guard let x = task.score(a), let y = task.score(b), x.n > 0, y.n > 0 else { return "\(task.task): –" }
                return "\(task.task) " + x.formatted() + " vs " + y.formatted() + String(format: " (%+.1f)", x.mean - y.mean)
            }.joined(separator: "; ")
        }
        lines.append("| k⊗L nearly matches kL⊗1, the model of the same FLOPs, on addition, p-hop induction and i-GSM | "
                     + "\(looped) vs \(deep): " + pair("looped", "deep") + " |")
        lines.append("| k⊗L clearly beats k⊗1, the model of the same parameters | \(looped) vs \(shallow): " + pair("looped", "shallow") + " |")
        let assignment = results.task("assignment")
        let iGSM = assignment.flatMap { task -> String? in
            guard let x = task.score("looped"), let y = task.score("deep"), x.n > 0, y.n > 0 else { return nil }
            return "on variable assignment, the i-GSM-style task here: \(looped) \(x.formatted())%, \(deep) \(y.formatted())%"
        } ?? "variable assignment not run"
        lines.append("| \"a 1-layer model looped 16 times gets 96.9% on i-GSM, a 16-layer model 97.9%\" (1⊗16 vs 16⊗1, 1 point apart) | \(iGSM) |")
        let regularized = preset.lambdas.map { LoopedVsDeepArm(role: .regularized, blocks: k, loops: l, lambda: $0) }
        let regText = regularized.map { arm in "λ \(LoopedVsDeepArm.number(arm.lambda ?? 0)) vs none: " + pair(arm.name, "deep") }
        lines.append("| the looping-inspired regularizer gives a deep model the looped model's bias; λ 1 and 10 helped, λ 100 diverged | "
                     + regText.joined(separator: "; ") + " (λ 100 not run) |")

        lines += ["", "## Setup", "",
                  "- Models: k \(k), L \(l). The looped model on \(preset.tasks[0].name), as `loop train` resolves it (the others "
                    + "differ only in layers, r and the regularizer, the tasks in the step cap): "
                    + StudyReport.describe(preset.settings(preset.arms[0], task: preset.tasks[0]))
                    + "; batch \(preset.model.batchSize), the answer's tokens teacher-forced from the input's last position "
                    + "(`targets \(preset.model.targets)`, `pred_pos \(preset.model.predPos)`).",
                  "- Arms: " + preset.arms.map { arm in
                      "**\(arm.label)** (`\(arm.name)`: \(arm.layers) layer(s), `fixed:r=\(arm.recurrence)`"
                          + (arm.lambda.map { ", `looping_regularizer k=\(k),lambda=\(LoopedVsDeepArm.number($0))`" } ?? "") + ")"
                  }.joined(separator: "; ") + ".",
                  "- Tasks: " + preset.tasks.map { "**\($0.name)**, at most \($0.maxSteps) steps per model: \($0.data.description)" }
                    .joined(separator: "; ") + ".",
                  "- Seeds: \(results.seeds.map(String.init).joined(separator: ", ")); \(preset.summary)"]
        let training = results.tasks.flatMap(\.arms).flatMap(\.seeds).reduce(0) { $0 + $1.trainingMinutes }
        lines += [String(format: "- Training time, summed over the runs: %.1f minutes; this call (which skips what an earlier one finished): %.1f minutes.",
                         training, minutes),
                  "- Command: `\(command)`",
                  "- Costs (RecurrentDepth's `ModelCost`): matrix products only, per token, at T the longest training input; "
                    + "training is 3 × the forward pass (inference).", ""]

        for task in results.tasks {
            let perType = task.types.count > 1
            lines += ["## \(task.task)", "", "\(task.data).", "",
                      "| model | parameters | effective depth | FLOPs/token training | FLOPs/token inference | exact match % "
                        + (perType ? "(mean of types) | " + task.types.joined(separator: " | ") + " " : "")
                        + "| trained items % | training minutes |",
                      "|---|---:|---:|---:|---:|---:|" + (perType ? task.types.map { _ in "---:" }.joined(separator: "|") + "|" : "") + "---:|---:|"]
            for arm in task.arms {
                var cells = ["**\(arm.label)**"] + costCells(arm.cost) + [arm.score(task.types).formatted()]
                if perType { cells += task.types.map { arm.accuracy($0).formatted() } }
                cells += [arm.score(task.trainTypes).formatted(), arm.trainingMinutes.formatted(digits: 2)]
                lines.append("| " + cells.joined(separator: " | ") + " |")
            }
            lines += ["", "Per seed:", "", "| model | seed | steps | minutes | exact match % | training |", "|---|---:|---:|---:|---:|---|"]
            for arm in task.arms {
                for seed in arm.seeds {
                    lines.append("| \(arm.label) | \(seed.seed) | \(seed.steps) | " + String(format: "%.2f", seed.trainingMinutes)
                                 + " | " + (seed.score(task.types).map { String(format: "%.1f", $0) } ?? "–") + " | \(seed.training) |")
                }
            }
            lines.append("")
        }
        lines += ["## Figures", ""] + figures.map { "![\($0)](figures/\($0))" }
        lines += ["", "Every number above is in `results.json`; each run's folder (`TASK/MODEL/seed-S/`) holds its training run "
                  + "and `result.json`."]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parameters, effective depth, training and inference FLOPs per token ("–" when unmeasured).
    static func costCells(_ cost: ArmCost?) -> [String] {
        guard let c = cost else { return ["–", "–", "–", "–"] }
        let depth = "\(c.layers)×\(c.recurrence) = \(c.effectiveDepth)"
        return [String(c.parameters), depth, abbreviated(c.trainingFLOPsPerToken), abbreviated(c.forwardFLOPsPerToken)]
    }

    /// Accuracy against effective depth per task — the looped line (k⊗1 to k⊗L) and the deep line
    /// (k⊗1 to kL⊗1) share the shallow model's point, the regularized deep models are points at
    /// kL — and the scores of every model per task as bars with the seeds' range.
    static func figures(_ results: LoopedVsDeepResults) -> [(String, String)] {
        let k = results.blocks, l = results.loops
        let depths = [Double(k), Double(k * l)]
        var panels: [ChartPanel] = []
        for task in results.tasks {
            func mean(_ arm: String) -> Double { task.score(arm).map { $0.n > 0 ? $0.mean : .nan } ?? .nan }
            var series = [LineSeries(label: "looped: \(k)⊗1 → \(k)⊗\(l)", x: depths, y: [mean("shallow"), mean("looped")],
                                     color: Palette.color(0), markers: true),
                          LineSeries(label: "deep: \(k)⊗1 → \(k * l)⊗1", x: depths, y: [mean("shallow"), mean("deep")],
                                     color: Palette.color(1), dashed: true, markers: true),
                          LineSeries(label: "shallow \(k)⊗1", x: [Double(k)], y: [mean("shallow")], color: Palette.color(2), markers: true)]
            for (i, arm) in task.arms.filter({ $0.name.hasPrefix("deep-lambda-") }).enumerated() {
                series.append(LineSeries(label: arm.label, x: [Double(k * l)], y: [mean(arm.name)], color: Palette.color(3 + i), markers: true))
            }
            panels.append(ChartPanel(title: task.task, series: series))
        }
        let byDepth = LineChart(title: "Exact match against effective depth (mean over \(results.seeds.count) seed(s))",
                                xLabel: "effective depth (layers × r)", yLabel: "exact match %",
                                xDomain: 0...Double(k * l + 1), yDomain: 0...100, panels: panels, columns: min(3, panels.count),
                                legend: LineChart.seriesLegend(panels))
        let armNames = results.tasks.first?.arms.map(\.name) ?? []
        let bars = BarChart(title: "Exact match by model (whiskers: range over seeds)", xLabel: "task",
                            yLabel: "exact match %", categories: results.tasks.map(\.task),
                            series: armNames.enumerated().map { i, name in
                                let scores = results.tasks.map { task in task.arm(name)?.seeds.compactMap { $0.score(task.types) } ?? [] }
                                return BarSeries(label: results.tasks.first?.arm(name)?.label ?? name,
                                                 values: scores.map { $0.isEmpty ? 0 : $0.reduce(0, +) / Double($0.count) },
                                                 color: Palette.color(i), low: scores.map { $0.min() ?? 0 }, high: scores.map { $0.max() ?? 0 })
                            })
        return [("accuracy-by-depth.svg", byDepth.svg()), ("accuracy-by-model.svg", bars.svg())]
    }
}
