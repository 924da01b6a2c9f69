import ArgumentParser
import Foundation
import TensorKit
import KnowledgeGraph
import RecurrentDepth
import Halting
import Analysis

/// The registry the running command tree uses (set once by `LoopCLI.main` before parsing).
nonisolated(unsafe) var activeRegistry = LoopRegistry.standard

public enum LoopCLI {
    public static let version = "0.4.0"

    /// Runs `loop` with `registry`: the entry point of the app and of any third-party build of it.
    public static func main(registry: LoopRegistry, arguments: [String]? = nil) {
        activeRegistry = registry
        if let refusal = DataParallel.refusal(command: (arguments ?? Array(CommandLine.arguments.dropFirst())).first) {
            Console.log("Error: \(refusal)")
            exit(ExitStatus.badInput)
        }
        do {
            var command = try LoopCommand.parseAsRoot(arguments)
            try command.run()
        } catch {
            let status = ExitStatus.of(error)
            // Help, version and usage errors print as the argument parser shows them.
            if status == LoopCommand.exitCode(for: error).rawValue && !(error is CLIError) { LoopCommand.exit(withError: error) }
            fflush(stdout)
            Console.log((error is TrainingInterrupted ? "" : "Error: ") + LoopCommand.message(for: error))
            exit(status)
        }
    }

    /// Runs one command in-process and returns its exit status and error message (for tests).
    public static func run(_ arguments: [String], registry: LoopRegistry = .standard) -> (status: Int32, message: String) {
        activeRegistry = registry
        do {
            var command = try LoopCommand.parseAsRoot(arguments)
            try command.run()
            return (0, "")
        } catch {
            return (ExitStatus.of(error), LoopCommand.message(for: error))
        }
    }

    /// The exit status `loop` ends with after `error` (`ExitStatus`).
    public static func exitStatus(for error: Error) -> Int32 { ExitStatus.of(error) }

    static var versions: String {
        """
        loop \(version)
          TensorKit \(TensorKitVersion.current)
          KnowledgeGraph \(KnowledgeGraphVersion.current)
          RecurrentDepth \(RecurrentDepthVersion.current)
          Halting \(HaltingVersion.current)
          Analysis \(AnalysisVersion.current)
        """
    }
}

struct LoopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loop",
        abstract: "Train and study recurrent-depth (looped) transformers on synthetic reasoning tasks.",
        discussion: """
        Typical use:
          loop data extrapolation --preset small --out data/perm
          loop train --data data/perm --out runs/perm --d 64 --schedule fixed:r=4 --lr 1e-3 --weight-decay 1
          loop eval --checkpoint runs/perm/checkpoints/final --data data/perm --recurrence-range 1...16 --output sweep.json
          loop analyze --probe logit-margin --checkpoint runs/perm/checkpoints/final --data data/perm --out figures
          loop sweep run space.yaml --out sweeps/lr      # settings × seeds; mean ± std in sweeps/lr/results.md
        """,
        version: LoopCLI.versions,
        subcommands: [DataCommand.self, TrainCommand.self, SweepCommand.self, EvalCommand.self, GenerateCommand.self, AnalyzeCommand.self,
                      ExportMetricsCommand.self, ReproduceCommand.self, ListCommand.self, DemoCommand.self]
    )
}
