import Foundation

/// The reference's file format as bytes, for callers who build their own splits or read items
/// from somewhere other than a dataset directory.
public enum ReferenceFormat {
    /// A JSON list of `{"input_text", "target_text", "type"}` objects, one per line.
    public static func encode(_ examples: [Example], vocabulary: Vocabulary) -> Data {
        Data(ReferenceJSONWriter(vocabulary: vocabulary).encode(examples))
    }

    /// `vocab.json`'s content: a JSON list of the tokens.
    public static func encodeVocabulary(_ vocabulary: Vocabulary) -> Data {
        Data(ReferenceJSONWriter.encodeStringList(vocabulary.tokens))
    }

    /// The examples of a reference-format list; `file` names the source in errors. An empty list
    /// gives no examples (not an error here; `Split.load` rejects it).
    public static func decode(_ data: Data, file: String, vocabulary: Vocabulary) throws -> [Example] {
        try data.withUnsafeBytes { try ReferenceItemDecoder.decode($0, file: file, vocabulary: vocabulary) }
    }
}

extension Split {
    /// Writes the split as a reference-format file, atomically.
    public func write(to url: URL, vocabulary: Vocabulary) throws {
        try AtomicFile.write(ReferenceJSONWriter(vocabulary: vocabulary).encode(examples), to: url)
    }
}
