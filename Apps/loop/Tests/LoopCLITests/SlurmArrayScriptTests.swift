import Foundation
import XCTest
@testable import LoopCLI

/// `loop sweep run --slurm`: the job array script asks Slurm for one task per point, requeueing,
/// SIGTERM before the time limit and the resources given, and its task line reaches `loop` with
/// every path intact, however it is spelled.
final class SlurmArrayScriptTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        // Blanks, both quotes, `#`, `%` and `$` in every path the script names.
        root = FileManager.default.temporaryDirectory.appendingPathComponent("loop slurm 'it's' \"q\" #1 %A $HOME-\(UInt64.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    func script(points: Int = 8, resources: SlurmArrayScript.Resources = .init()) -> SlurmArrayScript {
        SlurmArrayScript(loop: path("bin/loop"), space: path("space.yaml"), out: path("out"), workingDirectory: path("work"),
                         points: points, jobName: "loop-sweep-lr \"x\"", resources: resources)
    }

    func sbatchLines(_ script: SlurmArrayScript) -> [String] {
        script.text.split(separator: "\n").filter { $0.hasPrefix("#SBATCH ") }.map { String($0.dropFirst("#SBATCH ".count)) }
    }

    func testDirectivesAskForOneTaskPerPointRequeueSignalAndTheResources() {
        let quotedOut = "\"" + path("out").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "%", with: "%%") + "/slurm/%A_%a.out\""
        XCTAssertEqual(sbatchLines(script()), [
            #"--job-name="loop-sweep-lr \"x\"""#,
            "--array=0-7",
            "--requeue",
            "--output=\(quotedOut)",
            "--open-mode=append",
            #"--time="04:00:00""#,
            "--cpus-per-task=4",
            #"--mem="8G""#,
            "--signal=B:TERM@60",
        ])
        var resources = SlurmArrayScript.Resources(time: "1-02:00:00", cpusPerTask: 2, memory: "500M", partition: "cpu short", account: "lab")
        resources.maxRunning = 3
        let lines = sbatchLines(script(points: 5, resources: resources))
        XCTAssertEqual(lines[1], "--array=0-4%3")
        XCTAssertEqual(Array(lines[5...]), [#"--time="1-02:00:00""#, "--cpus-per-task=2", #"--mem="500M""#, "--signal=B:TERM@60",
                                            #"--partition="cpu short""#, #"--account="lab""#])
        XCTAssertEqual(script().text.prefix(12), "#!/bin/bash\n", "sbatch reads #SBATCH lines only after the interpreter line")
    }

    /// sbatch splits `#SBATCH` lines at blanks outside double quotes and reads `\` as an escape;
    /// Slurm's filename patterns take `%%` for `%`.
    func testSbatchQuotingEscapesQuotesAndBackslashesAndDoublesPercent() {
        XCTAssertEqual(SlurmArrayScript.sbatchQuoted(#"a "b" \c #d"#), #""a \"b\" \\c #d""#)
        XCTAssertEqual(SlurmArrayScript.filenamePattern("/x/100%/"), "/x/100%%/")
        XCTAssertEqual(SlurmArrayScript.shellQuoted("it's $x"), #"'it'\''s $x'"#)
    }

    /// The task line, run by bash as sbatch would run it: `loop` replaces the shell (`exec`, so
    /// Slurm's SIGTERM reaches it: same process id) and gets exactly the paths, the task's index and
    /// --plain, in the working directory, with as many threads as the task has CPUs; without
    /// SLURM_ARRAY_TASK_ID it refuses, saying why.
    func testTheTaskRunsLoopWithItsIndexAndEveryPathIntact() throws {
        try FileManager.default.createDirectory(at: root.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("work"), withIntermediateDirectories: true)
        // A stand-in for loop: writes its process id, thread count, folder and arguments, one per line, and exits with a status of its own.
        try Data("#!/bin/bash\n{ echo $$; echo \"$TENSORKIT_THREADS\"; pwd; printf '%s\\n' \"$@\"; } > \"$(dirname \"$0\")/called\"\nexit 7\n".utf8).write(to: URL(fileURLWithPath: path("bin/loop")))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path("bin/loop"))
        let file = URL(fileURLWithPath: path("sweep.sbatch"))
        try Data(script().text.utf8).write(to: file)

        func bash(_ environment: [String: String]) throws -> (status: Int32, stderr: String, process: Int32) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [file.path]
            process.environment = environment
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, stderr, process.processIdentifier)
        }
        let run = try bash(["SLURM_ARRAY_TASK_ID": "5", "SLURM_CPUS_PER_TASK": "3", "PATH": "/usr/bin:/bin"])
        XCTAssertEqual(run.status, 7, "the task's status is loop's own. \(run.stderr)")
        let called = try String(contentsOfFile: path("bin/called"), encoding: .utf8)
        XCTAssertEqual(called.split(separator: "\n", omittingEmptySubsequences: false).map(String.init),
                       ["\(run.process)", "3", path("work"), "sweep", "run", path("space.yaml"), "--out", path("out"), "--index", "5", "--plain", ""])

        try FileManager.default.removeItem(atPath: path("bin/called"))
        let direct = try bash(["PATH": "/usr/bin:/bin"])
        XCTAssertNotEqual(direct.status, 0)
        XCTAssertTrue(direct.stderr.contains("SLURM_ARRAY_TASK_ID") && direct.stderr.contains("sbatch"), direct.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("bin/called")), "loop is not run without a task id")
    }

    /// The command writes the script and its output folder instead of training, with the space's
    /// name in the job name; the flags reach the script; misuse is refused, saying why.
    func testSweepRunSlurmWritesTheScriptInsteadOfTraining() throws {
        let space = path("space.yaml")
        try Data("name: lr\nbase: {data: data, d: 8, heads: 2}\ngrid: {lr: [0.001, 0.01]}\nseeds: 3\n".utf8).write(to: URL(fileURLWithPath: space))
        let (status, message) = LoopCLI.run(["sweep", "run", space, "--out", path("out"), "--slurm", "--time", "30",
                                             "--cpus-per-task", "1", "--mem", "1G", "--max-running", "2", "--partition", "debug"])
        XCTAssertEqual(status, 0, message)
        let text = try String(contentsOfFile: path("out/sweep.sbatch"), encoding: .utf8)
        for line in ["#SBATCH --array=0-5%2", #"#SBATCH --job-name="loop-sweep-lr""#, #"#SBATCH --time="30""#, "#SBATCH --cpus-per-task=1",
                     #"#SBATCH --mem="1G""#, #"#SBATCH --partition="debug""#,
                     "exec \(SlurmArrayScript.shellQuoted(SlurmArrayScript.currentExecutable)) sweep run \(SlurmArrayScript.shellQuoted(space)) --out"] {
            XCTAssertTrue(text.contains(line), "no \(line) in\n\(text)")
        }
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: path("out/sweep.sbatch")))
        var isFolder: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("out/slurm"), isDirectory: &isFolder) && isFolder.boolValue,
                      "Slurm does not make the folder of --output")
        XCTAssertEqual(try SweepFolder(at: URL(fileURLWithPath: path("out"))).status().map(\.state.name), Array(repeating: "not started", count: 6),
                       "nothing trained")

        for (arguments, expected) in [(["--time", "30"], "--time is for --slurm"),
                                      (["--slurm", "--index", "0"], "drop --index"),
                                      (["--slurm", "--max-running", "0"], "--max-running must be at least 1")] {
            let (status, message) = LoopCLI.run(["sweep", "run", space, "--out", path("out")] + arguments)
            XCTAssertEqual(status, 64, message)
            XCTAssertTrue(message.contains(expected), "\(arguments): \(message)")
        }
    }

    /// --submit without sbatch: the script is written and the error says how to get Slurm.
    func testSubmitWithoutSbatchSaysWhereToGetSlurm() throws {
        let space = path("space.yaml")
        try Data("base: {data: data}\nseeds: 2\n".utf8).write(to: URL(fileURLWithPath: space))
        let savedPath = ProcessInfo.processInfo.environment["PATH"]
        setenv("PATH", path("no-such-folder"), 1)
        defer { if let savedPath { setenv("PATH", savedPath, 1) } }
        let (status, message) = LoopCLI.run(["sweep", "run", space, "--out", path("out"), "--slurm", "--submit"])
        XCTAssertEqual(status, 64, message)
        for part in ["sbatch is not on PATH", "sbatch \(path("out/sweep.sbatch"))", "local-slurm"] {
            XCTAssertTrue(message.contains(part), "\(message) lacks \(part)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("out/sweep.sbatch")))
    }
}
