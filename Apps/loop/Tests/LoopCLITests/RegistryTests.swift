import XCTest
import LoopCLI
import RecurrentDepth
import Halting

final class RegistryTests: XCTestCase {
    func testSpecsBuildComponentsWithDefaultsAndOverrides() throws {
        let registry = LoopRegistry.standard
        let dynamic = try registry.schedules.make("dynamic:max=6") as! DynamicRecurrence
        XCTAssertEqual(dynamic.mean, 4)
        XCTAssertEqual(dynamic.minimum, 2)
        XCTAssertEqual(dynamic.maximum, 6)
        XCTAssertEqual((try registry.schedules.make("fixed") as! FixedRecurrence).r, 4)
        let policy = try registry.halting.make("entropy-kl:eps_kl=0.01,threshold=2.5,max_iters=12")
        XCTAssertEqual(policy.name, "entropy-kl")
        XCTAssertEqual(policy.maxIterations, 12)
        XCTAssertEqual(try registry.probes.make("logit-margin:splits=2hop_test,3hop_test,iterations=5").name, "logit-margin")
    }

    func testBadSpecsListWhatIsValid() {
        let registry = LoopRegistry.standard
        func message(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "no error" } catch { return "\(error)" }
        }
        let unknown = message { try registry.halting.make("entropy-k") }
        for name in ["entropy-kl", "entropy-kl-length", "kl", "entropy", "confidence", "fixed"] {
            XCTAssertTrue(unknown.contains(name), unknown)
        }
        let key = message { try registry.schedules.make("dynamic:average=3") }
        XCTAssertTrue(key.contains("'average'") && key.contains("mean, min, max"), key)
        XCTAssertTrue(message { try registry.schedules.make("fixed:r=two") }.contains("not an integer"))
        XCTAssertTrue(message { try registry.schedules.make("dynamic:min=5,max=3") }.contains("min=5: exceeds max (3)"))
        XCTAssertTrue(message { try registry.schedules.make("fixed:=3") }.contains("key=value"))
        XCTAssertTrue(message { try registry.halting.make("confidence:tau=2") }.contains("tau"))
    }
}
