import Foundation
import RecurrentDepth

/// Where a point of a sweep stands.
public enum SweepPointState: Equatable {
    case notStarted
    /// Another process holds the point's lock (it is training it now).
    case running(String)
    /// Started, not finished, not failed: `loop sweep run` resumes it from `checkpoints/latest`.
    case interrupted(String)
    /// Training threw; the message says why. `loop sweep run` tries it again.
    case failed(String)
    /// Training reached its limit or finished its curriculum (`checkpoints/final` is the latest).
    case done(String)

    /// `not started`, `running`, `interrupted`, `failed` or `done`.
    public var name: String {
        switch self {
        case .notStarted: return "not started"
        case .running: return "running"
        case .interrupted: return "interrupted"
        case .failed: return "failed"
        case .done: return "done"
        }
    }

    public var detail: String {
        switch self {
        case .notStarted: return ""
        case let .running(s), let .interrupted(s), let .failed(s), let .done(s): return s
        }
    }
}

/// A sweep's output folder: `sweep.json` (the expanded space: every point's settings), a run
/// folder per point (`setting-003-seed-2/`: a `loop train` run plus `point.json`, the sweep's
/// record of its last attempt), and `results.json` / `results.md` (mean ± std over seeds).
///
/// A point's state comes from its run folder: done when `checkpoints/final` is its latest
/// checkpoint, whoever trained it. While a process trains a point it holds an exclusive lock on
/// the point's `.lock` file, so parallel `loop sweep run --index` calls (a Slurm array) and a
/// whole-sweep run never train one point twice, and `status` tells running from interrupted.
public struct SweepFolder {
    public static let sweepFile = "sweep.json"
    public static let resultsFile = "results.json"
    public static let markdownFile = "results.md"
    /// In each point's folder: the last attempt's state, message, host and process.
    public static let pointFile = "point.json"
    static let lockFile = ".lock"

    public let root: URL
    public let sweep: Sweep

