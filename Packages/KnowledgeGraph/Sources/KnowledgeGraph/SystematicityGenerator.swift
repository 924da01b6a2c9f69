import Foundation

/// The systematicity task (2-hop composition with an in-/out-of-distribution split).
///
/// - Each entity has `outDegree` distinct relations (a random subset of `relations`), each to a
///   uniformly random tail entity: the atomic facts `(h, r) → t`.
/// - A fraction `oodFraction` of the atomic facts (rounded) is out of distribution (OOD): trained
///   as atomic facts, but never used by a trained 2-hop fact.
/// - 2-hop facts `(h, r₁, r₂) → t` compose two atomic facts through the bridge entity. Both hops
///   OOD → `test_inferred_ood`. Both hops in distribution (ID): a fraction `iidTestFraction`
///   (rounded) → `test_inferred_iid`; of the others, `round(phi × |ID atomic facts|)` are sampled
///   → `train_inferred`. Compositions mixing an ID and an OOD hop are not used.
///
/// Files: `train.json` holds every atomic fact (`atomic`) and the `train_inferred` facts;
/// `test.json` holds up to `testSizePerType` sampled items of each of `id_atomic`, `ood_atomic`,
/// `train_inferred`, `test_inferred_iid`, `test_inferred_ood`; `test_small.json` and
/// `valid.json` hold the first `smallTestPerType` of each test type.
public struct SystematicityGenerator: DatasetGenerator {
    public static let name = "systematicity"
    public static let testTypes = ["id_atomic", "ood_atomic", "train_inferred", "test_inferred_iid", "test_inferred_ood"]

    public struct Parameters: Codable, Equatable, Sendable {
        public var entities: Int
        public var relations: Int
        public var outDegree: Int
        public var oodFraction: Double
        public var iidTestFraction: Double
        /// φ: inferred training facts per ID atomic fact.
        public var phi: Double
        public var testSizePerType: Int
        public var smallTestPerType: Int
        public var seed: UInt64

        /// Defaults are the reference's: 2 000 entities, 200 relations, out-degree 20, 5% OOD,
        /// 0.5% IID test, φ = 7.2, 3 000 test items per type.
        public init(entities: Int = 2_000, relations: Int = 200, outDegree: Int = 20, oodFraction: Double = 0.05,
                    iidTestFraction: Double = 0.005, phi: Double = 7.2, testSizePerType: Int = 3_000,
                    smallTestPerType: Int = 10, seed: UInt64 = 0) {
            self.entities = entities
            self.relations = relations
            self.outDegree = outDegree
            self.oodFraction = oodFraction
            self.iidTestFraction = iidTestFraction
            self.phi = phi
            self.testSizePerType = testSizePerType
            self.smallTestPerType = smallTestPerType
            self.seed = seed
        }

        public static let reference = Parameters()

        /// A graph a tenth the reference's size (≈ 31 000 training items), same φ and fractions.
        public static let small = Parameters(entities: 200, relations: 40, testSizePerType: 300)

        private enum CodingKeys: String, CodingKey {
            case entities, relations, phi, seed
            case outDegree = "out_degree", oodFraction = "ood_fraction", iidTestFraction = "iid_test_fraction"
            case testSizePerType = "test_size_per_type", smallTestPerType = "small_test_per_type"
        }

