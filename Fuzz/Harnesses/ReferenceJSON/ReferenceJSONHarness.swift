import Foundation
import KnowledgeGraph

// One input: the bytes of a split file in the reference's format (a JSON list of
// {"input_text", "target_text", "type"} objects), read against a small fixed vocabulary. The reader
// must return examples or throw a KnowledgeGraphError that names the file; the examples it returns
// must come back unchanged when written and read again.
private let vocabulary = Vocabulary.knowledgeGraph(entities: 6, relations: 3)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReferenceJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    let examples: [Example]
    do {
        examples = try ReferenceFormat.decode(bytes, file: "fuzz.json", vocabulary: vocabulary)
    } catch let error as KnowledgeGraphError {
        guard error.description.contains("fuzz.json") else { fatalError("the error does not name the file: \(error)") }
        return 0
    } catch {
        fatalError("ReferenceFormat.decode threw \(type(of: error)), not KnowledgeGraphError: \(error)")
    }
    let written = ReferenceFormat.encode(examples, vocabulary: vocabulary)
    guard let again = try? ReferenceFormat.decode(written, file: "round trip", vocabulary: vocabulary), again == examples else {
        fatalError("the examples changed in a write-and-read round trip")
    }
    return 0
}
