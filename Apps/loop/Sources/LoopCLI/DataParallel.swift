import Foundation
import RecurrentDepth

/// How `loop train` finds the processes it trains with: alone, or the ranks `mpirun` started.
enum DataParallel {
    /// Whether this build can train over MPI (`swift build --traits MPI`).
    static var isAvailable: Bool {
        #if MPI
        true
        #else
        false
        #endif
    }

    /// How many processes the launcher started together (Open MPI's or a PMI launcher's count);
    /// nil when not launched by one.
    static func launchedRanks(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"].lazy.compactMap { environment[$0].flatMap(Int.init) }.first
    }

    /// Why this process must not run: launched as one of several ranks by a build without MPI
    /// (each would train its own copy and overwrite the others' files), or with a command other
    /// than `train`, which alone runs data-parallel. Nil when it may run.
    static func refusal(command: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard let ranks = launchedRanks(environment), ranks > 1 else { return nil }
        guard isAvailable else {
            return "loop was started as one of \(ranks) MPI ranks, but this build has no MPI, so each rank would train its own copy. "
                + "Build with MPI (Open MPI's libopenmpi-dev and openmpi-bin installed): "
                + "swift build -c release --package-path Apps/loop --traits MPI"
        }
        guard command == "train" else {
            return "only `loop train` runs data-parallel under mpirun; `loop \(command ?? "")` would run \(ranks) copies — run it without mpirun"
        }
        return nil
    }

    /// `body` in the group this process trains in: nil alone; with MPI and several ranks, the MPI
    /// group, finished afterwards. An error on any rank stops them all (MPI_Abort), since the others
    /// would wait for it forever.
    static func run<T>(_ body: (TrainingGroup?) throws -> T) throws -> T {
        #if MPI
        guard let ranks = launchedRanks(), ranks > 1 else { return try body(nil) }
        let group = try MPITrainingGroup()
        do {
            let result = try body(group)
            group.finish()
            return result
        } catch {
            FileHandle.standardError.write(Data("loop (rank \(group.rank) of \(group.size)): \(LoopCommand.message(for: error))\n".utf8))
            group.abort()
        }
        #else
        return try body(nil)
        #endif
    }
}
