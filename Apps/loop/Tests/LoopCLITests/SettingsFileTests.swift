import Foundation
import XCTest
import LoopCLI

/// Settings files (`loop train --config`, `loop sweep` search spaces) that are not what they should
/// be: each is refused with a non-zero status and a message that names the file, never a crash.
final class SettingsFileTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("loop-settings-file-\(UInt64.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func write(_ text: String, to name: String) throws -> String {
        let url = root.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// YAML allows a mapping or a list as a key; the YAML library traps on one, so such a file must be refused before.
    /// The flow mapping here is what fuzzing found (a key `{...}` inside the top-level mapping).
    func testAYAMLKeyThatIsNotAStringIsRefusedNamingTheFileAndLine() throws {
        let files = ["{task: sy&s 8, eval_every_epochs, eval_euncate: yessele} :\n~le: ~}\n",
                     "lr: 0.001\n? [a, b]\n: 1\n",
                     "nested:\n  - {[x]: 1}\n"]
        for (index, text) in files.enumerated() {
            let config = try write(text, to: "config-\(index).yaml")
            let (status, message) = LoopCLI.run(["train", "--config", config, "--out", root.appendingPathComponent("run").path])
            XCTAssertNotEqual(status, 0, message)
            XCTAssertTrue(message.contains("\(config): not valid YAML: a mapping key at line"), message)
            XCTAssertTrue(message.contains("is not a string"), message)
            let (sweepStatus, sweepMessage) = LoopCLI.run(["sweep", "plan", config])
            XCTAssertNotEqual(sweepStatus, 0, sweepMessage)
            XCTAssertTrue(sweepMessage.contains("\(config): not valid YAML: a mapping key"), sweepMessage)
        }
    }
}