    /// The sweep in `root` (its `sweep.json`).
    public init(at root: URL) throws {
        let file = root.appendingPathComponent(Self.sweepFile)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw CLIError("\(root.path): no \(Self.sweepFile) (not a sweep folder; `loop sweep run SPACE --out \(root.path)` makes one)")
        }
        self.root = root
        sweep = try cliErrors { try Self.decode(Sweep.self, from: file) }
    }

    /// Makes `root` the folder of `sweep`, writing its `sweep.json`. A folder that already holds a
    /// sweep is reused when every point they share (by folder name) has the same settings — so
    /// seeds or random samples can be added — and refused otherwise.
    public static func create(_ sweep: Sweep, at root: URL) throws -> SweepFolder {
        let file = root.appendingPathComponent(sweepFile)
        if FileManager.default.fileExists(atPath: file.path) {
            let existing = try cliErrors { try decode(Sweep.self, from: file) }
            let before = Dictionary(existing.points.map { ($0.folder, $0) }, uniquingKeysWith: { a, _ in a })
            for point in sweep.points {
                guard let old = before[point.folder], old.settings != point.settings else { continue }
                let (was, now) = (try old.settings.mapping(), try point.settings.mapping())
                let differing = RunSettings.keys.sorted().compactMap { key -> String? in
                    let (a, b) = (was[key].map(Sweep.describe) ?? "unset", now[key].map(Sweep.describe) ?? "unset")
                    return a == b ? nil : "\(key) \(a) there, \(b) in \(sweep.space)"
                }
                throw CLIError("\(root.path) holds a sweep whose \(point.folder) has other settings (\(differing.joined(separator: "; "))); "
                               + "write this sweep to another --out")
            }
        }
        try cliErrors {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try RunSettings.encoder.encode(sweep).write(to: file, options: .atomic)
        }
        return SweepFolder(root: root, sweep: sweep)
    }

    private init(root: URL, sweep: Sweep) {
        self.root = root
        self.sweep = sweep
    }

    public func folder(of point: SweepPoint) -> URL { root.appendingPathComponent(point.folder) }

    // MARK: - State

    public func state(of point: SweepPoint) -> SweepPointState {
        let folder = folder(of: point)
        guard FileManager.default.fileExists(atPath: folder.path) else { return .notStarted }
        let record = try? Self.decode(PointRecord.self, from: folder.appendingPathComponent(Self.pointFile))
        if let lock = PointLock(folder: folder, create: false), !lock.acquired {
            return .running(record.map { "since \($0.time) on \($0.host), process \($0.process)" } ?? "")
        }
        if let step = Self.finishedStep(folder) {
            return .done(record?.state == "done" ? record!.message : "finished at step \(step)")
        }
        if let record, record.state == "failed" { return .failed(record.message) }
        let latest = try? Checkpoint.decodeJSON(TrainerState.self, from: folder.appendingPathComponent("checkpoints/latest/\(Trainer.stateFile)"))
        if let latest { return .interrupted("at step \(latest.step)") }
        if let record { return .interrupted("before its first checkpoint (started \(record.time) on \(record.host))") }
        return .notStarted
    }

    /// Every point with its state.
    public func status() -> [(point: SweepPoint, state: SweepPointState)] { sweep.points.map { ($0, state(of: $0)) } }

    /// The step of a finished run: `checkpoints/final` and `checkpoints/latest` are the same
    /// step (an interrupted or resumed-and-stopped run has a newer `latest`, or no `final`).
    static func finishedStep(_ runFolder: URL) -> Int? {
        func step(_ name: String) -> Int? {
            (try? Checkpoint.decodeJSON(TrainerState.self, from: runFolder.appendingPathComponent("checkpoints/\(name)/\(Trainer.stateFile)")))?.step
        }
        guard let final = step("final"), step("latest") == final else { return nil }
        return final
    }

    // MARK: - Running

    /// How a call to `train(_:plain:)` left a point.
    public enum Attempt: Equatable {
        /// Already done, or being trained by another process: not touched.
        case skipped(SweepPointState)
        case finished(String)
        case interrupted
        case failed(String)
    }

    /// Trains `point` through the same code as `loop train`: from scratch, or from
    /// `checkpoints/latest` when an earlier attempt left one (`--resume`). Records the attempt
    /// in the point's `point.json`; a failure is returned, not thrown.
    public func train(_ point: SweepPoint, plain: Bool) throws -> Attempt {
        let folder = folder(of: point)
        try cliErrors { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        guard let lock = PointLock(folder: folder, create: true) else { throw CLIError("\(folder.path): cannot create \(Self.lockFile)") }
        guard lock.acquired else { return .skipped(state(of: point)) }
        defer { lock.release() }
        if let step = Self.finishedStep(folder) { return .skipped(.done("finished at step \(step)")) }

        do {
            let runFile = folder.appendingPathComponent("run.json")
            if FileManager.default.fileExists(atPath: runFile.path), try RunSettings.load(runFile.path) != point.settings {
                throw CLIError("\(runFile.path) holds other settings than the sweep gives this point; move the folder away to train it afresh")
            }
            RunFolder.recoverInterruptedWrites(folder)
            let resuming = FileManager.default.fileExists(atPath: folder.appendingPathComponent("checkpoints/latest").path)
            if !resuming {
                // An attempt that stopped before its first checkpoint left log lines a fresh start would append to.
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(Trainer.metricsFile))
            }
            try record(point, state: "running", message: resuming ? "resuming" : "started")
            let (outcome, summary) = try TrainCommand.train(point.settings, runFolder: folder, resuming: resuming, plain: plain)
            if outcome == .interrupted {
                try record(point, state: "interrupted", message: "interrupted")
                return .interrupted
            }
            // The outcome and step; the accuracies are the report's.
            let line = summary.prefix { $0 != "\n" }.components(separatedBy: "; accuracy:")[0]
            try record(point, state: "done", message: line)
            return .finished(String(summary.prefix { $0 != "\n" }))
        } catch {
            try record(point, state: "failed", message: "\(error)")
            return .failed("\(error)")
        }
    }

    /// What `point.json` holds: the last attempt on the point.
    struct PointRecord: Codable {
        var state: String
        var message: String
        var time: String
        var host: String
        var process: Int32
    }

    private func record(_ point: SweepPoint, state: String, message: String) throws {
        let record = PointRecord(state: state, message: message, time: ISO8601DateFormatter().string(from: Date()),
                                 host: ProcessInfo.processInfo.hostName, process: ProcessInfo.processInfo.processIdentifier)
        try cliErrors { try RunSettings.encoder.encode(record).write(to: folder(of: point).appendingPathComponent(Self.pointFile), options: .atomic) }
    }

    // MARK: - Results

    /// Each finished run's final accuracy, aggregated per setting over its seeds, and every
    /// other point with its state.
    public func results() throws -> SweepResults {
        var seedResults: [SeedResult] = [], runs: [SweepResults.Run] = [], missing: [SweepResults.Run] = []
        for (point, state) in status() {
            var run = SweepResults.Run(folder: point.folder, setting: point.setting, seed: point.seed, state: state.name, detail: state.detail)
            guard case .done = state else { missing.append(run); continue }
            let folder = folder(of: point)
            guard let evaluation = try SeedStatistics.lastEvaluation(inRun: folder), let accuracy = evaluation.accuracy else {
                run.state = "no evaluation"
                run.detail = "finished without evaluating (set eval_every_epochs or eval_every_steps to evaluate within its limit)"
                missing.append(run)
                continue
            }
            run.step = evaluation.step
            run.accuracy = accuracy.mapValues { $0 * 100 }
            runs.append(run)
            seedResults.append(SeedResult(setting: Self.settingName(point), seed: point.seed, metrics: run.accuracy!))
        }
        let summaries = SeedStatistics.summarize(seedResults)
        let labels = Dictionary(sweep.points.map { (Self.settingName($0), $0) }, uniquingKeysWith: { a, _ in a })
        let settings = summaries.map { summary -> SweepResults.Setting in
            let point = labels[summary.setting]!
            return SweepResults.Setting(setting: point.setting, label: point.label, values: Self.values(point, varied: sweep.varied), summary: summary)
        }
        return SweepResults(space: sweep.space, name: sweep.name, varied: sweep.varied, points: sweep.points.count,
                            settings: settings, runs: runs, notFinished: missing)
    }

    /// Writes `results.json` and `results.md`; returns the results.
    @discardableResult
    public func writeResults() throws -> SweepResults {
        let results = try results()
        try cliErrors {
            try RunSettings.encoder.encode(results).write(to: root.appendingPathComponent(Self.resultsFile), options: .atomic)
            try Data(results.markdown.utf8).write(to: root.appendingPathComponent(Self.markdownFile), options: .atomic)
        }
        return results
    }

    /// `setting-003`: names a setting in the aggregation (labels of random draws may repeat).
    static func settingName(_ point: SweepPoint) -> String { point.folder.components(separatedBy: "-seed-")[0] }

    static func values(_ point: SweepPoint, varied: [String]) -> [String: String] {
        let mapping = (try? point.settings.mapping()) ?? [:]
        return Dictionary(uniqueKeysWithValues: varied.map { ($0, mapping[$0].map(Sweep.describe) ?? "default") })
    }

    static func decode<T: Decodable>(_ type: T.Type, from file: URL) throws -> T {
        guard let data = FileManager.default.contents(atPath: file.path) else { throw CLIError("\(file.path): cannot read the file") }
        do { return try RunSettings.decoder.decode(type, from: data) } catch let error as DecodingError {
            throw CLIError("\(file.path): \(Checkpoint.describe(error))")
        }
    }
}

