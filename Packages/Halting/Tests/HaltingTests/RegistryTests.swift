import XCTest
import RecurrentDepth
import Halting

final class RegistryTests: XCTestCase {
    let registry = HaltingPolicyRegistry.builtIn

    func testEveryPolicyIsBuiltByNameWithItsInitializersDefaults() throws {
        XCTAssertEqual(registry.names, ["fixed", "entropy-kl", "entropy-kl-length", "kl", "entropy", "confidence"])
        let initializers: [String: any HaltingPolicy] = [
            "fixed": FixedHalting(), "entropy-kl": EntropyKLHalting(), "entropy-kl-length": LengthAwareEntropyKLHalting(),
            "kl": KLHalting(), "entropy": EntropyHalting(), "confidence": ConfidenceHalting(),
        ]
        for description in registry.descriptions {
            // The listed defaults, read back as the registry reads a specification, give the initializer's policy.
            let policy = try registry.make(description.name)
            XCTAssertEqual(policy.summary, initializers[description.name]?.summary, description.name)
            XCTAssertEqual(description.parameters.map(\.key), policy.parameters.map(\.key), description.name)
            XCTAssertEqual(description.parameters.map(\.defaultValue), policy.parameters.map(\.value.description), description.name)
            XCTAssertFalse(description.summary.isEmpty)
            for p in description.parameters { XCTAssertFalse(p.help.isEmpty, "\(description.name) \(p.key)") }
        }
        // The reference's settings.
        let reference = try registry.make("entropy-kl") as! EntropyKLHalting
        XCTAssertEqual([reference.epsKL, reference.threshold], [0.001, 3.0])
        XCTAssertEqual([reference.minIterations, reference.maxIterations], [1, 16])
        let training = try registry.make("entropy-kl-length") as! LengthAwareEntropyKLHalting
        XCTAssertEqual(training.epsKL, 0.5)
        XCTAssertEqual([training.h0, training.h1], [3, 12])
        XCTAssertEqual(training.maxIterations, 8)
        XCTAssertEqual((try registry.make("fixed") as! FixedHalting).recurrence, 4)
        XCTAssertEqual((try registry.make("confidence") as! ConfidenceHalting).tau, 0.9)
        XCTAssertEqual(registry.descriptions[2].parameters.map(\.defaultValue), ["0.5", "3.0", "12.0", "1", "8"])
    }

    func testSpecificationsOverrideDefaults() throws {
        let policy = try registry.make("entropy-kl:eps_kl=0.05,threshold=3.3,max_iters=7") as! EntropyKLHalting
        XCTAssertEqual(policy.epsKL, 0.05)
        XCTAssertEqual(policy.threshold, 3.3)
        XCTAssertEqual(policy.maxIterations, 7)
        XCTAssertEqual(policy.summary, "entropy-kl(eps_kl=0.05, threshold=3.3, min_iters=1, max_iters=7)")
        XCTAssertEqual((try registry.make("fixed:r=6")).maxIterations, 6)
        let length = try registry.make("entropy-kl-length:h0=2.5,h1=0, eps_kl = 0.25") as! LengthAwareEntropyKLHalting
        XCTAssertEqual([length.h0, length.h1, Double(length.epsKL)], [2.5, 0, 0.25])
    }

    func testBadInputIsASpecificationErrorNamingThePolicyAndKey() {
        func error(_ spec: String) -> SpecificationError? {
            do { _ = try registry.make(spec); return nil } catch { return error as? SpecificationError }
        }
        let kind = "halting policy"
        XCTAssertEqual(error("patience"), .unknownName("patience", kind: kind, known: registry.names))
        XCTAssertEqual(error("kl:threshold=3"), .unknownParameter("threshold", kind: kind, component: "kl", valid: ["eps_kl", "min_iters", "max_iters"]))
        XCTAssertEqual(error("entropy:threshold=abc"), .invalidValue("threshold", value: "abc", kind: kind, component: "entropy", reason: "not a number"))
        XCTAssertEqual(error("entropy:threshold=inf"), .invalidValue("threshold", value: "inf", kind: kind, component: "entropy", reason: "not finite"))
        XCTAssertEqual(error("confidence:tau=1.5"), .invalidValue("tau", value: "1.5", kind: kind, component: "confidence", reason: "must be in (0, 1]"))
        XCTAssertEqual(error("fixed:r=0"), .invalidValue("r", value: "0", kind: kind, component: "fixed", reason: "must be at least 1"))
        XCTAssertEqual(error("fixed:r=2.5"), .invalidValue("r", value: "2.5", kind: kind, component: "fixed", reason: "not an integer"))
        XCTAssertEqual(error("entropy-kl-length:h1=-1"), .invalidValue("h1", value: "-1", kind: kind, component: "entropy-kl-length", reason: "must not be negative"))
        XCTAssertEqual(error("entropy-kl:min_iters=9,max_iters=4"),
                       .invalidValue("min_iters", value: "9", kind: kind, component: "entropy-kl", reason: "exceeds max_iters (4)"))
        XCTAssertEqual(error("entropy-kl:eps_kl"), .malformed("entropy-kl:eps_kl", kind: kind, reason: "'eps_kl' is not key=value"))
        XCTAssertEqual(error("kl:eps_kl=1,eps_kl=2"), .malformed("kl:eps_kl=1,eps_kl=2", kind: kind, reason: "'eps_kl' is given twice"))
        XCTAssertEqual(error(":r=1"), .malformed(":r=1", kind: kind, reason: "no name before the parameters"))
        // An item without '=' continues the value before it (the grammar every component shares), so
        // a stray number is caught as a value that is not a number.
        XCTAssertEqual(error("kl:eps_kl=0.01,3"), .invalidValue("eps_kl", value: "0.01,3", kind: kind, component: "kl", reason: "not a number"))
        XCTAssertEqual(error("entropy-kl:eps_kl=-1")?.description, "halting policy 'entropy-kl': eps_kl=-1: must be positive")
    }
}
