import Foundation

/// The batch script `loop sweep run SPACE --out OUT --slurm` writes as `OUT/sweep.sbatch`: a Slurm
/// job array with one task per point, each task `loop sweep run SPACE --out OUT --index I`.
///
/// Preemption and time limits: Slurm sends SIGTERM to a task it requeues, preempts or cancels, and
/// `--signal` sends it `signalLead` seconds before `--time` runs out. The task `exec`s loop, so loop
/// itself gets the signal, writes a checkpoint and exits 128 + 15. `--requeue` lets Slurm start a
/// preempted task again, and the point resumes from its checkpoint (a `kill -9` loses at most
/// the time since the last periodic checkpoint); submitting the script again continues every
/// point not finished and skips the finished ones. `--open-mode=append` keeps each attempt's
/// output in the task's one `OUT/slurm/JOB_TASK.out`.
struct SlurmArrayScript: Equatable {
    /// What each task asks Slurm for (`#SBATCH` lines).
    struct Resources: Equatable {
        /// Wall time per task, in a form `--time` takes (`MM`, `HH:MM:SS`, `D-HH:MM:SS`, …).
        var time = "04:00:00"
        var cpusPerTask = 4
        /// Memory per task, in a form `--mem` takes (`8G`, `500M`).
        var memory = "8G"
        var partition: String?
        var account: String?
        /// At most this many tasks running at once (`--array=0-N%K`); nil: as many as Slurm allows.
        var maxRunning: Int?
    }

    /// Absolute paths: the `loop` executable, the search space and the sweep's folder.
    var loop: String
    var space: String
    var out: String
    /// The folder tasks run in, so that paths in the space (`data:`) mean what they mean here.
    var workingDirectory: String
    var points: Int
    var jobName: String
    var resources = Resources()
    /// Seconds between the SIGTERM `--signal` sends and the end of `--time`: time to checkpoint.
    static let signalLead = 60

    /// Where the tasks' output goes, in the sweep's folder.
    static let outputFolder = "slurm"
    static let fileName = "sweep.sbatch"

    var text: String {
        var options = [
            "--job-name=\(Self.sbatchQuoted(jobName))",
            "--array=0-\(points - 1)" + (resources.maxRunning.map { "%\($0)" } ?? ""),
            "--requeue",
            "--output=\(Self.sbatchQuoted(Self.filenamePattern(out + "/\(Self.outputFolder)/") + "%A_%a.out"))",
            "--open-mode=append",
            "--time=\(Self.sbatchQuoted(resources.time))",
            "--cpus-per-task=\(resources.cpusPerTask)",
            "--mem=\(Self.sbatchQuoted(resources.memory))",
            "--signal=B:TERM@\(Self.signalLead)",
        ]
        if let partition = resources.partition { options.append("--partition=\(Self.sbatchQuoted(partition))") }
        if let account = resources.account { options.append("--account=\(Self.sbatchQuoted(account))") }
        let command = "\(Self.shellQuoted(loop)) sweep run \(Self.shellQuoted(space)) --out \(Self.shellQuoted(out))"
        return """
        #!/bin/bash
        \(options.map { "#SBATCH \($0)" }.joined(separator: "\n"))

        # A Slurm job array over the \(points) points of \(space), written by `loop sweep run --slurm`:
        # submit it with `sbatch \(out)/\(Self.fileName)`. Task I trains point I into \(out).
        # A task stopped by SIGTERM (requeue, preemption, \(Self.signalLead) s before --time) checkpoints and exits 143;
        # requeued, or this script submitted again, it resumes its point; finished points are skipped.
        set -euo pipefail
        : "${SLURM_ARRAY_TASK_ID:?is not set: submit this script with sbatch, which runs it once per point}"
        cd \(Self.shellQuoted(workingDirectory))
        # As many compute threads as CPUs the task was given (Slurm may not confine it to them).
        export TENSORKIT_THREADS="${TENSORKIT_THREADS:-${SLURM_CPUS_PER_TASK:-\(resources.cpusPerTask)}}"
        # exec: loop itself receives Slurm's SIGTERM and writes a checkpoint before it stops.
        exec \(command) --index "$SLURM_ARRAY_TASK_ID" --plain

        """
    }

    /// `text` quoted for bash: in single quotes, each `'` written as `'\''`.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// `text` quoted for sbatch's reading of `#SBATCH` lines, which splits at blanks outside double
    /// quotes, takes `\` as escaping the next character and `#` outside quotes as a comment.
    static func sbatchQuoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// A path as a Slurm filename pattern: `%` (which starts a replacement, like `%A`) doubled.
    static func filenamePattern(_ path: String) -> String { path.replacingOccurrences(of: "%", with: "%%") }
}

extension SlurmArrayScript {
    /// Submits the script in `file` with `sbatch` and returns the job's id.
    static func submit(_ file: URL) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let sbatch = path.split(separator: ":").map({ "\($0)/sbatch" }).first(where: FileManager.default.isExecutableFile) else {
            throw CLIError("--submit: sbatch is not on PATH, so Slurm cannot be reached from here. The script is written: submit it "
                           + "with `sbatch \(file.path)` where Slurm is (a cluster's login node, or after loading its module); "
                           + "for a single-node Slurm on this machine, see Scripts/slurm/local-slurm in loop's repository")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sbatch)
        process.arguments = ["--parsable", file.path]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try cliErrors { try process.run() }
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let complaint = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // --parsable prints `JOBID` or `JOBID;CLUSTER`.
        let job = printed.trimmingCharacters(in: .whitespacesAndNewlines).prefix { $0 != ";" }
        guard process.terminationStatus == 0, !job.isEmpty, job.allSatisfy(\.isNumber) else {
            throw CLIError("sbatch \(file.path) failed (status \(process.terminationStatus)): "
                           + (complaint + printed).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return String(job)
    }

    /// The absolute path of the running executable, symbolic links resolved: what the tasks run.
    static var currentExecutable: String {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        #endif
        return (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).resolvingSymlinksInPath().path
    }
}
