import Foundation
import KnowledgeGraph
import RecurrentDepth

/// `bridge-lens`: the logit lens aimed at the entities a multi-hop question passes through. For a
/// 2-hop question `e r1 r2` the bridge is `r1(e)`; a k-hop chain has k − 1 of them. Each is found
/// from the atomic facts of the training split, and its probability and rank are read through the
/// lens after every layer of every recurrence step — the mechanistic evidence that a looped model
/// resolves one hop per iteration (the bridge decodable early, the answer later), and how that
/// changes once a model generalizes out of distribution (run it on checkpoints before and after).
/// Each entity is read either where the model answers or at the token of the relation that leads to
/// it (`at=relation`: the bridge of `e r1 r2` at `r1`, where the prefix `e r1` is its own atomic fact).
public struct BridgeLensProbe: RegisteredProbe {
    /// Where each entity of the chain is read.
    public enum Reading: String, Codable, Sendable, CaseIterable {
        /// The monitored position (`position`): where the model answers.
        case answer
        /// The position of the relation token that leads to the entity.
        case relation
    }

    public static let description = ComponentDescription(
        name: "bridge-lens",
        summary: "probability and rank of each intermediate entity of multi-hop questions (the bridge of a 2-hop one) after every layer of every recurrence step",
        parameters: [
            ParameterSpec("splits", default: "", "test types to measure, comma-separated (default: every type with questions of 2 or more hops)"),
            ParameterSpec("facts", default: "train", "the dataset file whose 1-hop examples are the atomic facts that resolve each chain"),
            ParameterSpec("iterations", default: "", "recurrence steps to run (default: the max-iterations option)"),
            ParameterSpec("position", default: "pred_pos", "pred_pos or first_pad (see logit-margin)"),
            ParameterSpec("at", default: "answer", "answer (read every entity at `position`) or relation (each at the token of the relation leading to it)"),
            ParameterSpec("sample", default: "0", "examples per split, drawn with a fixed seed (0: all)"),
        ])

    public var name: String { Self.description.name }
    public var splits: [String]
    public var factsFile: String
    public var iterations: Int?
    public var position: MonitoredPosition
    public var reading: Reading
    public var sampleSize: Int

    public init(splits: [String] = [], factsFile: String = "train", iterations: Int? = nil,
                position: MonitoredPosition = .predictionPosition, reading: Reading = .answer, sampleSize: Int = 0) {
        self.splits = splits
        self.factsFile = factsFile
        self.iterations = iterations
        self.position = position
        self.reading = reading
        self.sampleSize = sampleSize
    }

    public init(parameters p: Parameters) throws {
        let facts = p.string("facts")
        guard !facts.isEmpty else {
            throw AnalysisError.invalidParameter("facts", probe: Self.description.name, value: facts, reason: "name a dataset file (train)")
        }
        self.init(splits: p.list("splits"), factsFile: facts, iterations: try p.optionalNumber("iterations", in: 1...100_000),
                  position: MonitoredPosition(rawValue: try p.choice("position", among: MonitoredPosition.allCases.map(\.rawValue)))!,
                  reading: Reading(rawValue: try p.choice("at", among: Reading.allCases.map(\.rawValue)))!,
                  sampleSize: try p.optionalNumber("sample", in: 0...Int.max) ?? 0)
    }

    /// One split's lens for each entity of its chains: `entities[j]` is the entity reached after
    /// hop j + 1, the last one the answer.
    public struct ChainLens: Codable, Equatable, Sendable {
        public var hops: Int
        /// Questions measured (resolved by the atomic facts and of `hops` hops).
        public var count: Int
        /// Questions left out: a fact of the chain is not among the atomic facts, or the split
        /// mixes hop counts and the question is not of the most common one.
        public var unresolved: Int
        public var entities: [SplitLens]
    }

    public struct ModelChains: Codable, Equatable, Sendable {
        public var label: String
        public var splits: [String: ChainLens]
    }

    public struct Result: Codable, Equatable, Sendable {
        public var iters: Int
        public var position: MonitoredPosition
        public var at: Reading
        public var modelOrder: [String]
        public var splitOrder: [String]
        public var models: [String: ModelChains]

        enum CodingKeys: String, CodingKey {
            case iters, position, at, models
            case modelOrder = "model_order", splitOrder = "split_order"
        }
    }

    /// The atomic facts `(head, relation) → tail` of the examples of one hop.
    public static func atomicFacts(_ split: Split) -> [Int64: Int32] {
        var facts: [Int64: Int32] = [:]
        for example in split.examples where example.hops == 1 {
            facts[factKey(example.inputIDs[0], example.inputIDs[1])] = example.label
        }
        return facts
    }

    static func factKey(_ head: Int32, _ relation: Int32) -> Int64 { Int64(head) << 32 | Int64(UInt32(bitPattern: relation)) }

    /// The entities a chain `e r1 … rk` passes through, `r1(e)` … `rk(…)`, or nil when a fact is
    /// missing or the last one disagrees with the example's answer.
    public static func chain(of example: Example, facts: [Int64: Int32]) -> [Int32]? {
        var entity = example.inputIDs[0], path: [Int32] = []
        for relation in example.inputIDs.dropFirst() {
            guard let next = facts[factKey(entity, relation)] else { return nil }
            path.append(next)
            entity = next
        }
        return entity == example.label ? path : nil
    }

