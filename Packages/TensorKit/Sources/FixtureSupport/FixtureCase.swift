import Foundation
import TensorKit

/// The repository's `Fixtures/recurrent-gpt2`: numeric cases computed by the PyTorch reference.
public let fixturesRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/recurrent-gpt2")

/// A fixture case that a file does not describe as the tests expect: names the file and the item.
public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// One fixture case: the model folder (`config.json`, `model.safetensors`), its batch and the
/// reference's scalars (`case.json`, or another file of the folder describing a batch the same
/// way, such as `length-halting.json`), and its tensors (`expected.safetensors`).
public struct FixtureCase {
    /// Every case in the fixtures folder.
    public static let names = ["learned-r3", "nope-inject-r4", "sinusoidal-r2"]

    public let name: String
    public let folder: URL
    /// The JSON file the batch and scalars were read from.
    public let file: URL
    public let json: [String: Any]
    public let expected: SafeTensorsArchive
    /// The batch: token ids right-padded to one length, 1 for a token and 0 for padding.
    public let ids: [[Int]]
    public let attentionMask: [[Int]]
    /// Each example's number of tokens.
    public let lengths: [Int]
    /// The reference's `--pred_pos`, where the answer is read.
    public let predictionPositionName: String
    public init(_ name: String, file fileName: String = "case.json") throws {
        self.name = name
        folder = fixturesRoot.appendingPathComponent(name)
        let file = folder.appendingPathComponent(fileName)
        self.file = file
        guard let json = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any] else {
            throw FixtureError(description: "\(file.path): not a JSON object")
        }
        self.json = json
        expected = try SafeTensorsArchive(contentsOf: folder.appendingPathComponent("expected.safetensors"))
        func field<T>(_ key: String) throws -> T {
            guard let value = json[key] as? T else {
                throw FixtureError(description: "\(file.path): '\(key)' is \(json[key] == nil ? "missing" : "not a \(T.self)")")
            }
            return value
        }
        ids = try field("input_ids")
        attentionMask = try field("attention_mask")
        lengths = try field("input_lengths")
        predictionPositionName = try field("pred_pos")
        guard !ids.isEmpty, ids.allSatisfy({ $0.count == ids[0].count }), attentionMask.map(\.count) == ids.map(\.count),
              lengths.count == ids.count else {
            throw FixtureError(description: "\(file.path): input_ids, attention_mask and input_lengths do not describe one batch")
        }
    }

    /// The length every example is padded to.
    public var paddedLength: Int { ids[0].count }

    /// Each example's answer token.
    public var targets: [Int] {
        get throws {
            let targets: [Int] = try section("targets")
            guard targets.count == ids.count else {
                throw FixtureError(description: "\(file.path): \(targets.count) targets for \(ids.count) examples")
            }
            return targets
        }
    }
    /// The targets as the loss reads them.
    public var labels: IDTensor { get throws { IDTensor(try targets) } }
    /// The recurrence the expected logits and gradients were computed at.
    public var recurrence: Int { get throws { try section("recurrence") } }

    /// The batch's ids and mask as tensors `[B, T]`.
    public var idTensor: IDTensor { IDTensor(shape: [ids.count, paddedLength], ids: ids.flatMap { $0 }) }
    public var maskTensor: Tensor { Tensor(shape: [ids.count, paddedLength], scalars: attentionMask.flatMap { $0.map(Float.init) }) }

    /// The reference's losses by name (`loss`, `loss_ls0.1`, …).
    public var losses: [String: Double] { get throws { try section("losses") } }
    /// The reference's halting decisions, one entry per policy.
    public var halting: [[String: Any]] { get throws { try section("halting") } }
    /// The reference's logit margins.
    public var margins: [String: Any] { get throws { try section("margins") } }

    func section<T>(_ key: String) throws -> T {
        guard let value = json[key] as? T else {
            throw FixtureError(description: "\(file.path): '\(key)' is \(json[key] == nil ? "missing" : "not a \(T.self)")")
        }
        return value
    }
}
