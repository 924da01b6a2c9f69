import Foundation

/// `dataset.json`: which generator wrote a dataset, with which parameters (the seed among them),
/// and which version of this package — enough to regenerate it exactly.
public struct DatasetManifest: Codable, Equatable, Sendable {
    public static let fileName = "dataset.json"

    public enum Parameters: Equatable, Sendable {
        case depthExtrapolation(DepthExtrapolationGenerator.Parameters)
        case systematicity(SystematicityGenerator.Parameters)
        case addition(AdditionGenerator.Parameters)
        case induction(InductionGenerator.Parameters)
        case assignment(AssignmentGenerator.Parameters)
    }

    /// `depth-extrapolation`, `systematicity`, `addition`, `induction` or `assignment`.
    public var generator: String { parameters.generatorName }
    public var seed: UInt64 {
        switch parameters {
        case .depthExtrapolation(let p): return p.seed
        case .systematicity(let p): return p.seed
        case .addition(let p): return p.seed
        case .induction(let p): return p.seed
        case .assignment(let p): return p.seed
        }
    }
    public var parameters: Parameters
    public var version: String

    public init(parameters: Parameters, version: String = KnowledgeGraphVersion.current) {
        self.parameters = parameters
        self.version = version
    }

    /// Runs the generator again with the recorded parameters.
    public func regenerate() throws -> GeneratedDataset {
        switch parameters {
        case .depthExtrapolation(let p): return try DepthExtrapolationGenerator(parameters: p).generate()
        case .systematicity(let p): return try SystematicityGenerator(parameters: p).generate()
        case .addition(let p): return try AdditionGenerator(parameters: p).generate()
        case .induction(let p): return try InductionGenerator(parameters: p).generate()
        case .assignment(let p): return try AssignmentGenerator(parameters: p).generate()
        }
    }

    private enum CodingKeys: String, CodingKey {
        case generator, seed, parameters
        case version = "knowledgegraph_version"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let generator = try c.decode(String.self, forKey: .generator)
        switch generator {
        case DepthExtrapolationGenerator.name:
            parameters = .depthExtrapolation(try c.decode(DepthExtrapolationGenerator.Parameters.self, forKey: .parameters))
        case SystematicityGenerator.name:
            parameters = .systematicity(try c.decode(SystematicityGenerator.Parameters.self, forKey: .parameters))
        case AdditionGenerator.name:
            parameters = .addition(try c.decode(AdditionGenerator.Parameters.self, forKey: .parameters))
        case InductionGenerator.name:
            parameters = .induction(try c.decode(InductionGenerator.Parameters.self, forKey: .parameters))
        case AssignmentGenerator.name:
            parameters = .assignment(try c.decode(AssignmentGenerator.Parameters.self, forKey: .parameters))
        default:
            throw DecodingError.dataCorruptedError(forKey: .generator, in: c, debugDescription: "unknown generator \(generator)")
        }
        version = try c.decodeIfPresent(String.self, forKey: .version) ?? "unknown"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(generator, forKey: .generator)
        try c.encode(version, forKey: .version)
        try c.encode(seed, forKey: .seed)
        switch parameters {
        case .depthExtrapolation(let p): try c.encode(p, forKey: .parameters)
        case .systematicity(let p): try c.encode(p, forKey: .parameters)
        case .addition(let p): try c.encode(p, forKey: .parameters)
        case .induction(let p): try c.encode(p, forKey: .parameters)
        case .assignment(let p): try c.encode(p, forKey: .parameters)
        }
    }

    public static func load(from url: URL) throws -> DatasetManifest {
        try decode(FileBytes.read(url), file: url.path)
    }

    /// A manifest from the bytes of a `dataset.json`; `file` names the source in errors.
    static func decode(_ data: Data, file: String) throws -> DatasetManifest {
        do {
            return try JSONDecoder().decode(DatasetManifest.self, from: data)
        } catch {
            throw KnowledgeGraphError.unreadableFile(file: file, reason: "not a dataset manifest: \(error)")
        }
    }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(self)) + [UInt8(ascii: "\n")]
    }
}

extension DatasetManifest.Parameters {
    var generatorName: String {
        switch self {
        case .depthExtrapolation: return DepthExtrapolationGenerator.name
        case .systematicity: return SystematicityGenerator.name
        case .addition: return AdditionGenerator.name
        case .induction: return InductionGenerator.name
        case .assignment: return AssignmentGenerator.name
        }
    }
}
