import Foundation
import KnowledgeGraph

/// A search space file (YAML, or JSON for a `.json` name) expanded into the training runs it asks
/// for: every setting once per seed. What `loop sweep` runs, and what `sweep.json` records.
///
///     name: lr-by-decay            # optional; titles the results
///     base:                        # any `loop train` config key, as in --config or run.json
///       data: data/perm
///       d: 64
///       max_steps: 3000
///     grid:                        # every combination of these values
///       lr: [0.001, 0.003]
///       weight_decay: [0.1, 1]
///     seeds: [1, 2, 3]             # or `seeds: 3` for 1, 2, 3; default: base's seed alone
///
/// or, instead of `grid:`, settings drawn at random:
///
///     random:
///       samples: 8                 # settings drawn (with replacement)
///       seed: 0                    # seeds the draws, not training (default 0)
///       lr: {min: 1e-4, max: 1e-2, log: true}   # a range: uniform, or log-uniform with log: true
///       d: [32, 64]                # a list: one of its values
///
/// Grid keys combine in alphabetical order, the last varying fastest. A range gives integers when
/// `min` and `max` are integers, else reals rounded to 4 significant digits. Draws go sample by
/// sample, so a larger `samples` with the same `seed` keeps the earlier settings. Every setting
/// is resolved when the file is read, so a bad value stops the sweep before any training.
public struct Sweep: Codable, Equatable {
    /// The file the space was read from.
    public let space: String
    public let name: String?
    /// The training seeds each setting runs with.
    public let seeds: [UInt64]
    /// The keys `grid:` or `random:` set, sorted: what tells the settings apart.
    public let varied: [String]
    /// Setting by setting, seed by seed: `points[i]` is what `loop sweep run --index i` trains.
    public let points: [SweepPoint]

    /// The number of settings (points per seed).
    public var settingCount: Int { seeds.isEmpty ? 0 : points.count / seeds.count }

    static let topKeys = ["base", "grid", "name", "random", "seeds"]

    /// Reads and expands the space in `path`; errors name the file, the key and the problem.
    public init(contentsOf path: String) throws {
        try self.init(mapping: RunSettings.readMapping(path, of: "sweep keys (\(Self.topKeys.joined(separator: ", ")))"), source: path)
    }

    init(mapping top: [String: Any], source: String) throws {
        func fail(_ message: String) -> CLIError { CLIError("\(source): \(message)") }
        if let unknown = top.keys.sorted().first(where: { !Self.topKeys.contains($0) }) {
            throw fail("unknown key '\(unknown)'; valid: \(Self.topKeys.joined(separator: ", "))")
        }
        space = source
        if let value = top["name"], !(value is String) { throw fail("name: expected a string") }
        name = top["name"] as? String

        guard let baseGiven = top["base"].map({ $0 as? [String: Any] }) ?? [:] else {
            throw fail("base: expected a mapping of `loop train` settings")
        }
        let base = try RunSettings().overlaid(with: baseGiven, source: "\(source): base")
        if top["seeds"] != nil, baseGiven["seed"] != nil {
            throw fail("base.seed: the training seeds come from 'seeds:'; give one or the other")
        }
        seeds = try top["seeds"].map { try Self.seeds($0, fail: fail) } ?? [base.seed]

        if top["grid"] != nil && top["random"] != nil { throw fail("give grid: or random:, not both") }
        let choices: [[String: Any]]
        if let grid = top["grid"] {
            choices = try Self.grid(grid, base: base, source: source)
        } else if let random = top["random"] {
            choices = try Self.random(random, base: base, source: source)
        } else {
            choices = [[:]]
        }
        varied = Set(choices.flatMap(\.keys)).sorted()

        var points: [SweepPoint] = []
        let digits = max(3, String(max(choices.count - 1, 0)).count)
        for (index, given) in choices.enumerated() {
            let settings = try base.overlaid(with: given, source: "\(source): setting \(index)")
            let label = try Self.label(settings, varied: varied)
            do { try settings.check() } catch { throw fail("setting \(index) (\(label)): \(error)") }
            if settings.data.isEmpty { throw fail("no 'data' in base: the dataset folder the runs train on") }
            let number = String(repeating: "0", count: max(0, digits - String(index).count)) + String(index)
            for seed in seeds {
                var seeded = settings
                seeded.seed = seed
                points.append(SweepPoint(index: points.count, setting: index, seed: seed, folder: "setting-\(number)-seed-\(seed)",
                                         label: label, settings: seeded))
            }
        }
        self.points = points
    }

