import Foundation
import Analysis

/// The memorization study's report: `report.md` with a figure of recall and composition against
/// the graph's size, and `results.json` with every number (per seed, with each model's cost).
enum MemorizationReport {
    static func write(_ results: LoopedVsDeepResults, preset: LoopedVsDeepPreset, goals: [GoalOutcome], command: String,
                      minutes: Double, to out: URL) throws {
        let figures = out.appendingPathComponent("figures")
        try FileManager.default.createDirectory(at: figures, withIntermediateDirectories: true)
        let figure = "recall-and-composition.svg"
        try Data(chart(results, preset: preset).svg().utf8).write(to: figures.appendingPathComponent(figure), options: .atomic)
        try StudyReport.writeJSON(LoopedVsDeepOutcome(results: results, goals: goals, command: command, minutes: minutes),
                                  to: out.appendingPathComponent("results.json"))
        let text = markdown(results, preset: preset, goals: goals, figure: figure, command: command, minutes: minutes)
        try Data(text.utf8).write(to: out.appendingPathComponent("report.md"), options: .atomic)
    }

    /// What a graph's results measure, as the report's columns name them.
    static let measures: [(name: String, types: [String])] = [
        ("atomic facts recalled %", MemorizationStudy.recallTypes),
        ("trained 2-hop facts %", ["train_inferred"]),
        ("held-out 2-hop facts composed %", MemorizationStudy.compositionTypes),
        ("2-hop facts over never-composed facts %", ["test_inferred_ood"]),
    ]

    /// Atomic facts in the graph of a task (entities × relations per entity).
    static func atomicFacts(_ task: LoopedVsDeepTask) -> Int {
        if case .knowledgeGraph(let p) = task.data { return p.entities * p.outDegree }
        return 0
    }

