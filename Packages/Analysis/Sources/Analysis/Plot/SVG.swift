import Foundation

/// A minimal SVG writer: elements are appended in drawing order and `render()` wraps them in the
/// root element. Every figure in this package is built with it, so the output stays plain SVG 1.1
/// that browsers, `rsvg-convert` and XML parsers all read.
public struct SVGBuilder {
    public let width: Double
    public let height: Double
    private var parts: [String] = []
    private var depth = 1

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// Opens a container element (`g`, `clipPath`, ...); close it with `close(_:)`.
    public mutating func open(_ tag: String, _ attributes: [(String, String)] = []) {
        parts.append(indent + "<\(tag)\(Self.attributes(attributes))>")
        depth += 1
    }

    public mutating func close(_ tag: String) {
        depth -= 1
        parts.append(indent + "</\(tag)>")
    }

    /// A leaf element, with escaped text content when given.
    public mutating func element(_ tag: String, _ attributes: [(String, String)], text: String? = nil) {
        if let text {
            parts.append(indent + "<\(tag)\(Self.attributes(attributes))>\(xmlEscape(text))</\(tag)>")
        } else {
            parts.append(indent + "<\(tag)\(Self.attributes(attributes))/>")
        }
    }

    /// Text; `anchor` is `start`, `middle` or `end`.
    public mutating func text(_ string: String, x: Double, y: Double, size: Double = 11, anchor: String = "start",
                              weight: String? = nil, color: String = "#222222", rotate: Double? = nil,
                              extra: [(String, String)] = []) {
        var a: [(String, String)] = [("x", fmt(x)), ("y", fmt(y)), ("font-size", fmt(size)), ("text-anchor", anchor), ("fill", color)]
        if let weight { a.append(("font-weight", weight)) }
        if let rotate { a.append(("transform", "rotate(\(fmt(rotate)) \(fmt(x)) \(fmt(y)))")) }
        element("text", a + extra, text: string)
    }

    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, color: String, width: Double = 1,
                              dashed: Bool = false, extra: [(String, String)] = []) {
        var a: [(String, String)] = [("x1", fmt(x1)), ("y1", fmt(y1)), ("x2", fmt(x2)), ("y2", fmt(y2)),
                                     ("stroke", color), ("stroke-width", fmt(width))]
        if dashed { a.append(("stroke-dasharray", "6 4")) }
        element("line", a + extra)
    }

    public mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil,
                              extra: [(String, String)] = []) {
        var a: [(String, String)] = [("x", fmt(x)), ("y", fmt(y)), ("width", fmt(max(0, width))), ("height", fmt(max(0, height))), ("fill", fill)]
        if let stroke { a.append(("stroke", stroke)) }
        element("rect", a + extra)
    }

    /// The document, with an XML declaration and a white background.
    public func render() -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(fmt(width))\" height=\"\(fmt(height))\" "
        out += "viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
        out += "  <rect class=\"background\" x=\"0\" y=\"0\" width=\"\(fmt(width))\" height=\"\(fmt(height))\" fill=\"#ffffff\"/>\n"
        out += parts.joined(separator: "\n")
        out += "\n</svg>\n"
        return out
    }

    private var indent: String { String(repeating: "  ", count: depth) }

    private static func attributes(_ attributes: [(String, String)]) -> String {
        attributes.map { " \($0.0)=\"\(xmlEscape($0.1))\"" }.joined()
    }
}

/// `&`, `<`, `>`, `"` and `'` as entities.
public func xmlEscape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for c in s {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default: out.append(c)
        }
    }
    return out
}

/// A string made safe as an XML id: letters, digits, `-` and `_` kept, anything else `_`, and a
/// leading letter guaranteed.
public func svgID(_ parts: String...) -> String {
    let joined = parts.joined(separator: "-")
    var out = String(joined.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "_" })
    if let first = out.first, !first.isLetter { out = "s" + out }
    return out.isEmpty ? "s" : out
}

/// A coordinate with at most two decimals, trailing zeros dropped.
func fmt(_ x: Double) -> String {
    guard x.isFinite else { return "0" }
    let rounded = (x * 100).rounded() / 100
    if rounded == rounded.rounded() { return String(Int(rounded)) }
    var s = String(format: "%.2f", rounded)
    while s.hasSuffix("0") { s.removeLast() }
    return s
}

/// A rough width of `text` at `size` (DejaVu Sans averages about 0.56 em per character), for
/// laying out legends without a font engine.
func textWidth(_ text: String, size: Double) -> Double { Double(text.count) * size * 0.56 }
