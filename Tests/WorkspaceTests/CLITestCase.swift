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

    func json(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent(name))) as! [String: Any]
    }
}