    static func markdown(_ results: LoopedVsDeepResults, preset: LoopedVsDeepPreset, goals: [GoalOutcome], figure: String,
                         command: String, minutes: Double) -> String {
        let k = results.blocks, l = results.loops
        let met = goals.filter(\.met).count
        var lines = ["# loop reproduce memorization (\(results.preset))", "",
                     "Memorization against reasoning on knowledge graphs of growing size: the memorization claim of Saunshi et al., "
                        + "*Reasoning with Latent Thoughts: On the Power of Looped Transformers* (ICLR 2025), measured on the 2-hop "
                        + "facts of *Loop, Think & Generalize*.", "",
                     "**The paper's claim.** \(MemorizationStudy.claim)", "",
                     "**What this run found.** \(met) of \(goals.count) goals met. Recall is exact match on the training graph's atomic "
                        + "facts (in and out of distribution, mean of the two); composition is exact match on held-out 2-hop facts whose "
                        + "two atomic facts the training 2-hop facts also use; each model at the recurrence it was trained at, after "
                        + "the same number of steps; mean ± sample std over \(results.seeds.count) seed(s).", "",
                     "| goal | measured | met |", "|---|---|:---:|"]
        lines += goals.map { "| \($0.goal) | \($0.measured) | \($0.met ? "yes" : "**no**") |" }

        let arms = preset.arms
        lines += ["", "## Recall and composition by graph size", "",
                  "| graph | atomic facts | " + arms.map { "\($0.label): recalled %" }.joined(separator: " | ") + " | "
                    + arms.map { "\($0.label): composed %" }.joined(separator: " | ") + " |",
                  "|---|---:|" + String(repeating: "---:|", count: 2 * arms.count)]
        for (task, spec) in zip(results.tasks, preset.tasks) {
            let recall = arms.map { task.arm($0.name)?.score(MemorizationStudy.recallTypes).formatted() ?? "–" }
            let composition = arms.map { task.arm($0.name)?.score(MemorizationStudy.compositionTypes).formatted() ?? "–" }
            lines.append("| \(task.task) | \(atomicFacts(spec)) | " + (recall + composition).joined(separator: " | ") + " |")
        }

        lines += ["", "## Setup", "",
                  "- Models: k \(k), L \(l). The looped model, as `loop train` resolves it (the others differ only in layers and r): "
                    + StudyReport.describe(preset.settings(arms[0], task: preset.tasks[0]))
                    + "; batch \(preset.model.batchSize), the answer read at the input's last token (`pred_pos \(preset.model.predPos)`).",
                  "- Arms: " + arms.map { "**\($0.label)** (`\($0.name)`: \($0.layers) layer(s), `fixed:r=\($0.recurrence)`)" }
                    .joined(separator: "; ") + ": the looped model, the deep model of the same FLOPs, the shallow model of the same parameters.",
                  "- Graphs: " + preset.tasks.map { "**\($0.name)**, \($0.maxSteps) steps per model: \($0.data.description)" }
                    .joined(separator: "; ") + ".",
                  "- Seeds: \(results.seeds.map(String.init).joined(separator: ", ")); \(preset.summary)"]
        let training = results.tasks.flatMap(\.arms).flatMap(\.seeds).reduce(0) { $0 + $1.trainingMinutes }
        lines += [String(format: "- Training time, summed over the runs: %.1f minutes; this call (which skips what an earlier one finished): %.1f minutes.",
                         training, minutes),
                  "- Command: `\(command)`", ""]

        for task in results.tasks {
            lines += ["## \(task.task)", "", "\(task.data).", "",
                      "| model | parameters | effective depth | FLOPs/token training | FLOPs/token inference | "
                        + measures.map(\.name).joined(separator: " | ") + " | training minutes |",
                      "|---|---:|---:|---:|---:|" + String(repeating: "---:|", count: measures.count) + "---:|"]
            for arm in task.arms {
                let cells = ["**\(arm.label)**"] + LoopedVsDeepReport.costCells(arm.cost)
                    + measures.map { arm.score($0.types).formatted() } + [arm.trainingMinutes.formatted(digits: 2)]
                lines.append("| " + cells.joined(separator: " | ") + " |")
            }
            lines += ["", "Per seed:", "", "| model | seed | steps | minutes | recalled % | composed % | training |",
                      "|---|---:|---:|---:|---:|---:|---|"]
            for arm in task.arms {
                for seed in arm.seeds {
                    let recall = seed.score(MemorizationStudy.recallTypes).map { String(format: "%.1f", $0) } ?? "–"
                    let composed = seed.score(MemorizationStudy.compositionTypes).map { String(format: "%.1f", $0) } ?? "–"
                    lines.append("| \(arm.label) | \(seed.seed) | \(seed.steps) | " + String(format: "%.2f", seed.trainingMinutes)
                                 + " | \(recall) | \(composed) | \(seed.training) |")
                }
            }
            lines.append("")
        }
        lines += ["## Figure", "", "![\(figure)](figures/\(figure))", "",
                  "Every number above is in `results.json`; each run's folder (`GRAPH/MODEL/seed-S/`) holds its training run "
                    + "and `result.json` (exact match per test type)."]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Recall and composition (means over seeds) against the number of atomic facts, one line per model.
    static func chart(_ results: LoopedVsDeepResults, preset: LoopedVsDeepPreset) -> LineChart {
        let facts = preset.tasks.map { Double(atomicFacts($0)) }
        let panels = [("atomic facts recalled", MemorizationStudy.recallTypes),
                      ("held-out 2-hop facts composed", MemorizationStudy.compositionTypes)].map { title, types in
            ChartPanel(title: title, series: preset.arms.enumerated().map { i, arm in
                let y = results.tasks.map { task -> Double in
                    guard let score = task.arm(arm.name)?.score(types), score.n > 0 else { return .nan }
                    return score.mean
                }
                return LineSeries(label: arm.label, x: Array(facts.prefix(y.count)), y: y, color: Palette.color(i),
                                  dashed: arm.role == .deep, markers: true)
            })
        }
        return LineChart(title: "Recall and composition against the graph's size (mean over \(results.seeds.count) seed(s))",
                         xLabel: "atomic facts in the graph", yLabel: "exact match %", xScale: .log, yDomain: 0...100,
                         panels: panels, columns: 2, legend: LineChart.seriesLegend(panels))
    }
}
