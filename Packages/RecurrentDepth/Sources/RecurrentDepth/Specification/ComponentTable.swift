/// What `loop list` shows for a component: its name, a one-line summary, and its parameters with
/// their defaults.
public struct ComponentDescription: Equatable, Sendable {
    public var name: String
    public var summary: String
    public var parameters: [ParameterSpec]

    public init(name: String, summary: String, parameters: [ParameterSpec] = []) {
        self.name = name
        self.summary = summary
        self.parameters = parameters
    }
}

/// A named component: its description and how to make it from its parameters.
public struct Component<Product> {
    public var description: ComponentDescription
    public var make: (Parameters) throws -> Product

    public init(_ description: ComponentDescription, make: @escaping (Parameters) throws -> Product) {
        self.description = description
        self.make = make
    }

    public init(name: String, summary: String, parameters: [ParameterSpec] = [], make: @escaping (Parameters) throws -> Product) {
        self.init(ComponentDescription(name: name, summary: summary, parameters: parameters), make: make)
    }

    public var name: String { description.name }
}

/// The components of one kind (recurrence schedules, halting policies, probes, backends) by name.
/// Each package that defines components offers a table of its own; an application merges them and
/// adds its own, and a third party registers theirs the same way.
public struct ComponentTable<Product> {
    /// What the components are (`"halting policy"`), for messages.
    public let kind: String
    public private(set) var components: [Component<Product>] = []

    public init(kind: String, components: [Component<Product>] = []) {
        self.kind = kind
        for component in components { register(component) }
    }

    /// Adds `component`, or replaces the one with its name.
    public mutating func register(_ component: Component<Product>) {
        components.removeAll { $0.name == component.name }
        components.append(component)
    }

    public var names: [String] { components.map(\.name) }
    public var descriptions: [ComponentDescription] { components.map(\.description) }

    /// Makes the component `specification` names (`name` or `name:key=value,key=value`, see
    /// `ComponentSpecification`), its parameters over their defaults. An unknown name or key, or a
    /// value the component cannot use, is a `SpecificationError` that says what is valid.
    public func make(_ specification: String) throws -> Product {
        let parsed = try ComponentSpecification(parsing: specification, kind: kind)
        return try make(parsed.name, parameters: parsed.values)
    }

    /// Makes the component registered as `name` with `parameters` over its defaults.
    public func make(_ name: String, parameters: [String: String]) throws -> Product {
        guard let component = components.first(where: { $0.name == name }) else {
            throw SpecificationError.unknownName(name, kind: kind, known: names)
        }
        return try component.make(Parameters(kind: kind, component: name, declared: component.description.parameters, given: parameters))
    }
}
