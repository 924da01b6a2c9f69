import Foundation
import XCTest
import KnowledgeGraph

final class SystematicityGeneratorTests: XCTestCase {
    static let parameters = SystematicityGenerator.Parameters(entities: 150, relations: 30, outDegree: 12, oodFraction: 0.05,
                                                              iidTestFraction: 0.005, phi: 4.5, testSizePerType: 120,
                                                              smallTestPerType: 4, seed: 3)

    struct Facts {
        var atomic: [[Int32]: Int32] = [:]   // (h, r) → t
        var ood: Set<[Int32]> = []
    }

    func facts(_ graph: SystematicityGenerator.Graph, _ p: SystematicityGenerator.Parameters) -> Facts {
        var f = Facts()
        for a in graph.tail.indices {
            let h = a / p.outDegree
            let key: [Int32] = [Int32(1 + h), Int32(1 + p.entities + graph.relationsOf[h][a % p.outDegree])]
            f.atomic[key] = Int32(1 + graph.tail[a])
            if graph.isOOD[a] { f.ood.insert(key) }
        }
        return f
    }

    /// The two atomic facts a 2-hop example composes, checking that they give its label.
    func hops(of example: Example, _ f: Facts) -> ([Int32], [Int32]) {
        let first = Array(example.inputIDs[0...1])
        let bridge = f.atomic[first]!
        let second = [bridge, example.inputIDs[2]]
        XCTAssertEqual(f.atomic[second], example.label, "2-hop answer is not the composition")
        return (first, second)
    }

    func testIDOODSplitAndPhi() throws {
        let p = Self.parameters
        let generator = SystematicityGenerator(parameters: p)
        let graph = try generator.graph()
        let f = facts(graph, p)
        let data = try generator.generate()

        XCTAssertEqual(f.atomic.count, 150 * 12)
        XCTAssertEqual(f.ood.count, Int((0.05 * 1_800).rounded()))
        XCTAssertTrue(graph.relationsOf.allSatisfy { Set($0).count == 12 })

        let atomic = data.train.selecting(types: ["atomic"])
        XCTAssertEqual(atomic.count, 1_800)
        for e in atomic.examples { XCTAssertEqual(f.atomic[e.inputIDs], e.label) }

        let trainInferred = data.train.selecting(types: ["train_inferred"])
        XCTAssertEqual(data.train.types, ["atomic", "train_inferred"])
        // φ × |ID atomic| to rounding.
        XCTAssertEqual(trainInferred.count, Int((4.5 * Double(1_800 - f.ood.count)).rounded()))
        XCTAssertEqual(Set(trainInferred.examples.map(\.inputIDs)).count, trainInferred.count)
        for e in trainInferred.examples {
            XCTAssertEqual(e.hops, 2)
            let (a, b) = hops(of: e, f)
            XCTAssertFalse(f.ood.contains(a) || f.ood.contains(b), "a train_inferred fact uses an OOD atomic fact")
        }

        let test = data.test
        XCTAssertEqual(test.types, SystematicityGenerator.testTypes)
        let oodInferred = test.selecting(types: ["test_inferred_ood"])
        XCTAssertGreaterThan(oodInferred.count, 0)
        for e in oodInferred.examples {
            let (a, b) = hops(of: e, f)
            XCTAssertTrue(f.ood.contains(a) && f.ood.contains(b), "a test_inferred_ood fact does not use two OOD facts")
        }
        let iid = test.selecting(types: ["test_inferred_iid"])
        XCTAssertGreaterThan(iid.count, 0)
        let trainedInputs = Set(data.train.examples.map(\.inputIDs))
        for e in iid.examples {
            let (a, b) = hops(of: e, f)
            XCTAssertFalse(f.ood.contains(a) || f.ood.contains(b))
            XCTAssertFalse(trainedInputs.contains(e.inputIDs), "a test_inferred_iid fact is trained")
        }
        XCTAssertTrue(oodInferred.examples.allSatisfy { !trainedInputs.contains($0.inputIDs) })
        for e in test.selecting(types: ["id_atomic"]).examples { XCTAssertFalse(f.ood.contains(e.inputIDs)) }
        for e in test.selecting(types: ["ood_atomic"]).examples { XCTAssertTrue(f.ood.contains(e.inputIDs)) }
        XCTAssertEqual(test.selecting(types: ["ood_atomic"]).count, f.ood.count)   // fewer than the 120 asked
        XCTAssertEqual(test.selecting(types: ["id_atomic"]).count, 120)
        XCTAssertTrue(Set(test.selecting(types: ["train_inferred"]).examples.map(\.inputIDs)).isSubset(of: trainedInputs))
        XCTAssertEqual(data.testSmall.count, 4 * 5)
    }

    func testIIDTestFractionOfTheIDCompositions() throws {
        // Every composition counted directly: both hops ID → pool; 0.5% of it (rounded) held out.
        let p = Self.parameters
        let graph = try SystematicityGenerator(parameters: p).graph()
        var idPool = 0
        for first in graph.tail.indices where !graph.isOOD[first] {
            for j in 0..<p.outDegree where !graph.isOOD[graph.tail[first] * p.outDegree + j] { idPool += 1 }
        }
        var big = p
        big.testSizePerType = 1_000_000
        let data = try SystematicityGenerator(parameters: big).generate()
        XCTAssertEqual(data.test.selecting(types: ["test_inferred_iid"]).count, Int((0.005 * Double(idPool)).rounded()))
    }

    func testSeedDeterminesTheDatasetAndFilesRoundTrip() throws {
        let a = try SystematicityGenerator(parameters: Self.parameters).generate()
        let b = try SystematicityGenerator(parameters: Self.parameters).generate()
        XCTAssertEqual(a.test.examples, b.test.examples)
        let dir = try temporaryDirectory(self)
        try a.write(to: dir)
        let loaded = try Dataset.load(from: dir)
        XCTAssertEqual(loaded.manifest?.parameters, .systematicity(Self.parameters))
        XCTAssertEqual(try loaded.split("train").examples, a.train.examples)
        XCTAssertEqual(try loaded.split("test").examples, a.test.examples)
    }

    func testSmallPresetGenerates() throws {
        let data = try SystematicityGenerator(parameters: .small).generate()
        XCTAssertEqual(data.train.selecting(types: ["atomic"]).count, 200 * 20)
        XCTAssertEqual(data.test.types, SystematicityGenerator.testTypes)
    }
}
