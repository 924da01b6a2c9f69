import XCTest

extension XCTestCase {
    /// A new empty folder under the system's temporary folder, removed when the test ends.
    public func temporaryFolder() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("loop-tests-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            XCTFail("cannot create \(url.path): \(error)")
        }
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