    /// `seeds: N` (1...N) or `seeds: [a, b, …]` (distinct, non-negative).
    private static func seeds(_ value: Any, fail: (String) -> CLIError) throws -> [UInt64] {
        if case let .integer(count) = Scalar(value) {
            guard count >= 1 else { throw fail("seeds: \(count): expected a count of at least 1 or a list of seeds") }
            return (1...count).map(UInt64.init)
        }
        guard let list = value as? [Any], !list.isEmpty else { throw fail("seeds: expected a count or a non-empty list of seeds") }
        let seeds = try list.enumerated().map { i, item -> UInt64 in
            guard case let .integer(seed) = Scalar(item), seed >= 0 else { throw fail("seeds[\(i)]: \(item): expected a non-negative integer") }
            return UInt64(seed)
        }
        if let repeated = seeds.first(where: { seed in seeds.filter { $0 == seed }.count > 1 }) { throw fail("seeds: \(repeated) is listed twice") }
        return seeds
    }

    /// The keys of a `grid:` or `random:` mapping, each a setting other than the seed.
    private static func settingKeys(_ mapping: [String: Any], in section: String, source: String) throws -> [String] {
        let keys = mapping.keys.sorted()
        for key in keys {
            if key == "seed" { throw CLIError("\(source): \(section).seed: the training seeds come from 'seeds:'") }
            if !RunSettings.keys.contains(key) {
                throw CLIError("\(source): \(section): unknown setting '\(key)'; valid: \(RunSettings.keys.sorted().joined(separator: ", "))")
            }
        }
        return keys
    }

    /// A list of a key's values, each checked against the setting's type.
    private static func values(_ value: Any, key: String, section: String, base: RunSettings, source: String) throws -> [Any] {
        guard let list = value as? [Any], !list.isEmpty else {
            throw CLIError("\(source): \(section).\(key): expected a non-empty list of values" + (section == "random" ? " or a range {min, max}" : ""))
        }
        for (i, item) in list.enumerated() { _ = try base.overlaid(with: [key: item], source: "\(source): \(section).\(key)[\(i)]") }
        return list
    }

    /// Every combination of the grid's values, the last key varying fastest.
    private static func grid(_ value: Any, base: RunSettings, source: String) throws -> [[String: Any]] {
        guard let grid = value as? [String: Any], !grid.isEmpty else { throw CLIError("\(source): grid: expected a mapping of setting → list of values") }
        var combinations: [[String: Any]] = [[:]]
        for key in try settingKeys(grid, in: "grid", source: source) {
            let values = try values(grid[key]!, key: key, section: "grid", base: base, source: source)
            combinations = combinations.flatMap { combination in values.map { combination.merging([key: $0]) { $1 } } }
        }
        return combinations
    }

    /// `samples` settings, each key drawn in alphabetical order from its list or range.
    private static func random(_ value: Any, base: RunSettings, source: String) throws -> [[String: Any]] {
        guard var random = value as? [String: Any] else { throw CLIError("\(source): random: expected a mapping with samples, seed and setting → values or range") }
        func fail(_ message: String) -> CLIError { CLIError("\(source): random.\(message)") }
        guard case let .integer(samples)? = random.removeValue(forKey: "samples").map(Scalar.init), samples >= 1 else {
            throw fail("samples: expected the number of settings to draw (at least 1)")
        }
        let drawSeed = random.removeValue(forKey: "seed") ?? 0
        guard case let .integer(seed) = Scalar(drawSeed), seed >= 0 else { throw fail("seed: \(drawSeed): expected a non-negative integer") }
        guard !random.isEmpty else { throw fail("the settings to draw are missing (setting: [values] or setting: {min, max})") }
        let draws = try settingKeys(random, in: "random", source: source).map { key -> (String, Draw) in
            if let range = random[key] as? [String: Any] {
                return (key, try Draw(range: range, key: key, base: base, fail: fail))
            }
            return (key, .choice(try values(random[key]!, key: key, section: "random", base: base, source: source)))
        }
        var generator = SeededGenerator(seed: UInt64(seed))
        return (0..<samples).map { _ in
            var setting: [String: Any] = [:]
            for (key, draw) in draws { setting[key] = draw.sample(&generator) }
            return setting
        }
    }

    /// How one key of `random:` is drawn; uses only the generator's raw bits, so a seed draws the
    /// same settings on every platform and Swift version.
    private enum Draw {
        case choice([Any])
        case integers(Int, Int, log: Bool)
        case reals(Double, Double, log: Bool)

