import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import KnowledgeGraph
import TensorKit
import RecurrentDepth
import Analysis
import FixtureSupport
import ModelFixtureSupport

extension FixtureCase {
    /// The batch as a split of one type: each input cut to its length (padding it again to the
    /// fixture's length gives back the fixture's ids).
    func split(type: String = "fixture") throws -> Split {
        Split(name: "fixture", examples: zip(zip(ids, lengths), try targets).map { row, target in
            Example(inputIDs: row.0.prefix(row.1).map(Int32.init), label: Int32(target), type: type)
        })
    }

    /// A probe context on the case's model and batch, padded as the fixture is.
    func context(batchSize: Int = 256, iterations: Int? = nil) throws -> ProbeContext {
        ProbeContext(models: [ProbeModel(name: name, folder: folder)], examples: try split(),
                     options: ProbeOptions(batchSize: batchSize, predictionPosition: try predictionPosition, padding: .fixed(paddedLength),
                                           maxIterations: try iterations ?? (margins["iterations"] as! Int)))
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
