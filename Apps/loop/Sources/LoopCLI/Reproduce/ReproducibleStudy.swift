import Foundation

/// A study that `loop reproduce NAME` runs: one finding of a paper, from data to report. The
/// studies of *Loop, Think & Generalize* share one shape (`Study`, run by `StudyRunner`); a study
/// of another shape, such as `looped-vs-deep`, brings its own runner and report.
protocol ReproducibleStudy {
    var name: String { get }
    /// Its presets' names, in the order `--help` lists them.
    var presetNames: [String] { get }
    /// What it trains at `preset` over `seeds` seeds and how long that takes, for the opening line.
    func plan(preset: String, seeds: Int) throws -> String
    /// Runs what is not yet done in `out` and writes the report. Returns the goals judged, or nil
    /// when training was interrupted (the next call resumes). Fails before any work on an unknown preset.
    func reproduce(preset: String, seeds: [UInt64], out: URL, plain: Bool, command: String, started: Date) throws -> [GoalOutcome]?
}

enum ReproducibleStudies {
    static let all: [any ReproducibleStudy] = Study.all + [LoopedVsDeepStudy.standard, MemorizationStudy.standard]

    static func named(_ name: String) throws -> any ReproducibleStudy {
        guard let study = all.first(where: { $0.name == name }) else {
            throw CLIError("no study '\(name)'; studies: \(all.map(\.name).joined(separator: ", "))")
        }
        return study
    }
}

extension Study: ReproducibleStudy {
    var presetNames: [String] { allPresets.map(\.name) }

    func plan(preset: String, seeds: Int) throws -> String {
        let preset = try self.preset(named: preset)
        return "\(preset.arms.count) model(s) × \(seeds) seed(s), \(preset.summary)"
    }

    func reproduce(preset name: String, seeds: [UInt64], out: URL, plain: Bool, command: String, started: Date) throws -> [GoalOutcome]? {
        let preset = try self.preset(named: name)
        let runner = StudyRunner(study: self, preset: preset, seeds: seeds, out: out, plain: plain)
        guard let results = try runner.run() else { return nil }
        let goals = self.goals(results)
        try StudyReport.write(results, study: self, preset: preset, goals: goals, command: command,
                              minutes: Date().timeIntervalSince(started) / 60, to: out)
        return goals
    }
}