        init(range: [String: Any], key: String, base: RunSettings, fail: (String) -> CLIError) throws {
            if let unknown = range.keys.sorted().first(where: { !["min", "max", "log"].contains($0) }) {
                throw fail("\(key): unknown range key '\(unknown)'; valid: min, max, log")
            }
            guard case let .bool(log) = Scalar(range["log"] ?? false) else { throw fail("\(key).log: expected true or false") }
            func number(_ name: String) throws -> Scalar {
                let value = range[name].map(Scalar.init)
                switch value {
                case .integer?, .real?: return value!
                default: throw fail("\(key).\(name): expected a number")
                }
            }
            switch (try number("min"), try number("max")) {
            case let (.integer(a), .integer(b)): self = .integers(a, b, log: log)
            case let (a, b): self = .reals(a.real!, b.real!, log: log)
            }
            let (a, b) = bounds
            guard a <= b else { throw fail("\(key): min (\(a)) exceeds max (\(b))") }
            if log && a <= 0 { throw fail("\(key): a log range needs min > 0 (got \(a))") }
            for (name, value) in [("min", sample(at: 0)), ("max", sample(at: 1))] {
                _ = try base.overlaid(with: [key: value], source: fail("\(key).\(name)").description)
            }
        }

        var bounds: (Double, Double) {
            switch self {
            case .choice: return (0, 0)
            case let .integers(a, b, _): return (Double(a), Double(b))
            case let .reals(a, b, _): return (a, b)
            }
        }

        func sample(_ generator: inout SeededGenerator) -> Any {
            let u = Double(generator.next() >> 11) * 0x1p-53  // uniform in [0, 1), from the top 53 bits
            if case let .choice(values) = self { return values[min(Int(u * Double(values.count)), values.count - 1)] }
            return sample(at: u)
        }

        /// The value at `u` in [0, 1] of the range, uniform or logarithmic.
        private func sample(at u: Double) -> Any {
            let (a, b) = bounds
            switch self {
            case .choice: return 0
            case let .integers(low, high, log):
                // Uniform: each of the high - low + 1 integers equally likely.
                let x = log ? exp(Foundation.log(a) + u * (Foundation.log(b) - Foundation.log(a))).rounded()
                            : (a + (u * (b - a + 1)).rounded(.down))
                return min(max(Int(x), low), high)
            case let .reals(_, _, log):
                let x = log ? exp(Foundation.log(a) + u * (Foundation.log(b) - Foundation.log(a))) : a + u * (b - a)
                return Double(String(format: "%.4g", min(max(x, a), b)))!
            }
        }
    }

    /// `key=value …` for the varied keys, as the resolved settings hold them ("base" when nothing varies).
    static func label(_ settings: RunSettings, varied: [String]) throws -> String {
        guard !varied.isEmpty else { return "base" }
        let mapping = try settings.mapping()
        return varied.map { "\($0)=\(mapping[$0].map(describe) ?? "default")" }.joined(separator: " ")
    }

    /// A setting's value as written in a config file: a string as it is, anything else as JSON.
    static func describe(_ value: Any) -> String {
        if case let .string(text) = Scalar(value) { return text }
        return (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]))
            .flatMap { String(data: $0, encoding: .utf8) } ?? "\(value)"
    }
}

/// One training run of a sweep: a setting with a seed, trained in `DIR/folder`.
public struct SweepPoint: Codable, Equatable {
    /// The point's position in the sweep (what `loop sweep run --index` takes).
    public let index: Int
    /// The setting's position (0-based); the points of a setting differ only in their seed.
    public let setting: Int
    public let seed: UInt64
    /// The run folder's name under the sweep's folder: `setting-003-seed-2`.
    public let folder: String
    /// The varied keys' values, `lr=0.001 weight_decay=1` (or `base`).
    public let label: String
    /// The run's settings: its run.json.
    let settings: RunSettings

    /// A setting's value as run.json holds it (nil when unset), e.g. `value("lr") as? Double`.
    public func value(_ key: String) -> Any? { (try? settings.mapping())?[key] }
}

/// A value read from a YAML or JSON file, by kind. JSON numbers arrive as NSNumber, which casts to
/// Int, Double and Bool alike, so the number's storage type tells them apart (Swift's own Int,
/// Double and Bool, as YAML gives them, bridge to the same storage types).
enum Scalar {
    case bool(Bool), integer(Int), real(Double), string(String), other

    init(_ value: Any) {
        if let text = value as? String { self = .string(text); return }
        guard let number = value as? NSNumber else { self = .other; return }
        switch String(cString: number.objCType) {
        case "c", "B": self = .bool(number.boolValue)
        case "d", "f": self = .real(number.doubleValue)
        default: self = .integer(number.intValue)
        }
    }

    /// A number as a real.
    var real: Double? {
        switch self {
        case let .integer(n): return Double(n)
        case let .real(x): return x
        default: return nil
        }
    }
}
