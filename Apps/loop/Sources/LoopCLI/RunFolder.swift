import Foundation
import RecurrentDepth

/// The files that make a folder a run's: what `loop train --out` refuses to mix a second run into,
/// and what `--overwrite` deletes (nothing else in the folder is touched).
enum RunFolder {
    /// The run files `folder` holds, by name (empty: none).
    static func state(in folder: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter(isRunFile).sorted()
    }

    /// Deletes the run files of `folder` but those named in `keeping`.
    static func clear(_ folder: URL, keeping: Set<String> = []) throws {
        for name in state(in: folder) where !keeping.contains(name) {
            let file = folder.appendingPathComponent(name)
            do { try FileManager.default.removeItem(at: file) } catch {
                throw CLIError("\(file.path): cannot delete: \(error.localizedDescription)", status: ExitStatus.ioError)
            }
        }
    }

    /// Undoes what a kill in the middle of a write left in `folder` before training resumes there:
    /// puts back a checkpoint left aside mid-exchange (where the system has no atomic exchange) and
    /// deletes the temporaries of writes cut short. Only while nothing writes there.
    static func recoverInterruptedWrites(_ folder: URL) {
        let checkpoints = folder.appendingPathComponent("checkpoints")
        DurableWrite.recover(checkpoints.appendingPathComponent("latest"))
        for place in [folder, checkpoints] { DurableWrite.removeAbandonedTemporaries(in: place) }
    }

    private static func isRunFile(_ name: String) -> Bool {
        [Trainer.metricsFile, "run.json", "checkpoints"].contains(name) || name.hasPrefix(TensorBoardEventFile.namePrefix)
    }
}
