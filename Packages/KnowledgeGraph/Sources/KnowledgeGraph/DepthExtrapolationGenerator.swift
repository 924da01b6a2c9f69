/// The depth-extrapolation task: a permutation graph, whose relations are each a random
/// permutation of the entities, so every k-hop chain has exactly one answer and no shortcut.
///
/// - Atomic facts: `(e, r) → r(e)` for each entity `e` and each of its relations.
/// - Out-degree: each entity has `outDegree` of the `relations` (all of them when equal, the
///   reference's default; otherwise a random subset per entity). A relation is still a permutation
///   of all entities, but only an entity's own relations are facts or steps of a chain.
/// - k-hop chains: a uniformly random head and k steps, each a uniformly random relation of the
///   current entity. Chains are unique within a hop; the first `trainChainsPerHop` drawn are
///   training chains, the next `testChainsPerHop` test chains, so no test chain is trained on.
///
/// Files: `train.json` holds the atomic facts (`atomic`) and every hop's training chains
/// (`{k}hop_train`); `test.json` holds a sample of atomic facts (`atomic_facts`), and per hop a
/// sample of the training chains (`{k}hop_train`) and the test chains (`{k}hop_test`);
/// `test_small.json` and `valid.json` hold the first `smallTestPerType` items of each test type.
public struct DepthExtrapolationGenerator: DatasetGenerator {
    public static let name = "depth-extrapolation"

    public struct Parameters: Codable, Equatable, Sendable {
        public var entities: Int
        public var relations: Int
        /// Relations per entity (≤ `relations`).
        public var outDegree: Int
        public var minHops: Int
        public var maxHops: Int
        public var trainChainsPerHop: Int
        public var testChainsPerHop: Int
        /// Atomic facts repeated in `test.json` as `atomic_facts` (all of them if fewer exist).
        public var atomicSampleInTest: Int
        /// Training chains per hop repeated in `test.json` as `{k}hop_train`.
        public var trainSampleInTest: Int
        /// Items of each type in `test_small.json` and `valid.json`.
        public var smallTestPerType: Int
        public var seed: UInt64

        /// Defaults are the reference's: 200 entities, 10 relations, out-degree 10, hops 2…40,
        /// 15 000 training and 750 test chains per hop.
        public init(entities: Int = 200, relations: Int = 10, outDegree: Int? = nil, minHops: Int = 2, maxHops: Int = 40,
                    trainChainsPerHop: Int = 15_000, testChainsPerHop: Int = 750, atomicSampleInTest: Int = 750,
                    trainSampleInTest: Int = 750, smallTestPerType: Int = 10, seed: UInt64 = 0) {
            self.entities = entities
            self.relations = relations
            self.outDegree = outDegree ?? relations
            self.minHops = minHops
            self.maxHops = maxHops
            self.trainChainsPerHop = trainChainsPerHop
            self.testChainsPerHop = testChainsPerHop
            self.atomicSampleInTest = atomicSampleInTest
            self.trainSampleInTest = trainSampleInTest
            self.smallTestPerType = smallTestPerType
            self.seed = seed
        }

        /// The reference's dataset (≈ 590 000 training items).
        public static let reference = Parameters()

        /// A CPU-scale setting in which a d 64 model learns 2-hop composition in minutes: 40
        /// entities, 6 relations, hops 2…3, 1 250 training and 150 test chains per hop.
        public static let small = Parameters(entities: 40, relations: 6, minHops: 2, maxHops: 3, trainChainsPerHop: 1_250,
                                             testChainsPerHop: 150, atomicSampleInTest: 150, trainSampleInTest: 150)

        private enum CodingKeys: String, CodingKey {
            case entities, relations, seed
            case outDegree = "out_degree", minHops = "min_hops", maxHops = "max_hops"
            case trainChainsPerHop = "train_chains_per_hop", testChainsPerHop = "test_chains_per_hop"
            case atomicSampleInTest = "atomic_sample_in_test", trainSampleInTest = "train_sample_in_test"
            case smallTestPerType = "small_test_per_type"
        }

