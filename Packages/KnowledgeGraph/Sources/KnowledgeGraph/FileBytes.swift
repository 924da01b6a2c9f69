import Foundation

/// Whole-file reads with the package's errors (a missing file is named, not a Foundation error).
enum FileBytes {
    static func read(_ url: URL) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw KnowledgeGraphError.fileNotFound(file: url.path)
        }
        guard !isDirectory.boolValue else {
            throw KnowledgeGraphError.unreadableFile(file: url.path, reason: "it is a directory")
        }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw KnowledgeGraphError.unreadableFile(file: url.path, reason: error.localizedDescription)
        }
    }
}
