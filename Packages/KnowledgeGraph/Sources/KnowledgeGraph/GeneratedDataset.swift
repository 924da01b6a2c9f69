import Foundation

/// A dataset as a generator made it, in memory: its vocabulary and splits, and the manifest
/// that regenerates it. `write(to:)` lays it out as the reference does.
public struct GeneratedDataset: Sendable {
    public let manifest: DatasetManifest
    public let vocabulary: Vocabulary
    public var train: Split
    public var valid: Split
    public var test: Split
    public var testSmall: Split

    public func split(_ name: String) throws -> Split {
        switch name {
        case "train": return train
        case "valid": return valid
        case "test": return test
        case "test_small": return testSmall
        default: throw KnowledgeGraphError.unknownSplit(name)
        }
    }

    /// Writes `vocab.json`, `train.json`, `valid.json`, `test.json`, `test_small.json` and
    /// `dataset.json` into `directory` (created if needed), each file atomically.
    public func write(to directory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw KnowledgeGraphError.writeFailed(file: directory.path, reason: error.localizedDescription)
        }
        let writer = ReferenceJSONWriter(vocabulary: vocabulary)
        try AtomicFile.write(ReferenceJSONWriter.encodeStringList(vocabulary.tokens), to: directory.appendingPathComponent("vocab.json"))
        // The large files are encoded on two threads; each is written as soon as it is ready.
        let jobs: [(String, [Example])] = [("train.json", train.examples), ("test.json", test.examples),
                                           ("valid.json", valid.examples), ("test_small.json", testSmall.examples)]
        let errors = ErrorBox()
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            for (k, job) in jobs.enumerated() where (k == 0) == (worker == 0) {
                do {
                    try AtomicFile.write(writer.encode(job.1), to: directory.appendingPathComponent(job.0))
                } catch {
                    errors.record(error)
                }
            }
        }
        if let error = errors.first { throw error }
        try AtomicFile.write(try manifest.encoded(), to: directory.appendingPathComponent(DatasetManifest.fileName))
    }

    /// A dataset from its training and test items: `valid` and `test_small` are the first
    /// `smallTestPerType` items of each test type.
    static func assembled(manifest: DatasetManifest, vocabulary: Vocabulary, train: [Example], test: [Example],
                          smallTestPerType: Int) -> GeneratedDataset {
        let testSplit = Split(name: "test", examples: test)
        let small = smallSplit(of: testSplit, perType: smallTestPerType, name: "test_small")
        return GeneratedDataset(manifest: manifest, vocabulary: vocabulary, train: Split(name: "train", examples: train),
                                valid: Split(name: "valid", examples: small.examples), test: testSplit, testSmall: small)
    }

    /// The small test file: the first `perType` items of each type of `test`, in test's order.
    static func smallSplit(of test: Split, perType: Int, name: String) -> Split {
        var taken: [String: Int] = [:]
        let examples = test.examples.filter { example in
            let type = example.type ?? ""
            let n = taken[type, default: 0]
            taken[type] = n + 1
            return n < perType
        }
        return Split(name: name, examples: examples)
    }
}

/// The first error thrown on any worker thread.
private final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var error: Error?
    func record(_ e: Error) { lock.lock(); if error == nil { error = e }; lock.unlock() }
    var first: Error? { lock.lock(); defer { lock.unlock() }; return error }
}