    public func measure(_ context: ProbeContext) throws -> Result {
        let models = try context.requireModels(probe: name)
        guard let dataset = context.dataset else {
            throw AnalysisError.missingInput("a dataset whose \(factsFile) file holds the atomic facts", probe: name)
        }
        let facts = Self.atomicFacts(try dataset.split(factsFile))
        guard !facts.isEmpty else {
            throw AnalysisError.missingInput("atomic facts (1-hop examples) in \(factsFile).json of \(dataset.directory.path)", probe: name)
        }
        var chosen = try context.selectSplits(splits, probe: name)
        if splits.isEmpty { chosen = chosen.filter { ($0.split.hopCounts.max() ?? 0) >= 2 } }
        guard !chosen.isEmpty else { throw AnalysisError.missingInput("a test type of 2 or more hops", probe: name) }
        let iters = iterations ?? context.options.maxIterations
        var result = Result(iters: iters, position: position, at: reading, modelOrder: models.map(\.name), splitOrder: chosen.map(\.type), models: [:])

        // Each split's questions of its most common hop count, with the entities each passes through.
        var resolved: [String: (hops: Int, examples: [Example], paths: [[Int32]], unresolved: Int)] = [:]
        for (type, split) in chosen {
            let examples = sample(split, sampleSize).examples
            let hops = Dictionary(grouping: examples, by: \.hops).max { a, b in (a.value.count, b.key) < (b.value.count, a.key) }?.key ?? 0
            guard hops >= 2 else {
                throw AnalysisError.invalidParameter("splits", probe: name, value: type, reason: "its questions are atomic facts, with no entity in between")
            }
            var kept: [Example] = [], paths: [[Int32]] = []
            for example in examples where example.hops == hops {
                if let path = Self.chain(of: example, facts: facts) { kept.append(example); paths.append(path) }
            }
            resolved[type] = (hops, kept, paths, examples.count - kept.count)
        }

        for probeModel in models {
            let model = try probeModel.load()
            var entry = ModelChains(label: probeModel.label, splits: [:])
            for (type, _) in chosen {
                let r = resolved[type]!
                var entities: [SplitLens] = []
                for j in 0..<r.hops {
                    // The same questions, the lens aimed at the entity after hop j + 1.
                    let aimed = Split(name: type, examples: zip(r.examples, r.paths).map { example, path in
                        var e = example
                        e.label = path[j]
                        return e
                    })
                    var accumulator = LensAccumulator(iterations: iters, layers: model.blocks.count)
                    if !aimed.isEmpty {
                        try forEachBatch(of: aimed, model: probeModel, context: context, position: position) { input, labels in
                            var input = input
                            // Relation j + 1 is token j + 1: the input is the head entity, then the relations.
                            if reading == .relation { input.positions = Array(repeating: j + 1, count: input.positions.count) }
                            try accumulator.add(model, input: input, targets: labels)
                        }
                    }
                    entities.append(accumulator.result)
                }
                entry.splits[type] = ChainLens(hops: r.hops, count: r.examples.count, unresolved: r.unresolved, entities: entities)
            }
            result.models[probeModel.name] = entry
        }
        return result
    }

    /// "bridge" for the one entity between a 2-hop question and its answer, "hop j entity" for
    /// longer chains, "answer" for the last.
    static func entityLabel(_ j: Int, hops: Int) -> String {
        if j == hops - 1 { return "answer" }
        return hops == 2 ? "bridge" : "entity after hop \(j + 1)"
    }

    /// One panel per model and split; one line per entity of the chain over block applications.
    public func figures(for result: Result) throws -> [Figure] {
        func chart(_ title: String, _ yLabel: String, _ scale: AxisScale, _ domain: ClosedRange<Double>?,
                   _ pick: (SplitLens) -> [[Double]]) -> LineChart {
            var panels: [ChartPanel] = [], depth = 2
            for key in result.modelOrder {
                guard let model = result.models[key] else { continue }
                for split in result.splitOrder {
                    guard let chain = model.splits[split] else { continue }
                    var panel = ChartPanel(title: "\(model.label) · \(displayLabel(forSplit: split))", series: [])
                    for (j, lens) in chain.entities.enumerated() {
                        let values = pick(lens).flatMap { $0 }
                        depth = max(depth, values.count)
                        panel.series.append(LineSeries(label: Self.entityLabel(j, hops: chain.hops), x: (1...max(values.count, 1)).map(Double.init),
                                                       y: values, color: Palette.color(j), markers: values.count <= 64))
                        if j == 0, lens.iterations <= 32 {
                            panel.lines = (1...max(lens.iterations, 1)).map {
                                ReferenceLine(axis: .x, value: Double($0 * lens.layers), color: "#bbbbbb", dashed: false, role: "step-end")
                            }
                        }
                    }
                    panels.append(panel)
                }
            }
            return LineChart(title: title, xLabel: "Block applications (recurrence step × layers; grey lines end each step)", yLabel: yLabel,
                             yScale: scale, xDomain: 1...Double(depth), yDomain: domain, panels: panels,
                             columns: min(2, max(panels.count, 1)), legend: LineChart.seriesLegend(panels))
        }
        return [
            try Figure(name: "bridge-lens-probability", chart: chart("Bridge lens: probability of each entity of the chain", "Mean probability",
                                                                     .linear, -0.02...1.02, \.targetProbability)),
            try Figure(name: "bridge-lens-rank", chart: chart("Bridge lens: rank of each entity of the chain", "Mean rank (1 = argmax)",
                                                              .log, nil, \.targetRank)),
        ]
    }
}