/// What `results.json` holds: per setting, each test type's final accuracy (%) as mean ± sample
/// std over the seeds that finished; every finished run; every point that did not, with why.
public struct SweepResults: Codable, Equatable {
    public struct Setting: Codable, Equatable {
        public var setting: Int
        public var label: String
        /// The varied keys' values, as a config file writes them.
        public var values: [String: String]
        public var summary: SettingSummary
    }

    public struct Run: Codable, Equatable {
        public var folder: String
        public var setting: Int
        public var seed: UInt64
        public var state: String
        public var detail: String
        /// The step of the last evaluation, and its accuracy per test type (%).
        public var step: Int?
        public var accuracy: [String: Double]?
    }

    public var space: String
    public var name: String?
    public var varied: [String]
    /// Points in the sweep.
    public var points: Int
    public var settings: [Setting]
    public var runs: [Run]
    public var notFinished: [Run]

    /// The results as Markdown: the table, then the points not finished.
    public var markdown: String {
        var lines = ["# Sweep" + (name.map { " \($0)" } ?? ""), "",
                     "Space: `\(space)`; \(points) points, \(runs.count) finished.", "",
                     "Accuracy (%) of each run's last evaluation, per test type: mean ± sample std over seeds (n: runs finished).", ""]
        let table = SeedStatistics.markdownTable(settings.map(\.summary), keyHeaders: ["setting"] + varied) { summary in
            let setting = settings.first { $0.summary.setting == summary.setting }!
            return ["\(setting.setting)"] + varied.map { setting.values[$0] ?? "" }
        }
        lines.append(settings.isEmpty ? "No run has finished yet." : String(table.dropLast()))
        if !notFinished.isEmpty {
            lines += ["", "## Not finished (\(notFinished.count))", ""]
            lines += notFinished.map { "- \($0.folder): \($0.state)" + ($0.detail.isEmpty ? "" : " — \($0.detail)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// An exclusive `flock` on a point's `.lock` file, held while training the point; released by
/// `release()` or when the process ends, however it ends.
final class PointLock {
    private let descriptor: Int32
    private var held: Bool
    var acquired: Bool { held }

    /// Nil when the lock file cannot be opened (or, with `create` false, does not exist).
    init?(folder: URL, create: Bool) {
        let path = folder.appendingPathComponent(SweepFolder.lockFile).path
        descriptor = create ? open(path, O_RDWR | O_CREAT, 0o644) : open(path, O_RDWR)
        guard descriptor >= 0 else { return nil }
        // Only another holder refuses the lock; a file system without locks (ENOLCK) does not stop training.
        held = flock(descriptor, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK
        if !held { close(descriptor) }
    }

    /// A lock taken only to look (in `state(of:)`) is let go with the object.
    deinit { release() }

    func release() {
        guard held else { return }
        held = false
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
