import XCTest
import TensorKit
import FixtureSupport
import ModelFixtureSupport
import RecurrentDepth
import Halting

/// `entropy-kl-length` against PyTorch (`learned-r3/length-halting.json`): on the learned-r3 model
/// and a padded batch, each example's halting step, halt driver, answer and answering logits —
/// whether halted examples leave the working batch or not. The fixture's parameters give steps 3
/// to 8 and all three drivers, and its decisions change when the threshold uses an example's own
/// length instead of the padded one, or when a tie of first steps counts as `entropy`.
final class LengthAwareFixtureTests: XCTestCase {
    func testLengthAwareRuleMatchesPyTorch() throws {
        let c = try FixtureCase("learned-r3", file: "length-halting.json")
        let model = try Checkpoint.readModel(from: c.folder)
        let p = c.json["policy"] as! [String: Any]
        let policy = LengthAwareEntropyKLHalting(epsKL: Float(p["eps_kl"] as! Double), h0: p["h0"] as! Double, h1: p["h1"] as! Double,
                                                 minIterations: p["min_iters"] as! Int, maxIterations: p["max_iters"] as! Int)
        let iterations = c.json["iterations"] as! [Int], halted = c.json["halted"] as! [Bool]
        let drivers = (c.json["drivers"] as! [String]).map { HaltDriver(rawValue: $0)! }
        let answers = (c.json["argmax"] as! [Int]).map(Int32.init)
        let answerLogits = (c.json["answer_logits"] as! [[Double]]).flatMap { $0.map(Float.init) }
        XCTAssertEqual(try c.input.length, c.json["seq_len"] as! Int, "seq_len is the padded length")
        XCTAssertEqual(Set(drivers), Set(HaltDriver.allCases), "the fixture has every driver")
        XCTAssertGreaterThanOrEqual(Set(iterations).count, 3, "the fixture has several halting steps")

        for drops in [true, false] {
            let result = try AdaptiveInference(policy: policy, dropsHaltedExamples: drops).run(try c.input, model: model)
            XCTAssertEqual(result.iterations, iterations, "iterations (drops \(drops))")
            XCTAssertEqual(result.drivers, drivers, "drivers (drops \(drops))")
            XCTAssertEqual(result.halted, halted, "halted (drops \(drops))")
            XCTAssertEqual(result.answers, answers, "answers (drops \(drops))")
            let worst = zip(result.logits.scalars, answerLogits).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
            XCTAssertLessThan(worst, 1e-4, "answering logits (drops \(drops))")
        }
    }

    /// The registry's `entropy-kl-length` with the fixture's parameters decides the same.
    func testRegistryPolicyReproducesTheFixture() throws {
        let c = try FixtureCase("learned-r3", file: "length-halting.json")
        let model = try Checkpoint.readModel(from: c.folder)
        let p = c.json["policy"] as! [String: Any]
        let specification = "entropy-kl-length:" + ["eps_kl", "h0", "h1", "min_iters", "max_iters"].map { "\($0)=\(p[$0]!)" }.joined(separator: ",")
        let result = try AdaptiveInference(policy: try HaltingPolicyRegistry.builtIn.make(specification)).run(try c.input, model: model)
        XCTAssertEqual(result.iterations, c.json["iterations"] as! [Int], specification)
        XCTAssertEqual(result.drivers?.map(\.rawValue), c.json["drivers"] as! [String], specification)
        XCTAssertEqual(result.answers, (c.json["argmax"] as! [Int]).map(Int32.init), specification)
    }
}
