import XCTest
import Halting

/// Each policy's rule on hand-made distributions.
final class PolicyTests: XCTestCase {
    let v = 64
    var uniform: [Float] { uniformLogits(over: 0..<64, v: v) }          // H = ln 64 ≈ 4.16
    var peaked: [Float] { (0..<v).map { $0 == 5 ? 20 : 0 } }            // H ≈ 0, answer 5
    var peakedOther: [Float] { (0..<v).map { $0 == 9 ? 20 : 0 } }       // H ≈ 0, answer 9

    func entropy(_ logits: [Float]) -> Float {
        let lp = MonitoredDistribution.logSoftmax(logits)
        return MonitoredDistribution(iteration: 0, sequenceLength: 1, example: 0, logProbabilities: lp[...], previousLogProbabilities: nil).entropy
    }

    func kl(_ logits: [Float], from previous: [Float]) -> Float {
        let lp = MonitoredDistribution.logSoftmax(logits), prev = MonitoredDistribution.logSoftmax(previous)
        return MonitoredDistribution(iteration: 1, sequenceLength: 1, example: 0, logProbabilities: lp[...], previousLogProbabilities: prev[...]).klFromPrevious!
    }

    func testDistributionQuantities() {
        XCTAssertEqual(entropy(uniform), log(64), accuracy: 1e-5)
        XCTAssertEqual(entropy(peaked), 0, accuracy: 1e-5)
        XCTAssertEqual(kl(peaked, from: peaked), 0)
        XCTAssertEqual(kl(peaked, from: uniform), log(64), accuracy: 1e-4)   // KL(δ ‖ uniform) = ln V
        let lp = MonitoredDistribution.logSoftmax(peaked)
        XCTAssertEqual(MonitoredDistribution(iteration: 0, sequenceLength: 1, example: 0, logProbabilities: lp[...],
                                             previousLogProbabilities: nil).topProbability, 1, accuracy: 1e-6)
        XCTAssertEqual(MonitoredDistribution.argmax([1, 3, 3, 2] as [Float]), 1)
    }

    func testFixedStopsAtExactlyR() {
        let policy = FixedHalting(recurrence: 3)
        let d = policy.decide(logitsPerStep: [peaked, peaked, peakedOther, peaked, peaked], sequenceLength: 8)
        XCTAssertEqual(d, HaltingDecision(iterations: 3, halted: true, driver: .none, answer: 9))
        XCTAssertEqual(FixedHalting(recurrence: 1).decide(logitsPerStep: [uniform, peaked], sequenceLength: 8).iterations, 1)
    }

    func testEntropyKLHaltsAtTheFirstStepWhereBothHold() {
        let policy = EntropyKLHalting(epsKL: 0.01, threshold: 1, maxIterations: 6)
        // Peaked from the start: never at the first step (no previous), so at step 2.
        XCTAssertEqual(policy.decide(logitsPerStep: [peaked, peaked, peaked], sequenceLength: 8),
                       HaltingDecision(iterations: 2, halted: true, driver: .none, answer: 5))
        // Moving: KL is large until the distribution settles.
        XCTAssertEqual(policy.decide(logitsPerStep: [uniform, peaked, peakedOther, peakedOther, peaked], sequenceLength: 8).iterations, 4)
        // Stable but uncertain: KL holds, entropy never does.
        let flat = policy.decide(logitsPerStep: Array(repeating: uniform, count: 6), sequenceLength: 8)
        XCTAssertFalse(flat.halted)
        XCTAssertEqual(flat.iterations, 6)
    }

    func testEntropyKLRespectsMinIterations() {
        let policy = EntropyKLHalting(epsKL: 0.01, threshold: 1, minIterations: 4, maxIterations: 6)
        XCTAssertEqual(policy.decide(logitsPerStep: Array(repeating: peaked, count: 6), sequenceLength: 8).iterations, 4)
        XCTAssertEqual(EntropyHalting(threshold: 1, minIterations: 3).decide(logitsPerStep: Array(repeating: peaked, count: 6), sequenceLength: 8).iterations, 3)
        XCTAssertEqual(ConfidenceHalting(tau: 0.5, minIterations: 2).decide(logitsPerStep: Array(repeating: peaked, count: 6), sequenceLength: 8).iterations, 2)
        XCTAssertEqual(KLHalting(epsKL: 0.01, minIterations: 5).decide(logitsPerStep: Array(repeating: peaked, count: 6), sequenceLength: 8).iterations, 5)
    }

    /// An example that never halts answers with the last step it ran (max_iters), not the one it started with.
    func testNeverHaltingUsesTheLastIteration() {
        let policy = EntropyKLHalting(epsKL: 0.01, threshold: 1, maxIterations: 4)
        let steps = [peaked, peakedOther, peaked, peakedOther, peaked]   // flips every step: KL never small
        XCTAssertEqual(policy.decide(logitsPerStep: steps, sequenceLength: 8), HaltingDecision(iterations: 4, halted: false, driver: .none, answer: 9))
        XCTAssertEqual(KLHalting(epsKL: 0.01, maxIterations: 5).decide(logitsPerStep: steps, sequenceLength: 8).iterations, 5)
        XCTAssertEqual(ConfidenceHalting(tau: 0.99, maxIterations: 3).decide(logitsPerStep: Array(repeating: uniform, count: 5), sequenceLength: 8),
                       HaltingDecision(iterations: 3, halted: false, driver: .none, answer: 0))
    }

