import Foundation
import XCTest
import LoopCLI

/// What every end-to-end test of `loop` needs: a fresh folder per test (removed after it), paths
/// in it, `loop` run in-process and expected to succeed, and its JSON files read back.
class CLITestCase: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("loop-cli-\(UInt64.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    /// Runs `loop arguments` and fails the test, naming the command, unless it exits 0.
    @discardableResult
    func loop(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) -> String {
        let (status, message) = LoopCLI.run(arguments)
        XCTAssertEqual(status, 0, "loop \(arguments.joined(separator: " ")) failed: \(message)", file: file, line: line)
        return message
    }

    /// Runs `loop arguments` with standard output and standard error each captured to a file, as
    /// a shell pipeline would see them; returns the exit status, both streams and the error message.
    func loopCapturing(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String, message: String) {
        let outFile = root.appendingPathComponent("captured-stdout"), errFile = root.appendingPathComponent("captured-stderr")
        fflush(stdout)
        fflush(stderr)
        let outFD = open(outFile.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644), errFD = open(errFile.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let savedOut = dup(STDOUT_FILENO), savedErr = dup(STDERR_FILENO)
        dup2(outFD, STDOUT_FILENO)
        dup2(errFD, STDERR_FILENO)
        let (status, message) = LoopCLI.run(arguments)
        fflush(stdout)
        fflush(stderr)
        dup2(savedOut, STDOUT_FILENO)
        dup2(savedErr, STDERR_FILENO)
        for fd in [outFD, errFD, savedOut, savedErr] { close(fd) }
        return (status, try String(contentsOf: outFile, encoding: .utf8), try String(contentsOf: errFile, encoding: .utf8), message)
    }

    func json(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent(name))) as! [String: Any]
    }
}
