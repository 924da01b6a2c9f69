import XCTest
import Halting

final class RegistryTests: XCTestCase {
    func testEveryPolicyIsBuiltByNameWithDefaults() throws {
        XCTAssertEqual(HaltingPolicies.names, ["fixed", "entropy-kl", "entropy-kl-length", "kl", "entropy", "confidence"])
        for entry in HaltingPolicies.all {
            let policy = try HaltingPolicies.make(name: entry.name)
            XCTAssertEqual(policy.name, entry.name)
            // The catalog's defaults are the policy's.
            XCTAssertEqual(policy.parameters.map(\.key), entry.parameters.map(\.name), entry.name)
            for (p, (_, value)) in zip(entry.parameters, policy.parameters) {
                XCTAssertEqual(Double(p.defaultValue), Double(value.description), "\(entry.name) \(p.name)")
            }
        }
        let reference = try HaltingPolicies.make(name: "entropy-kl") as! EntropyKLHalting
        XCTAssertEqual([reference.epsKL, reference.threshold], [0.001, 3.0])
        XCTAssertEqual([reference.minIterations, reference.maxIterations], [1, 16])
        let training = try HaltingPolicies.make(name: "entropy-kl-length") as! LengthAwareEntropyKLHalting
        XCTAssertEqual(training.epsKL, 0.5)
        XCTAssertEqual([training.h0, training.h1], [3, 12])
        XCTAssertEqual(training.maxIterations, 8)
    }

    func testSpecificationsOverrideDefaults() throws {
        let policy = try HaltingPolicies.make(specification: "entropy-kl:eps_kl=0.05,threshold=3.3,max_iters=7") as! EntropyKLHalting
        XCTAssertEqual(policy.epsKL, 0.05)
        XCTAssertEqual(policy.threshold, 3.3)
        XCTAssertEqual(policy.maxIterations, 7)
        XCTAssertEqual(policy.summary, "entropy-kl(eps_kl=0.05, threshold=3.3, min_iters=1, max_iters=7)")
        XCTAssertEqual((try HaltingPolicies.make(specification: "fixed:r=6")).maxIterations, 6)
        XCTAssertEqual((try HaltingPolicies.make(specification: "confidence") as! ConfidenceHalting).tau, 0.9)
    }

    func testBadInputIsATypedError() {
        func error(_ spec: String) -> HaltingError? {
            do { _ = try HaltingPolicies.make(specification: spec); return nil } catch { return error as? HaltingError }
        }
        XCTAssertEqual(error("patience"), .unknownPolicy("patience", known: HaltingPolicies.names))
        XCTAssertEqual(error("kl:threshold=3"), .unknownParameter("threshold", policy: "kl", known: ["eps_kl", "min_iters", "max_iters"]))
        XCTAssertEqual(error("entropy:threshold=abc"), .invalidParameter("threshold", value: "abc", policy: "entropy", reason: "not a finite number"))
        XCTAssertEqual(error("confidence:tau=1.5"), .invalidParameter("tau", value: "1.5", policy: "confidence", reason: "must be in (0, 1]"))
        XCTAssertEqual(error("fixed:r=0"), .invalidParameter("r", value: "0", policy: "fixed", reason: "must be at least 1"))
        XCTAssertEqual(error("fixed:r=2.5"), .invalidParameter("r", value: "2.5", policy: "fixed", reason: "not an integer"))
        XCTAssertEqual(error("entropy-kl:min_iters=9,max_iters=4"),
                       .invalidParameter("min_iters", value: "9", policy: "entropy-kl", reason: "exceeds max_iters (4)"))
        XCTAssertEqual(error("entropy-kl:eps_kl"), .malformedSpecification("entropy-kl:eps_kl", reason: "'eps_kl' is not key=value"))
        XCTAssertEqual(error("kl:eps_kl=1,eps_kl=2"), .malformedSpecification("kl:eps_kl=1,eps_kl=2", reason: "'eps_kl' is given twice"))
        XCTAssertEqual(error(":r=1"), .malformedSpecification(":r=1", reason: "no policy name"))
        XCTAssertEqual(error("entropy-kl:eps_kl=-1")?.description, "halting policy 'entropy-kl': eps_kl=-1: must be positive")
    }
}