    /// Thresholds are strict for entropy and KL, inclusive for confidence — exactly at the value.
    func testTiesAtTheThreshold() {
        let mixed: [Float] = (0..<v).map { Float($0 % 7) * 0.5 }
        let h = entropy(mixed)
        XCTAssertFalse(EntropyHalting(threshold: h, maxIterations: 2).decide(logitsPerStep: [mixed, mixed], sequenceLength: 8).halted)
        XCTAssertEqual(EntropyHalting(threshold: h.nextUp, maxIterations: 2).decide(logitsPerStep: [mixed, mixed], sequenceLength: 8).iterations, 1)

        let shifted: [Float] = (0..<v).map { Float(($0 + 1) % 7) * 0.5 }
        let d = kl(shifted, from: mixed)
        XCTAssertGreaterThan(d, 0)
        XCTAssertFalse(KLHalting(epsKL: d, maxIterations: 2).decide(logitsPerStep: [mixed, shifted], sequenceLength: 8).halted)
        XCTAssertEqual(KLHalting(epsKL: d.nextUp, maxIterations: 2).decide(logitsPerStep: [mixed, shifted], sequenceLength: 8).iterations, 2)
        XCTAssertFalse(EntropyKLHalting(epsKL: d, threshold: 100, maxIterations: 2).decide(logitsPerStep: [mixed, shifted], sequenceLength: 8).halted)
        XCTAssertFalse(EntropyKLHalting(epsKL: 100, threshold: entropy(shifted), maxIterations: 2).decide(logitsPerStep: [mixed, shifted], sequenceLength: 8).halted)
        XCTAssertTrue(EntropyKLHalting(epsKL: d.nextUp, threshold: entropy(shifted).nextUp, maxIterations: 2).decide(logitsPerStep: [mixed, shifted], sequenceLength: 8).halted)

        let lp = MonitoredDistribution.logSoftmax(mixed)
        let top = MonitoredDistribution(iteration: 0, sequenceLength: 8, example: 0, logProbabilities: lp[...], previousLogProbabilities: nil).topProbability
        XCTAssertEqual(ConfidenceHalting(tau: top, maxIterations: 2).decide(logitsPerStep: [mixed, mixed], sequenceLength: 8).iterations, 1)
        XCTAssertFalse(ConfidenceHalting(tau: top.nextUp, maxIterations: 2).decide(logitsPerStep: [mixed, mixed], sequenceLength: 8).halted)
    }

    func testKLAloneIgnoresEntropyAndEntropyAloneIgnoresKL() {
        XCTAssertEqual(KLHalting(epsKL: 0.01).decide(logitsPerStep: [uniform, uniform, uniform], sequenceLength: 8).iterations, 2)
        XCTAssertEqual(EntropyHalting(threshold: 1).decide(logitsPerStep: [uniform, peaked, peakedOther], sequenceLength: 8).iterations, 2)
        XCTAssertEqual(EntropyHalting(threshold: 1).decide(logitsPerStep: [peaked], sequenceLength: 8).iterations, 1)
    }

    /// `H0 + H1 / seq_len`: the same uncertain distribution stops a short batch and not a long one.
    func testLengthAwareThreshold() {
        let policy = LengthAwareEntropyKLHalting(maxIterations: 5)   // eps_kl 0.5, H0 3, H1 12
        XCTAssertEqual(policy.threshold(sequenceLength: 50), Float(3.24))
        XCTAssertEqual(policy.threshold(sequenceLength: 4), 6)
        let steps = Array(repeating: uniform, count: 5)              // H = ln 64 ≈ 4.16
        XCTAssertEqual(policy.decide(logitsPerStep: steps, sequenceLength: 4).iterations, 2)
        XCTAssertFalse(policy.decide(logitsPerStep: steps, sequenceLength: 50).halted)
    }

    /// The halt driver is the criterion that started holding last (KL on a tie).
    func testHaltDriver() {
        let policy = LengthAwareEntropyKLHalting(maxIterations: 6)   // at seq_len 50: entropy < 3.24, KL < 0.5
        let twenty = uniformLogits(over: 0..<20, v: v)               // H = ln 20 ≈ 3.00, KL from uniform ≈ ln 3.2 ≈ 1.16
        // KL holds from step 2 (uniform twice), entropy only from step 3; halts at 4 → driver entropy.
        XCTAssertEqual(policy.decide(logitsPerStep: [uniform, uniform, twenty, twenty], sequenceLength: 50),
                       HaltingDecision(iterations: 4, halted: true, driver: .entropy, answer: 0))
        // Entropy holds from step 2 (peaked), KL only from step 3 → driver kl.
        XCTAssertEqual(policy.decide(logitsPerStep: [uniform, peaked, peaked], sequenceLength: 50).driver, .kl)
        XCTAssertEqual(policy.decide(logitsPerStep: [peakedOther, peaked, peaked], sequenceLength: 50),
                       HaltingDecision(iterations: 3, halted: true, driver: .kl, answer: 5))
        // Both from the same step → kl.
        XCTAssertEqual(policy.decide(logitsPerStep: [peaked, peaked], sequenceLength: 50).driver, .kl)
        // Never halts → none.
        XCTAssertEqual(policy.decide(logitsPerStep: Array(repeating: uniform, count: 6), sequenceLength: 50).driver, HaltDriver.none)
        XCTAssertTrue(policy.recordsHaltDriver)
        XCTAssertFalse(EntropyKLHalting().recordsHaltDriver)
    }
}
