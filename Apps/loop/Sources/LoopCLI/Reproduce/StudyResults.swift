import Foundation

extension MeanStd {
    /// The statistics of `values`, or n 0 (mean 0) when there are none.
    static func of(_ values: [Double]) -> MeanStd {
        values.isEmpty ? MeanStd(mean: 0, std: nil, n: 0) : MeanStd(values)
    }
}

/// What one trained model (one arm, one seed) measured.
struct SeedRun: Codable, Equatable {
    let seed: UInt64
    /// How training ended (`loop train`'s summary line).
    let training: String
    let steps: Int
    let trainingMinutes: Double
    /// Accuracy (%) per test type at each inference recurrence of the sweep, in order.
    let sweep: [RecurrenceAccuracy]
    /// Adaptive halting: accuracy (%) and mean iterations per test type.
    let halting: [String: HaltingOutcome]?
    /// The grokking stages the run reached, where the study looks for them.
    var stages: [StageReached]? = nil

    /// The best accuracy over the sweep for `type`, and the smallest r reaching it.
    func best(_ type: String) -> (r: Int, accuracy: Double)? {
        sweep.compactMap { point in point.accuracy[type].map { (point.r, $0) } }.max { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 > $1.0) }
    }

    func accuracy(_ type: String, r: Int) -> Double? { sweep.first { $0.r == r }?.accuracy[type] }
}

struct RecurrenceAccuracy: Codable, Equatable {
    let r: Int
    let accuracy: [String: Double]
}

/// A grokking stage: the step of the first evaluation at its threshold and the checkpoint nearest it.
struct StageReached: Codable, Equatable {
    let stage: String
    let step: Int
    let checkpoint: String?
}

struct HaltingOutcome: Codable, Equatable {
    let accuracy: Double
    let meanIterations: Double
}

/// One arm of a study over its seeds.
struct ArmResults: Codable, Equatable {
    let name: String
    let label: String
    let seeds: [SeedRun]

    var recurrences: [Int] { Array(Set(seeds.flatMap { $0.sweep.map(\.r) })).sorted() }

    /// Accuracy of `type` at recurrence `r` over the seeds.
    func accuracy(_ type: String, r: Int) -> MeanStd {
        MeanStd.of(seeds.compactMap { $0.accuracy(type, r: r) })
    }

    /// The recurrence whose mean accuracy over the seeds is highest for `type` (the smallest on ties).
    func bestRecurrence(_ type: String) -> Int? {
        let means = recurrences.map { ($0, accuracy(type, r: $0).mean) }
        return means.max { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 > $1.0) }?.0
    }


    func halting(_ type: String) -> (accuracy: MeanStd, iterations: MeanStd)? {
        let outcomes = seeds.compactMap { $0.halting?[type] }
        guard !outcomes.isEmpty else { return nil }
        return (MeanStd.of(outcomes.map(\.accuracy)), MeanStd.of(outcomes.map(\.meanIterations)))
    }
}

/// Everything a study measured, written as `results.json` beside the report.
struct StudyResults: Codable, Equatable {
    let study: String
    let preset: String
    let seeds: [UInt64]
    let arms: [ArmResults]
    /// Test types the report tabulates.
    let types: [String]

    func arm(_ name: String) -> ArmResults? { arms.first { $0.name == name } }
}
