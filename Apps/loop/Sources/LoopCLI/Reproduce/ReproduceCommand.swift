import ArgumentParser
import Foundation

/// `loop reproduce STUDY`: a phenomenon of the paper from scratch, over seeds, ending in a report.
struct ReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Reproduce a finding of Loop, Think & Generalize from scratch: data, training over seeds, sweep, halting, report.",
        discussion: """
        Studies: \(Study.all.map { "\($0.name) (presets \($0.allPresets.map(\.name).joined(separator: ", ")))" }.joined(separator: "; ")).
        Writes OUT/report.md (the paper's claim, each goal met or not with its figures), OUT/results.json (every
        number, per seed), OUT/figures/*.svg, and per model and seed a normal training run with its sweep.json and
        halting.json. Running the same command again resumes an interrupted study and skips what is done.

        Examples:
          loop reproduce composition
          loop reproduce extrapolation --seeds 3 --out runs/extrapolation
        """
    )

    @Argument(help: "composition, extrapolation or systematicity.") var study: String
    @Option(help: "Seeds to train (1...N).") var seeds: Int = 3
    @Option(help: "Settings: cpu-small (minutes per seed), cpu-medium (about an hour per model), or smoke (seconds, checks the pipeline).") var preset: String = "cpu-small"
    @Option(help: "Output folder (default runs/reproduce-STUDY-PRESET).") var out: String?
    @Flag(help: "Print plain progress lines even on a terminal.") var plain = false

    func validate() throws {
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1 (got \(seeds))") }
    }

    func run() throws {
        let started = Date()
        let study = try Study.named(self.study)
        let preset = try study.preset(named: self.preset)
        let folder = URL(fileURLWithPath: out ?? "runs/reproduce-\(study.name)-\(preset.name)")
        print("loop reproduce \(study.name) (\(preset.name)): \(preset.arms.count) model(s) × \(seeds) seed(s), \(preset.summary)")
        let runner = StudyRunner(study: study, preset: preset, seeds: (1...seeds).map(UInt64.init), out: folder, plain: plain)
        guard let results = try runner.run() else {
            print("stopped; run the same command again to continue: \(Self.commandLine(study: study.name, preset: preset.name, seeds: seeds, out: folder.path))")
            throw ExitCode(130)
        }
        let goals = study.goals(results)
        let minutes = Date().timeIntervalSince(started) / 60
        try StudyReport.write(results, study: study, preset: preset, goals: goals,
                              command: Self.commandLine(study: study.name, preset: preset.name, seeds: seeds, out: folder.path),
                              minutes: minutes, to: folder)
        for goal in goals { print("\(goal.met ? "met    " : "NOT met") \(goal.goal): \(goal.measured)") }
        print(String(format: "report: %@ (%.1f minutes)", folder.appendingPathComponent("report.md").path, minutes))
    }

    static func commandLine(study: String, preset: String, seeds: Int, out: String) -> String {
        "loop reproduce \(study) --preset \(preset) --seeds \(seeds) --out \(out)"
    }
}
