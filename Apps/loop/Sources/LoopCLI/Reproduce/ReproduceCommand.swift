import ArgumentParser
import Foundation
import RecurrentDepth

/// `loop reproduce STUDY`: a finding of a paper from scratch, over seeds, ending in a report.
struct ReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Reproduce a paper's finding from scratch: data, training over seeds, evaluation, report.",
        discussion: """
        Studies: \(ReproducibleStudies.all.map { "\($0.name) (presets \($0.presetNames.joined(separator: ", ")))" }.joined(separator: "; ")).

        composition, extrapolation and systematicity are findings of Loop, Think & Generalize; looped-vs-deep is \
        the comparison of Saunshi et al., Reasoning with Latent Thoughts (ICLR 2025): a k-layer block looped L \
        times against the kL-layer model of equal FLOPs, the k-layer model of equal parameters, and the deep model \
        with the looping-inspired regularizer, on n-ary addition, p-hop induction and variable assignment; \
        memorization measures that paper's memorization claim on knowledge graphs of growing size: how many atomic \
        facts the looped model, the deep model of equal FLOPs and the shallow model of equal parameters recall, \
        against how well each composes held-out 2-hop facts.

        Writes OUT/report.md (the paper's claim, each goal met or not with its figures), OUT/results.json (every \
        number, per seed), OUT/figures/*.svg, and per model and seed a normal training run with what was measured \
        on it (sweep.json and halting.json; looped-vs-deep: OUT/TASK/MODEL/seed-S/result.json, exact match at the \
        model's own r; memorization: OUT/GRAPH/MODEL/seed-S/result.json). Running the same command again resumes an interrupted study and skips what is done.

        Examples:
          loop reproduce composition
          loop reproduce extrapolation --seeds 3 --out runs/extrapolation
          loop reproduce looped-vs-deep --preset cpu-small
          loop reproduce memorization --seeds 2
        """
    )

    @Argument(help: "composition, extrapolation, systematicity, looped-vs-deep or memorization.") var study: String
    @Option(help: "Seeds to train (1...N).") var seeds: Int = 3
    @Option(help: "Settings: cpu-small (minutes per seed; looped-vs-deep: the whole study in about half an hour), cpu-medium (about an hour per model; looped-vs-deep: larger tasks), or smoke (seconds, checks the pipeline).") var preset: String = "cpu-small"
    @Option(help: "Output folder (default runs/reproduce-STUDY-PRESET).") var out: String?
    @Flag(help: "Print plain progress lines even on a terminal.") var plain = false

    func validate() throws {
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1 (got \(seeds))") }
    }

    func run() throws {
        let started = Date()
        let study = try ReproducibleStudies.named(self.study)
        let plan = try study.plan(preset: preset, seeds: seeds)
        let outPath = out ?? "runs/reproduce-\(study.name)-\(preset)"
        let folder = URL(fileURLWithPath: outPath)
        // The folder as given, so that the report's command is the one typed (not this machine's absolute path).
        let command = Self.commandLine(study: study.name, preset: preset, seeds: seeds, out: outPath)
        Console.log("loop reproduce \(study.name) (\(preset)): \(plan)")
        guard let goals = try study.reproduce(preset: preset, seeds: (1...seeds).map(UInt64.init), out: folder, plain: plain,
                                              command: command, started: started) else {
            Console.log("stopped; run the same command again to continue: \(command)")
            throw ExitCode(ExitStatus.interrupted(by: Interruption.stopSignal ?? SIGINT))
        }
        let minutes = Date().timeIntervalSince(started) / 60
        for goal in goals { print("\(goal.met ? "met    " : "NOT met") \(goal.goal): \(goal.measured)") }
        print(String(format: "report: %@ (%.1f minutes)", folder.appendingPathComponent("report.md").path, minutes))
    }

    static func commandLine(study: String, preset: String, seeds: Int, out: String) -> String {
        "loop reproduce \(study) --preset \(preset) --seeds \(seeds) --out \(out)"
    }
}
