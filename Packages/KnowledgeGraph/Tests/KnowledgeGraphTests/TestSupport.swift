import Foundation
import XCTest
import KnowledgeGraph

/// A fresh directory under the system's temporary directory, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("knowledgegraph-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

func write(_ text: String, to directory: URL, _ name: String) throws {
    try Data(text.utf8).write(to: directory.appendingPathComponent(name))
}

/// Asserts that `body` throws a `KnowledgeGraphError` equal to `expected`, and that its description
/// mentions every string of `mentions`.
func assertThrows<T>(_ expected: KnowledgeGraphError?, mentioning mentions: [String] = [], file: StaticString = #filePath, line: UInt = #line,
                     _ body: () throws -> T) {
    do {
        _ = try body()
        XCTFail("expected an error", file: file, line: line)
    } catch let error as KnowledgeGraphError {
        if let expected { XCTAssertEqual(error, expected, file: file, line: line) }
        for m in mentions {
            XCTAssertTrue(error.description.contains(m), "\"\(error.description)\" does not mention \(m)", file: file, line: line)
        }
    } catch {
        XCTFail("unexpected error type: \(error)", file: file, line: line)
    }
}

/// The tokens of an example, for readable assertions.
func spelled(_ ids: [Int32], _ vocabulary: Vocabulary) -> String { vocabulary.text(ids) }
