import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import KnowledgeGraph
import TensorKit
import RecurrentDepth
import Analysis

/// The repository's `Fixtures/recurrent-gpt2` (PyTorch outputs copied from the shared fixtures).
let fixturesRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/recurrent-gpt2")

let fixtureCases = ["learned-r3", "nope-inject-r4", "sinusoidal-r2"]

/// One fixture case: the model folder, its batch as examples, and the expectations.
struct FixtureCase {
    let name: String
    let folder: URL
    let json: [String: Any]

    init(_ name: String) throws {
        self.name = name
        folder = fixturesRoot.appendingPathComponent(name)
        json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("case.json"))) as! [String: Any]
    }

    var lengths: [Int] { json["input_lengths"] as! [Int] }
    var targets: [Int] { json["targets"] as! [Int] }
    var ids: [[Int]] { json["input_ids"] as! [[Int]] }
    var paddedLength: Int { ids[0].count }
    var predictionPosition: PredictionPosition { PredictionPosition(rawValue: json["pred_pos"] as! String)! }
    var margins: [String: Any] { json["margins"] as! [String: Any] }
    func expected() throws -> SafeTensorsArchive { try SafeTensorsArchive(contentsOf: folder.appendingPathComponent("expected.safetensors")) }

    /// The batch as a split of one type: each input cut to its length (padding it again to the
    /// fixture's length gives back the fixture's ids).
    func split(type: String = "fixture") -> Split {
        Split(name: "fixture", examples: zip(zip(ids, lengths), targets).map { row, target in
            Example(inputIDs: row.0.prefix(row.1).map(Int32.init), label: Int32(target), type: type)
        })
    }

    func context(batchSize: Int = 256, iterations: Int? = nil) -> ProbeContext {
        ProbeContext(models: [ProbeModel(name: name, folder: folder)], examples: split(),
                     options: ProbeOptions(batchSize: batchSize, predictionPosition: predictionPosition, padding: .fixed(paddedLength),
                                           maxIterations: iterations ?? (margins["iterations"] as! Int)))
    }

    var input: ModelInput {
        let (b, t) = (ids.count, paddedLength)
        let mask = json["attention_mask"] as! [[Int]]
        return ModelInput(ids: IDTensor(shape: [b, t], ids: ids.flatMap { $0 }),
                          mask: Tensor(shape: [b, t], scalars: mask.flatMap { $0.map(Float.init) }),
                          positions: predictionPosition.positions(lengths: lengths, paddedLength: t))
    }
}

func temporaryFolder() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("analysis-tests-\(UInt64.random(in: 0 ... .max))")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func assertClose(_ a: [Float], _ b: [Float], tolerance: Float, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(what): sizes differ", file: file, line: line)
    for i in 0..<min(a.count, b.count) where abs(a[i] - b[i]) > tolerance * max(1, abs(b[i])) {
        XCTFail("\(what): element \(i) differs: \(a[i]) vs \(b[i])", file: file, line: line)
        return
    }
}

/// An SVG parsed as XML, with lookups by class and attribute.
struct ParsedSVG {
    let root: XMLElement

    init(_ svg: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let document = try XMLDocument(xmlString: svg, options: [])
        root = try XCTUnwrap(document.rootElement(), file: file, line: line)
        XCTAssertEqual(root.name, "svg", file: file, line: line)
    }

    /// Every element (depth first) whose class list contains `cls`.
    func elements(class cls: String) -> [XMLElement] {
        var out: [XMLElement] = []
        func visit(_ e: XMLElement) {
            if let c = attribute(e, "class"), c.split(separator: " ").contains(Substring(cls)) { out.append(e) }
            for child in e.children ?? [] { if let el = child as? XMLElement { visit(el) } }
        }
        visit(root)
        return out
    }

    /// An attribute's value. (FoundationXML's `attribute(forName:)` finds nothing in a document
    /// with a default namespace, as SVG has, so the attribute list is searched.)
    func attribute(_ e: XMLElement, _ name: String) -> String? {
        (e.attributes ?? []).first { $0.name == name || $0.localName == name }?.stringValue
    }

    func children(_ e: XMLElement) -> [XMLElement] { (e.children ?? []).compactMap { $0 as? XMLElement } }

    func texts(class cls: String) -> [String] { elements(class: cls).compactMap(\.stringValue) }

    /// All text content of the document.
    var allText: String { root.stringValue ?? "" }
}
