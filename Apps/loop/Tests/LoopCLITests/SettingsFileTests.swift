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

    /// YAML values JSON cannot hold (infinity, NaN, a timestamp, binary data) are refused naming the
    /// file and the setting, as fuzzing found for `.inf` (it surfaced as Foundation's "The data is not
    /// in the correct format.", naming neither).
    func testAYAMLValueJSONCannotHoldIsRefusedNamingTheFileAndTheSetting() throws {
        for (index, (key, value)) in [("layers", ".inf"), ("lr", ".nan"), ("seed", "2001-12-14"), ("data", "!!binary aGk=")].enumerated() {
            let config = try write("epochs: 2\n\(key): \(value)\n", to: "values-\(index).yaml")
            let (status, message) = LoopCLI.run(["train", "--config", config, "--out", root.appendingPathComponent("run").path])
            XCTAssertNotEqual(status, 0, message)
            XCTAssertTrue(message.contains("\(config): setting '\(key)' has the value"), message)
        }
    }

    /// A base-60 integer (YAML 1.1's `1:30`) too large for Int made the YAML library trap, as fuzzing
    /// found; it is read as text, so a setting that wants a number refuses it naming the file.
    func testALargeBase60IntegerIsRefusedNotATrap() throws {
        for (index, value) in ["922330720368547758:8", "1:1:1:1:1:1:1:1:1:1:1:1"].enumerated() {
            let config = try write("seed: \(value)\n", to: "base60-\(index).yaml")
            let (status, message) = LoopCLI.run(["train", "--config", config, "--out", root.appendingPathComponent("run").path])
            XCTAssertNotEqual(status, 0, message)
            XCTAssertTrue(message.contains(config), message)
        }
    }
}