        /// Missing keys take their defaults, so a hand-written `dataset.json` may list only what it changes.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Parameters()
            entities = try c.decodeIfPresent(Int.self, forKey: .entities) ?? d.entities
            relations = try c.decodeIfPresent(Int.self, forKey: .relations) ?? d.relations
            outDegree = try c.decodeIfPresent(Int.self, forKey: .outDegree) ?? relations
            minHops = try c.decodeIfPresent(Int.self, forKey: .minHops) ?? d.minHops
            maxHops = try c.decodeIfPresent(Int.self, forKey: .maxHops) ?? d.maxHops
            trainChainsPerHop = try c.decodeIfPresent(Int.self, forKey: .trainChainsPerHop) ?? d.trainChainsPerHop
            testChainsPerHop = try c.decodeIfPresent(Int.self, forKey: .testChainsPerHop) ?? d.testChainsPerHop
            atomicSampleInTest = try c.decodeIfPresent(Int.self, forKey: .atomicSampleInTest) ?? d.atomicSampleInTest
            trainSampleInTest = try c.decodeIfPresent(Int.self, forKey: .trainSampleInTest) ?? d.trainSampleInTest
            smallTestPerType = try c.decodeIfPresent(Int.self, forKey: .smallTestPerType) ?? d.smallTestPerType
            seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        }

