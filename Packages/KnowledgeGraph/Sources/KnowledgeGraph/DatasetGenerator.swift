import Foundation

/// What every task's generator does: make its dataset in memory, or make it and lay it out in a
/// folder as the reference does.
public protocol DatasetGenerator: Sendable {
    func generate() throws -> GeneratedDataset
}

extension DatasetGenerator {
    /// Generates the dataset and writes it to `directory` (`GeneratedDataset.write(to:)`).
    @discardableResult
    public func write(to directory: URL) throws -> GeneratedDataset {
        let dataset = try generate()
        try dataset.write(to: directory)
        return dataset
    }
}

extension Example {
    /// `examples` with their type set to `type` (held-out draws become test items).
    static func retyped<S: Sequence>(_ examples: S, as type: String) -> [Example] where S.Element == Example {
        examples.map { e in
            var e = e
            e.type = type
            return e
        }
    }
}
