import Foundation

/// A dataset directory in the reference's layout: `vocab.json`, `train.json`, `valid.json`,
/// `test.json`, `test_small.json`, and (when loop generated it) `dataset.json`.
/// The vocabulary is read at `load`; a split's file is read each time `split(_:)` is called.
public struct Dataset: Sendable {
    public static let splitNames = ["train", "valid", "test", "test_small"]

    public let directory: URL
    public let vocabulary: Vocabulary
    /// How the dataset was generated, when `dataset.json` is present (nil for the reference's datasets).
    public let manifest: DatasetManifest?

    public static func load(from directory: URL) throws -> Dataset {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw KnowledgeGraphError.fileNotFound(file: directory.path)
        }
        let vocabulary = try Vocabulary.load(from: directory.appendingPathComponent("vocab.json"))
        let manifestURL = directory.appendingPathComponent(DatasetManifest.fileName)
        let manifest = FileManager.default.fileExists(atPath: manifestURL.path) ? try DatasetManifest.load(from: manifestURL) : nil
        return Dataset(directory: directory, vocabulary: vocabulary, manifest: manifest)
    }

    /// Reads `name.json` ("train", "valid", "test", "test_small"; any other name whose file
    /// exists is read too).
    public func split(_ name: String) throws -> Split {
        let url = directory.appendingPathComponent("\(name).json")
        guard Dataset.splitNames.contains(name) || FileManager.default.fileExists(atPath: url.path) else {
            throw KnowledgeGraphError.unknownSplit(name)
        }
        return try Split.load(from: url, vocabulary: vocabulary, name: name)
    }
}
