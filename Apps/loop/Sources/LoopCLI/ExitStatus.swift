import ArgumentParser
import Foundation
import RecurrentDepth

/// `loop`'s exit statuses, so that a scheduler, CI or a shell loop can tell "done" from "stopped
/// early, resume me" from "fix the input" (the values are sysexits.h's and the shell's 128 + signal):
///
///     0        finished (or stopped at a limit it was given)
///     64       bad input: a flag, setting, file or dataset that is wrong (EX_USAGE)
///     65       training diverged: the loss or the weights became NaN or infinite (EX_DATAERR)
///     70       internal error: a failure loop did not expect (EX_SOFTWARE)
///     74       a write failed: disk full, folder not writable (EX_IOERR); the last checkpoint is intact
///     128 + N  interrupted by signal N (130 SIGINT, 143 SIGTERM) after writing a checkpoint
enum ExitStatus {
    static let badInput: Int32 = 64
    static let diverged: Int32 = 65
    static let internalError: Int32 = 70
    static let ioError: Int32 = 74

    static func interrupted(by signal: Int32) -> Int32 { 128 + signal }

    /// The status `error` ends `loop` with.
    static func of(_ error: Error) -> Int32 {
        let parserStatus = LoopCommand.exitCode(for: error).rawValue
        if parserStatus != ExitCode.failure.rawValue { return parserStatus }  // help, version, usage errors
        switch error {
        case let error as TrainingInterrupted: return interrupted(by: error.signal)
        case let error as CLIError: return error.status
        case let error as RecurrentDepthError:
            if error.isDivergence { return diverged }
            if case .writeFailed = error { return ioError }
            return badInput
        case let error as CocoaError where (512...699).contains(error.code.rawValue): return ioError  // the fileWrite… codes
        case let error as POSIXError where [.EIO, .ENOSPC, .EFBIG, .EDQUOT, .EROFS].contains(error.code): return ioError
        case is DecodingError, is CocoaError: return badInput
        default:
            // loop's own packages throw errors that describe bad input; anything else is unexpected.
            let module = String(reflecting: type(of: error)).prefix { $0 != "." }
            return ["TensorKit", "KnowledgeGraph", "RecurrentDepth", "Halting", "Analysis", "LoopCLI"].contains(String(module))
                ? badInput : internalError
        }
    }
}

/// Training (`loop train`, or a point of `loop sweep run`) stopped by `signal` after writing its
/// checkpoint: the exit status says so, and the message says how to continue.
struct TrainingInterrupted: Error, CustomStringConvertible {
    let signal: Int32
    /// The command that continues where training stopped.
    let resume: String

    var description: String {
        let name = [SIGINT: "SIGINT", SIGTERM: "SIGTERM"][signal] ?? "signal \(signal)"
        return "interrupted by \(name); checkpoint written; resume with: \(resume)"
    }
}

extension TrainingInterrupted: LocalizedError {
    var errorDescription: String? { description }
}
