import XCTest
import TensorKit
import RecurrentDepth
import Halting
import FixtureSupport
import ModelFixtureSupport

/// The `halting` decisions of every fixture case (PyTorch's `adaptive_entropy_kl` on the fixture
/// model and batch): iterations used and the argmax answer of each example, reproduced exactly —
/// whether halted examples leave the working batch or not.
final class FixtureParityTests: XCTestCase {
    func check(_ name: String) throws {
        let c = try FixtureCase(name)
        let model = try Checkpoint.readModel(from: c.folder)
        let halting = try c.halting
        XCTAssertEqual(halting.count, 3, "\(name): expected three halting settings")
        var varied = Set<Int>()
        for (k, h) in halting.enumerated() {
            let policy = EntropyKLHalting(epsKL: Float(h["eps_kl"] as! Double), threshold: Float(h["entropy_thresh"] as! Double),
                                          minIterations: h["min_iters"] as! Int, maxIterations: h["max_iters"] as! Int)
            let expectedIterations = h["iterations_used"] as! [Int], expectedAnswers = (h["argmax"] as! [Int]).map(Int32.init)
            varied.formUnion(expectedIterations)
            for drops in [true, false] {
                let result = try AdaptiveInference(policy: policy, dropsHaltedExamples: drops).run(c.input, model: model)
                XCTAssertEqual(result.iterations, expectedIterations, "\(name) halting[\(k)] iterations (drops \(drops))")
                XCTAssertEqual(result.answers, expectedAnswers, "\(name) halting[\(k)] argmax (drops \(drops))")
                for (i, n) in expectedIterations.enumerated() where n < policy.maxIterations {
                    XCTAssertTrue(result.halted[i], "\(name) halting[\(k)] example \(i) stopped early, so the policy halted it")
                }
                XCTAssertEqual(result.stepsRun, expectedIterations.max()!, "\(name) halting[\(k)]: the pass ends when the last example stops")
            }
        }
        XCTAssertGreaterThan(varied.count, 1, "\(name): the fixture should exercise several halting steps")
    }

    func testLearnedPositions() throws { try check("learned-r3") }
    func testNoPositionsWithInputInjection() throws { try check("nope-inject-r4") }
    func testSinusoidalPositions() throws { try check("sinusoidal-r2") }

    /// The registry builds the same policy from the fixture's parameters by name.
    func testRegistryPolicyReproducesTheFixture() throws {
        let c = try FixtureCase("learned-r3")
        let model = try Checkpoint.readModel(from: c.folder)
        let h = try c.halting[0]
        let policy = try HaltingPolicyRegistry.builtIn.make("entropy-kl:eps_kl=\(h["eps_kl"]!),threshold=\(h["entropy_thresh"]!),max_iters=\(h["max_iters"]!)")
        let result = try AdaptiveEvaluator(policy: policy).answer(c.input, model: model)
        XCTAssertEqual(result.iterations, h["iterations_used"] as! [Int])
        XCTAssertEqual(result.answers, (h["argmax"] as! [Int]).map(Int32.init))
    }
}
