import Foundation
import TensorKit

/// A checkpoint is a folder: `config.json` (the model's config under the reference's keys),
/// `model.safetensors` (weights in the reference's names, the tied `lm_head.weight` not stored)
/// and, for a training run, the trainer's files beside them. A folder is written whole and flushed
/// into a temporary sibling and then exchanged with the old one (`DurableWrite`), so a reader, or a
/// run killed at any instant, never sees half a checkpoint.
public enum Checkpoint {
    public static let configFile = "config.json"
    public static let modelFile = "model.safetensors"

    /// Writes `model` (and any `extraFiles`, by file name) as the folder `folder`, replacing it atomically.
    public static func write(_ model: RecurrentGPT2, to folder: URL, extraFiles: [String: Data] = [:]) throws {
        var files = extraFiles
        files[configFile] = try encodeJSON(model.config)
        var archive = SafeTensorsArchive(metadata: ["format": "pt"])
        for (name, tensor) in model.namedParameters { archive.set(name, tensor) }
        files[modelFile] = Data(archive.serialized())
        try DurableWrite.writeFolder(files, to: folder)
    }

    /// The model stored in `folder`, checked against its own config.
    public static func readModel(from folder: URL) throws -> RecurrentGPT2 {
        let config = try readConfig(from: folder)
        let file = folder.appendingPathComponent(modelFile)
        guard FileManager.default.fileExists(atPath: file.path) else { throw RecurrentDepthError.missingFile(file.path) }
        let archive: SafeTensorsArchive
        do { archive = try SafeTensorsArchive(contentsOf: file) } catch {
            throw RecurrentDepthError.unreadableFile(file.path, reason: "\(error)")
        }
        var weights: [String: Tensor] = [:]
        for name in archive.entries.keys {
            do { weights[name] = try archive.tensor(name) } catch {
                throw RecurrentDepthError.unreadableFile(file.path, reason: "tensor '\(name)': \(error)")
            }
        }
        return try RecurrentGPT2(config: config, weights: weights, source: file.path)
    }

    public static func readConfig(from folder: URL) throws -> ModelConfig {
        let file = folder.appendingPathComponent(configFile)
        let config = try decodeJSON(ModelConfig.self, from: file)
        let problems = config.problems
        if !problems.isEmpty { throw RecurrentDepthError.invalidConfig(file.path, problems: problems) }
        return config
    }

    // MARK: - Files

    public static func encodeJSON<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try encoder.encode(value)
    }

    /// Decodes a JSON file, turning a missing file or a decoding failure into a message that
    /// names the file and the key path.
    public static func decodeJSON<T: Decodable>(_ type: T.Type, from file: URL) throws -> T {
        guard let data = FileManager.default.contents(atPath: file.path) else { throw RecurrentDepthError.missingFile(file.path) }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        do { return try decoder.decode(type, from: data) } catch let error as DecodingError {
            throw RecurrentDepthError.unreadableFile(file.path, reason: describe(error))
        } catch {
            throw RecurrentDepthError.unreadableFile(file.path, reason: "\(error)")
        }
    }

    public static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.isEmpty ? "the top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .keyNotFound(key, context): return "missing key '\(key.stringValue)' at \(path(context.codingPath))"
        case let .typeMismatch(_, context), let .valueNotFound(_, context):
            return "wrong type at \(path(context.codingPath)): \(context.debugDescription)"
        case let .dataCorrupted(context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return "not valid JSON at \(path(context.codingPath)): \(underlying ?? context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
