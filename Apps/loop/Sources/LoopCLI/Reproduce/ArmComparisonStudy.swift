import Foundation

/// A study of the looped-vs-deep shape: per task (or graph), model arms × seeds, trained and
/// scored by `LoopedVsDeepRunner`; each study brings its presets, its goals and its report.
protocol ArmComparisonStudy: ReproducibleStudy {
    /// The presets; `smoke` (the first one's pipeline on a few dozen items) comes after them.
    var presets: [LoopedVsDeepPreset] { get }
    /// What the opening line calls the tasks: "task", "graph".
    static var taskNoun: String { get }
    static func goals(_ results: LoopedVsDeepResults) -> [GoalOutcome]
    static func writeReport(_ results: LoopedVsDeepResults, preset: LoopedVsDeepPreset, goals: [GoalOutcome], command: String,
                            minutes: Double, to out: URL) throws
}

extension ArmComparisonStudy {
    var allPresets: [LoopedVsDeepPreset] { presets + [presets[0].smoke] }
    var presetNames: [String] { allPresets.map(\.name) }

    func preset(named name: String) throws -> LoopedVsDeepPreset {
        guard let preset = allPresets.first(where: { $0.name == name }) else {
            throw CLIError("study \(self.name) has no preset '\(name)'; presets: \(presetNames.joined(separator: ", "))")
        }
        return preset
    }

    func plan(preset name: String, seeds: Int) throws -> String {
        let preset = try self.preset(named: name)
        return "\(preset.tasks.count) \(Self.taskNoun)(s) × \(preset.arms.count) model(s) × \(seeds) seed(s), \(preset.summary)"
    }

    func reproduce(preset name: String, seeds: [UInt64], out: URL, plain: Bool, command: String, started: Date) throws -> [GoalOutcome]? {
        let preset = try self.preset(named: name)
        guard let results = try LoopedVsDeepRunner(study: self.name, preset: preset, seeds: seeds, out: out, plain: plain).run() else {
            return nil
        }
        let goals = Self.goals(results)
        try Self.writeReport(results, preset: preset, goals: goals, command: command,
                             minutes: Date().timeIntervalSince(started) / 60, to: out)
        return goals
    }
}