        func validate() throws {
            func require(_ ok: Bool, _ name: String, _ reason: String) throws {
                if !ok { throw KnowledgeGraphError.invalidParameter(name, reason: reason) }
            }
            try require(entities >= 1, "entities", "must be at least 1 (got \(entities))")
            try require(relations >= 1, "relations", "must be at least 1 (got \(relations))")
            try require(outDegree >= 1 && outDegree <= relations, "out_degree",
                        "must be between 1 and the number of relations \(relations) (got \(outDegree))")
            try require(minHops >= 2, "min_hops", "must be at least 2, atomic facts are the 1-hop facts (got \(minHops))")
            try require(maxHops >= minHops, "max_hops", "must be at least min_hops \(minHops) (got \(maxHops))")
            for (name, value) in [("train_chains_per_hop", trainChainsPerHop), ("test_chains_per_hop", testChainsPerHop),
                                  ("atomic_sample_in_test", atomicSampleInTest), ("train_sample_in_test", trainSampleInTest),
                                  ("small_test_per_type", smallTestPerType)] {
                try require(value >= 0, name, "must not be negative (got \(value))")
            }
        }
    }

    public var parameters: Parameters

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
    }

    /// The graph a seed gives: `relation[r][e]` is `r(e)`; `relationsOf[e]` are e's relations, ascending.
    public struct Graph: Sendable {
        public let relation: [[Int]]
        public let relationsOf: [[Int]]
    }

    public func graph() throws -> Graph {
        try parameters.validate()
        var rng = SeededGenerator(seed: parameters.seed)
        return makeGraph(&rng)
    }

    private func makeGraph(_ rng: inout SeededGenerator) -> Graph {
        let p = parameters
        let relation = (0..<p.relations).map { _ in rng.permutation(p.entities) }
        let relationsOf: [[Int]] = (0..<p.entities).map { _ in
            p.outDegree == p.relations ? Array(0..<p.relations) : rng.sample(p.outDegree, from: p.relations).sorted()
        }
        return Graph(relation: relation, relationsOf: relationsOf)
    }

    public func generate() throws -> GeneratedDataset {
        let p = parameters
        try p.validate()
        var rng = SeededGenerator(seed: p.seed)
        let graph = makeGraph(&rng)
        let vocabulary = Vocabulary.knowledgeGraph(entities: p.entities, relations: p.relations)
        let entityID = { (e: Int) in Int32(1 + e) }
        let relationID = { (r: Int) in Int32(1 + p.entities + r) }

        var atomic: [Example] = []
        atomic.reserveCapacity(p.entities * p.outDegree)
        for e in 0..<p.entities {
            for r in graph.relationsOf[e] {
                atomic.append(Example(inputIDs: [entityID(e), relationID(r)], label: entityID(graph.relation[r][e]), type: "atomic"))
            }
        }

        var train = atomic
        train.reserveCapacity(atomic.count + (p.maxHops - p.minHops + 1) * p.trainChainsPerHop)
        var test: [Example] = rng.sample(min(p.atomicSampleInTest, atomic.count), from: atomic).map {
            var e = $0
            e.type = "atomic_facts"
            return e
        }
        for k in p.minHops...p.maxHops {
            let chains = try sampleChains(hops: k, count: p.trainChainsPerHop + p.testChainsPerHop, graph: graph, rng: &rng)
            let trainType = "\(k)hop_train", testType = "\(k)hop_test"
            var hopTrain: [Example] = []
            hopTrain.reserveCapacity(p.trainChainsPerHop)
            for c in 0..<chains.count {
                let chain = chains.chain(c)
                var ids = [Int32](repeating: 0, count: k + 1)
                var current = Int(chain[chain.startIndex])
                ids[0] = entityID(current)
                for step in 1...k {
                    let r = Int(chain[chain.startIndex + step])
                    ids[step] = relationID(r)
                    current = graph.relation[r][current]
                }
                let isTrain = c < p.trainChainsPerHop
                let example = Example(inputIDs: ids, label: entityID(current), type: isTrain ? trainType : testType)
                if isTrain { hopTrain.append(example) } else { test.append(example) }
            }
            for var example in rng.sample(min(p.trainSampleInTest, hopTrain.count), from: hopTrain) {
                example.type = trainType
                test.append(example)
            }
            train += hopTrain
        }

        let testSplit = Split(name: "test", examples: test)
        let small = GeneratedDataset.smallSplit(of: testSplit, perType: p.smallTestPerType, name: "test_small")
        return GeneratedDataset(manifest: DatasetManifest(parameters: .depthExtrapolation(p)), vocabulary: vocabulary,
                                train: Split(name: "train", examples: train),
                                valid: Split(name: "valid", examples: small.examples),
                                test: testSplit, testSmall: small)
    }

    /// `count` distinct k-hop chains (head, relation₁, …, relationₖ), in the order drawn.
    private func sampleChains(hops k: Int, count: Int, graph: Graph, rng: inout SeededGenerator) throws -> ChainSet {
        let p = parameters
        // E · D^k chains exist; nil when that overflows (then it is certainly enough).
        var space: Int? = p.entities
        for _ in 0..<k {
            if let s = space {
                let (product, overflow) = s.multipliedReportingOverflow(by: p.outDegree)
                space = overflow ? nil : product
            }
        }
        if let space, space < count {
            throw KnowledgeGraphError.notEnoughFacts(
                what: "\(k)-hop chains (train + test)", requested: count,
                available: "\(space) (\(p.entities) entities × out-degree \(p.outDegree)^\(k))")
        }
        var set = ChainSet(length: k + 1, capacity: count)
        var chain = [Int32](repeating: 0, count: k + 1)
        if let space, space <= 4 * count {
            // Few chains exist: draw distinct chain numbers and spell them out (head, then one digit
            // in base `outDegree` per step choosing among the current entity's relations).
            let steps = space / p.entities
            for code in rng.sample(count, from: space) {
                var current = code / steps
                var rest = code % steps
                var radix = steps
                chain[0] = Int32(current)
                for step in 1...k {
                    radix /= p.outDegree
                    let r = graph.relationsOf[current][rest / radix]
                    rest %= radix
                    chain[step] = Int32(r)
                    current = graph.relation[r][current]
                }
                _ = chain.withUnsafeBufferPointer { set.insert($0) }
            }
            return set
        }
        // Many chains exist: draw chains and skip the rare repeat.
        while set.count < count {
            var current = rng.uniform(below: p.entities)
            chain[0] = Int32(current)
            for step in 1...k {
                let choices = graph.relationsOf[current]
                let r = choices[rng.uniform(below: choices.count)]
                chain[step] = Int32(r)
                current = graph.relation[r][current]
            }
            _ = chain.withUnsafeBufferPointer { set.insert($0) }
        }
        return set
    }
}

import Foundation
