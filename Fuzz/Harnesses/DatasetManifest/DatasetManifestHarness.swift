import Foundation
@testable import KnowledgeGraph

// One input: the bytes of a `dataset.json`, read as `DatasetManifest.load(from:)` reads the file.
// The reader must return a manifest that encodes and decodes back to itself, or throw a
// KnowledgeGraphError that names the file. (The manifest is not regenerated: that runs a generator.)
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDatasetManifest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let manifest: DatasetManifest
    do {
        manifest = try DatasetManifest.decode(Data(bytes: data, count: size), file: "dataset.json")
    } catch let error as KnowledgeGraphError {
        guard error.description.contains("dataset.json") else { fatalError("the error does not name the file: \(error)") }
        return 0
    } catch {
        fatalError("DatasetManifest.decode threw \(type(of: error)), not KnowledgeGraphError: \(error)")
    }
    guard let encoded = try? manifest.encoded(), let again = try? DatasetManifest.decode(Data(encoded), file: "round trip"),
          again == manifest else {
        fatalError("the manifest changed in an encode-and-decode round trip")
    }
    return 0
}
