/// What is wrong with a component's specification: the text, the name, a key or a value — each
/// case names the kind of component and the component.
public enum SpecificationError: Error, Equatable, CustomStringConvertible {
    /// Text that is not `name` or `name:key=value,key=value` (see `ComponentSpecification`).
    case malformed(String, kind: String, reason: String)
    /// A name no component of the kind answers to.
    case unknownName(String, kind: String, known: [String])
    /// A key the component does not take.
    case unknownParameter(String, kind: String, component: String, valid: [String])
    /// A value that does not parse, or is out of range.
    case invalidValue(String, value: String, kind: String, component: String, reason: String)

    public var description: String {
        switch self {
        case let .malformed(text, kind, reason):
            return "\(kind) '\(text)': \(reason) (expected name or name:key=value,key=value)"
        case let .unknownName(name, kind, known):
            return "unknown \(kind) '\(name)'; known: \(known.joined(separator: ", "))"
        case let .unknownParameter(key, kind, component, valid):
            return "\(kind) '\(component)' has no parameter '\(key)'; "
                + (valid.isEmpty ? "it takes none" : "valid: \(valid.joined(separator: ", "))")
        case let .invalidValue(key, value, kind, component, reason):
            return "\(kind) '\(component)': \(key)=\(value): \(reason)"
        }
    }
}