        /// Missing keys take their defaults.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Parameters()
            entities = try c.decodeIfPresent(Int.self, forKey: .entities) ?? d.entities
            relations = try c.decodeIfPresent(Int.self, forKey: .relations) ?? d.relations
            outDegree = try c.decodeIfPresent(Int.self, forKey: .outDegree) ?? d.outDegree
            oodFraction = try c.decodeIfPresent(Double.self, forKey: .oodFraction) ?? d.oodFraction
            iidTestFraction = try c.decodeIfPresent(Double.self, forKey: .iidTestFraction) ?? d.iidTestFraction
            phi = try c.decodeIfPresent(Double.self, forKey: .phi) ?? d.phi
            testSizePerType = try c.decodeIfPresent(Int.self, forKey: .testSizePerType) ?? d.testSizePerType
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
            try require(oodFraction >= 0 && oodFraction <= 1, "ood_fraction", "must be in [0, 1] (got \(oodFraction))")
            try require(iidTestFraction >= 0 && iidTestFraction <= 1, "iid_test_fraction", "must be in [0, 1] (got \(iidTestFraction))")
            try require(phi >= 0 && phi.isFinite, "phi", "must be a non-negative number (got \(phi))")
            try require(testSizePerType >= 0, "test_size_per_type", "must not be negative (got \(testSizePerType))")
            try require(smallTestPerType >= 0, "small_test_per_type", "must not be negative (got \(smallTestPerType))")
        }
    }

    public var parameters: Parameters

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
    }

    /// The graph a seed gives, with the atomic fact `a = h · outDegree + j` being
    /// `(h, relationsOf[h][j]) → tail[a]`, and which atomic facts are OOD.
    public struct Graph: Sendable {
        public let relationsOf: [[Int]]
        public let tail: [Int]
        public let isOOD: [Bool]
    }

    public func graph() throws -> Graph {
        try parameters.validate()
        var rng = SeededGenerator(seed: parameters.seed)
        return makeGraph(&rng)
    }

    private func makeGraph(_ rng: inout SeededGenerator) -> Graph {
        let p = parameters
        var relationsOf: [[Int]] = []
        var tail: [Int] = []
        relationsOf.reserveCapacity(p.entities)
        tail.reserveCapacity(p.entities * p.outDegree)
        for _ in 0..<p.entities {
            relationsOf.append(rng.sample(p.outDegree, from: p.relations).sorted())
            for _ in 0..<p.outDegree { tail.append(rng.uniform(below: p.entities)) }
        }
        var isOOD = [Bool](repeating: false, count: tail.count)
        for a in rng.sample(Int((p.oodFraction * Double(tail.count)).rounded()), from: tail.count) { isOOD[a] = true }
        return Graph(relationsOf: relationsOf, tail: tail, isOOD: isOOD)
    }

    public func generate() throws -> GeneratedDataset {
        let p = parameters
        try p.validate()
        var rng = SeededGenerator(seed: p.seed)
        let graph = makeGraph(&rng)
        let d = p.outDegree
        let vocabulary = Vocabulary.knowledgeGraph(entities: p.entities, relations: p.relations)
        let entityID = { (e: Int) in Int32(1 + e) }
        let relationID = { (r: Int) in Int32(1 + p.entities + r) }

        func atomicExample(_ a: Int, _ type: String) -> Example {
            let h = a / d
            return Example(inputIDs: [entityID(h), relationID(graph.relationsOf[h][a % d])], label: entityID(graph.tail[a]), type: type)
        }
        // A 2-hop fact is numbered `first · outDegree + j`: the atomic fact `first`, then the
        // bridge entity's j-th relation.
        func inferredExample(_ code: Int, _ type: String) -> Example {
            let first = code / d, j = code % d
            let h = first / d, bridge = graph.tail[first]
            let second = bridge * d + j
            return Example(inputIDs: [entityID(h), relationID(graph.relationsOf[h][first % d]), relationID(graph.relationsOf[bridge][j])],
                           label: entityID(graph.tail[second]), type: type)
        }

        let atomicCount = graph.tail.count
        var idAtomic: [Int] = [], oodAtomic: [Int] = []
        for a in 0..<atomicCount { if graph.isOOD[a] { oodAtomic.append(a) } else { idAtomic.append(a) } }

        var idInferred: [Int] = [], oodInferred: [Int] = []
        idInferred.reserveCapacity(atomicCount * d)
        for first in 0..<atomicCount {
            let bridge = graph.tail[first]
            for j in 0..<d {
                let second = bridge * d + j
                switch (graph.isOOD[first], graph.isOOD[second]) {
                case (false, false): idInferred.append(first * d + j)
                case (true, true): oodInferred.append(first * d + j)
                default: break
                }
            }
        }

        let iidTestCount = Int((p.iidTestFraction * Double(idInferred.count)).rounded())
        let drawn = rng.sample(iidTestCount, from: idInferred.count)
        var heldOut = [Bool](repeating: false, count: idInferred.count)
        for k in drawn { heldOut[k] = true }
        let testIID = drawn.map { idInferred[$0] }.sorted()
        let trainable = idInferred.indices.filter { !heldOut[$0] }.map { idInferred[$0] }
        let trainCount = Int((p.phi * Double(idAtomic.count)).rounded())
        guard trainCount <= trainable.count else {
            throw KnowledgeGraphError.notEnoughFacts(
                what: "train_inferred facts (phi \(p.phi) × \(idAtomic.count) ID atomic facts)", requested: trainCount,
                available: "\(trainable.count) ID 2-hop facts outside test_inferred_iid")
        }
        let trainInferred = rng.sample(trainCount, from: trainable).sorted()

        var train = (0..<atomicCount).map { atomicExample($0, "atomic") }
        train += trainInferred.map { inferredExample($0, "train_inferred") }

        func testSample(_ pool: [Int]) -> [Int] {
            rng.sample(min(p.testSizePerType, pool.count), from: pool).sorted()
        }
        var test: [Example] = []
        test += testSample(idAtomic).map { atomicExample($0, "id_atomic") }
        test += testSample(oodAtomic).map { atomicExample($0, "ood_atomic") }
        test += testSample(trainInferred).map { inferredExample($0, "train_inferred") }
        test += testSample(testIID).map { inferredExample($0, "test_inferred_iid") }
        test += testSample(oodInferred).map { inferredExample($0, "test_inferred_ood") }

        let testSplit = Split(name: "test", examples: test)
        let small = GeneratedDataset.smallSplit(of: testSplit, perType: p.smallTestPerType, name: "test_small")
        return GeneratedDataset(manifest: DatasetManifest(parameters: .systematicity(p)), vocabulary: vocabulary,
                                train: Split(name: "train", examples: train),
                                valid: Split(name: "valid", examples: small.examples),
                                test: testSplit, testSmall: small)
    }
}
