import Foundation
import ArgumentParser

/// `loop sweep run`'s flags for running the sweep as a Slurm job array (`SlurmArrayScript`).
struct SlurmOptions: ParsableArguments {
    private static let defaults = SlurmArrayScript.Resources()

    @Flag(help: "Write OUT/\(SlurmArrayScript.fileName), a Slurm job array with one task per point, instead of training.")
    var slurm = false
    @Flag(help: "With --slurm: also submit the script with sbatch and print the job id.")
    var submit = false
    @Option(help: "With --slurm: the job's name (default: loop-sweep- and the space's name or file name).")
    var jobName: String?
    @Option(help: "With --slurm: wall time per task, as sbatch --time takes it (default \(defaults.time)); SIGTERM comes \(SlurmArrayScript.signalLead) s before it ends, so the point checkpoints.")
    var time: String?
    @Option(help: "With --slurm: CPUs per task (default \(defaults.cpusPerTask)).")
    var cpusPerTask: Int?
    @Option(help: "With --slurm: memory per task, as sbatch --mem takes it (default \(defaults.memory)).")
    var mem: String?
    @Option(help: "With --slurm: the partition (default: the cluster's).")
    var partition: String?
    @Option(help: "With --slurm: the account to charge (default: yours).")
    var account: String?
    @Option(help: "With --slurm: at most this many tasks at once (--array=0-N%K; default: as many as Slurm allows).")
    var maxRunning: Int?

    func validate() throws {
        let given = [("--submit", submit ? "" : nil), ("--job-name", jobName), ("--time", time), ("--cpus-per-task", cpusPerTask.map { "\($0)" }),
                     ("--mem", mem), ("--partition", partition), ("--account", account), ("--max-running", maxRunning.map { "\($0)" })]
        if !slurm, let flag = given.first(where: { $0.1 != nil })?.0 { throw ValidationError("\(flag) is for --slurm (a Slurm job array); add --slurm") }
        if let cpusPerTask, cpusPerTask < 1 { throw ValidationError("--cpus-per-task must be at least 1 (got \(cpusPerTask))") }
        if let maxRunning, maxRunning < 1 { throw ValidationError("--max-running must be at least 1 (got \(maxRunning))") }
        for (flag, value) in [("--job-name", jobName), ("--time", time), ("--mem", mem), ("--partition", partition), ("--account", account)] {
            if let value, value.trimmingCharacters(in: .whitespaces).isEmpty || value.contains("\n") {
                throw ValidationError("\(flag) must be a non-empty single line")
            }
        }
    }

    var resources: SlurmArrayScript.Resources {
        var resources = Self.defaults
        if let time { resources.time = time }
        if let cpusPerTask { resources.cpusPerTask = cpusPerTask }
        if let mem { resources.memory = mem }
        resources.partition = partition
        resources.account = account
        resources.maxRunning = maxRunning
        return resources
    }
}
