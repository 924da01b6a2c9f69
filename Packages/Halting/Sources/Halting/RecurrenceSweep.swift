import Foundation
import KnowledgeGraph
import TensorKit
import RecurrentDepth

/// Accuracy per test type for every recurrence r in a range ("Loop, Think & Generalize": deeper
/// chains need more steps, and past the trained depth accuracy falls again). One forward pass per
/// batch runs to the largest r and reads every step's monitored logits through the observer seam,
/// so r = 1 ... R cost R steps, not R(R + 1)/2.
public struct RecurrenceSweep {
    public let recurrences: ClosedRange<Int>

    public init(recurrences: ClosedRange<Int>) throws {
        guard recurrences.lowerBound >= 1 else {
            throw HaltingError.invalidSetting("sweep recurrences must start at 1 or more, got \(recurrences)")
        }
        self.recurrences = recurrences
    }

    /// The argmax answer of every example after each r in the range: `answers[r − lowerBound][b]`.
    public func answers(_ input: ModelInput, model: RecurrentGPT2) throws -> [[Int32]] {
        let observer = SweepObserver(recurrences: recurrences)
        _ = try withoutGrad { try model.run(input, recurrence: recurrences.upperBound, observer: observer) }
        return observer.answers
    }

    /// Sweeps `split` one test type at a time.
    public func evaluate(_ model: RecurrentGPT2, split: Split, batchSize: Int, padding: Padding, truncate: Bool = false,
                         predictionPosition: PredictionPosition, config: [String: ReportValue] = [:]) throws -> SweepReport {
        guard batchSize >= 1 else { throw HaltingError.invalidSetting("batch size must be at least 1, got \(batchSize)") }
        var correct: [String: [Int]] = [:], counts: [String: Int] = [:], types: [String] = []
        // Each example is read where training reads it, though types are batched apart.
        let typePadding = predictionPosition.evaluationPadding(padding, split: split)
        for (type, group) in split.groupedByType() {
            types.append(type)
            var hits = Array(repeating: 0, count: recurrences.count)
            let batcher = try Batcher(examples: group.examples, batchSize: batchSize, padding: typePadding, truncate: truncate)
            for batch in batcher.batches() {
                let perStep = try answers(ModelInput(batch, predictionPosition: predictionPosition), model: model)
                for (k, answers) in perStep.enumerated() {
                    for i in 0..<batch.size where answers[i] == batch.labels[i] { hits[k] += 1 }
                }
            }
            correct[type] = hits
            counts[type] = group.count
        }
        var accuracy: [Int: [String: Double]] = [:]
        for (k, r) in recurrences.enumerated() {
            accuracy[r] = Dictionary(uniqueKeysWithValues: types.map { ($0, counts[$0]! == 0 ? 0 : 100 * Double(correct[$0]![k]) / Double(counts[$0]!)) })
        }
        var settings: [String: ReportValue] = [
            "min_recurrence": .int(recurrences.lowerBound), "max_recurrence": .int(recurrences.upperBound),
            "batch_size": .int(batchSize), "pred_pos": .string(predictionPosition.rawValue), "split": .string(split.name),
            "halting_version": .string(HaltingVersion.current),
        ]
        if case let .fixed(n) = padding { settings["max_len"] = .int(n) } else { settings["padding"] = .string("longest") }
        settings.merge(config) { $1 }
        return SweepReport(types: types, counts: counts, accuracyPerRecurrence: accuracy, config: settings)
    }
}

/// Records the argmax at the monitored position after each step in the range; never stops anyone.
final class SweepObserver: RecurrenceObserver {
    var readsMonitoredPositionsOnly: Bool { true }
    let recurrences: ClosedRange<Int>
    var answers: [[Int32]] = []

    init(recurrences: ClosedRange<Int>) { self.recurrences = recurrences }

    func recurrenceDidFinish(_ step: RecurrenceStep) -> Set<Int> {
        if recurrences.contains(step.index + 1) { answers.append(step.monitoredLogits().argmax(axis: -1).ids) }
        return []
    }
}

/// A sweep's result: accuracy in percent per r and test type. JSON: `accuracy_per_recurrence`
/// (r → test type → percent, r as a string key as Python's json writes int keys) and `config`.
public struct SweepReport: Codable, Equatable {
    /// In the split's order.
    public var types: [String]
    public var counts: [String: Int]
    public var accuracyPerRecurrence: [Int: [String: Double]]
    public var config: [String: ReportValue]

    public init(types: [String], counts: [String: Int], accuracyPerRecurrence: [Int: [String: Double]], config: [String: ReportValue]) {
        self.types = types
        self.counts = counts
        self.accuracyPerRecurrence = accuracyPerRecurrence
        self.config = config
    }

    public var recurrences: [Int] { accuracyPerRecurrence.keys.sorted() }

    enum CodingKeys: String, CodingKey {
        case accuracyPerRecurrence = "accuracy_per_recurrence"
        case countPerType = "count_per_type"
        case config
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Dictionary(uniqueKeysWithValues: accuracyPerRecurrence.map { (String($0.key), $0.value) }), forKey: .accuracyPerRecurrence)
        try c.encode(counts, forKey: .countPerType)
        try c.encode(config, forKey: .config)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let raw = try c.decode([String: [String: Double]].self, forKey: .accuracyPerRecurrence)
        var accuracy: [Int: [String: Double]] = [:]
        for (key, value) in raw {
            guard let r = Int(key) else {
                throw DecodingError.dataCorruptedError(forKey: .accuracyPerRecurrence, in: c, debugDescription: "'\(key)' is not a recurrence")
            }
            accuracy[r] = value
        }
        accuracyPerRecurrence = accuracy
        counts = try c.decodeIfPresent([String: Int].self, forKey: .countPerType) ?? [:]
        types = Set(accuracy.values.flatMap(\.keys)).sorted()
        config = try c.decodeIfPresent([String: ReportValue].self, forKey: .config) ?? [:]
    }

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    public func write(to url: URL) throws {
        do { try jsonData().write(to: url, options: .atomic) } catch {
            throw HaltingError.writeFailed(url.path, reason: error.localizedDescription)
        }
    }

    /// Rows r, columns test types, accuracy in percent.
    public func table() -> String {
        let width = max(8, (types.map(\.count).max() ?? 0) + 2)
        var lines = [lpad("r", 4) + types.map { lpad($0, width) }.joined()]
        for r in recurrences {
            lines.append(lpad(String(r), 4) + types.map { lpad(fixed(accuracyPerRecurrence[r]?[$0] ?? 0, 1), width) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}
