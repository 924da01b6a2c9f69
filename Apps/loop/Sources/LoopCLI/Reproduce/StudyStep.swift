import Foundation

/// The two steps every `loop reproduce` study takes the same way, each skipped when its output is
/// already there so that a second call resumes an interrupted study.
enum StudyStep {
    /// Generates a dataset into `folder` unless its `dataset.json` is there. The generator writes
    /// into a sibling `.partial` folder that is then moved into place, so a stopped generation never
    /// leaves a half-written dataset that a later call would take for a finished one.
    static func generateOnce(into folder: URL, describing description: String, write: (URL) throws -> Void) throws {
        guard !FileManager.default.fileExists(atPath: folder.appendingPathComponent("dataset.json").path) else { return }
        Console.log("generating the data: \(description)")
        let partial = folder.deletingLastPathComponent().appendingPathComponent(folder.lastPathComponent + ".partial")
        try? FileManager.default.removeItem(at: partial)
        try cliErrors { try write(partial) }
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.moveItem(at: partial, to: folder)
    }

    /// Trains `settings` into `folder/train` (a normal `loop train` run folder) unless its
    /// `checkpoints/final` exists, resuming from `checkpoints/latest` when an earlier call was
    /// stopped. Returns `loop train`'s summary (kept in `folder/training.txt` for later calls), or
    /// nil when training was interrupted.
    static func trainOnce(_ settings: RunSettings, in folder: URL, label: String, model: String, plain: Bool) throws -> String? {
        let train = folder.appendingPathComponent("train")
        let summaryFile = folder.appendingPathComponent("training.txt")
        if FileManager.default.fileExists(atPath: train.appendingPathComponent("checkpoints/final").path) {
            return (try? String(contentsOf: summaryFile, encoding: .utf8)) ?? ""
        }
        let resuming = FileManager.default.fileExists(atPath: train.appendingPathComponent("checkpoints/latest").path)
        Console.log("\(label) training\(resuming ? " (resuming)" : ""): \(model)")
        let training = try TrainCommand.train(settings, runFolder: train, resuming: resuming, plain: plain)
        if case .interrupted = training.outcome {
            Console.log(training.summary)
            return nil
        }
        try Data(training.summary.utf8).write(to: summaryFile, options: .atomic)
        return training.summary
    }
}
