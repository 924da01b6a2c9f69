import Foundation
@testable import KnowledgeGraph

// One input: the bytes of a `vocab.json` (a JSON list of token strings), read as
// `Vocabulary.load(from:)` reads the file. The reader must return a vocabulary with `<pad>` at id
// 0 and every token at its own id, or throw a KnowledgeGraphError that names the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVocabulary(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let vocabulary: Vocabulary
    do {
        vocabulary = try Vocabulary.decode(Data(bytes: data, count: size), file: "vocab.json")
    } catch let error as KnowledgeGraphError {
        guard error.description.contains("vocab.json") else { fatalError("the error does not name the file: \(error)") }
        return 0
    } catch {
        fatalError("Vocabulary.decode threw \(type(of: error)), not KnowledgeGraphError: \(error)")
    }
    guard vocabulary.tokens.first == Vocabulary.padToken else { fatalError("<pad> is not id 0") }
    for (id, token) in vocabulary.tokens.enumerated() where vocabulary.id(token) != Int32(id) {
        fatalError("token \(token) at \(id) has id \(String(describing: vocabulary.id(token)))")
    }
    return 0
}
