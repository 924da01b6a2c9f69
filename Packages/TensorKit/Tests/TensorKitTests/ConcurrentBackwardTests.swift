import Foundation
import XCTest
@testable import TensorKit
import FixtureSupport

/// What data-parallel training needs from autograd: graphs over the same parameters, built and
/// back-propagated on two threads at once, each getting exactly its own gradients.
final class ConcurrentBackwardTests: XCTestCase {
    /// A weight and bias re-applied three times (a recurrence) through `Tensor.linear`, whose
    /// backward adds weight gradients straight into the pass's running sum, then a tied readout.
    func recurrentLoss(_ x: Tensor, weight: Tensor, bias: Tensor, targets: IDTensor) -> Tensor {
        var h = x
        for _ in 0..<3 { h = Tensor.linear(h, weight: weight, bias: bias, activation: .gelu, residual: h) }
        return Tensor.crossEntropy(Tensor.matmul(h, weight, transposeB: true), targets: targets)
    }

    func parameters() -> (weight: Tensor, bias: Tensor) {
        (randomTensor([8, 8], seed: 3, std: 0.3, requiresGrad: true), randomTensor([8], seed: 4, std: 0.1, requiresGrad: true))
    }

    func testGradientsForLeavesEqualBackwardAndLeaveGradAlone() {
        let (weight, bias) = parameters()
        let x = randomTensor([5, 8], seed: 5), targets = IDTensor([1, 7, 0, 3, 3])

        let found = recurrentLoss(x, weight: weight, bias: bias, targets: targets).gradients(for: [weight, bias, x])
        XCTAssertNil(weight.grad, "gradients(for:) must not write a leaf's grad (the linear backward used to)")
        XCTAssertNil(bias.grad)
        XCTAssertNil(found[2], "x needs no gradient")

        recurrentLoss(x, weight: weight, bias: bias, targets: targets).backward()
        XCTAssertEqual(found[0]!.scalars, weight.grad!.scalars, "same values, same order of summation")
        XCTAssertEqual(found[1]!.scalars, bias.grad!.scalars)
        XCTAssertGreaterThan(weight.grad!.scalars.map(abs).max()!, 0)

        // A seed scales the result, as backward's gradient argument does.
        let half = recurrentLoss(x, weight: weight, bias: bias, targets: targets).gradients(for: [bias], Tensor(scalar: 0.5))
        assertClose(half[0]!.scalars, bias.grad!.scalars.map { $0 * 0.5 }, rtol: 1e-6, atol: 0, "seeded")
    }

    /// Two leaves whose gradient is one tensor in the graph (an add hands both inputs the same
    /// gradient) each get their own copy, which the caller may change in place.
    func testEachGradientIsTheCallersOwn() {
        let a = Tensor([1, 2, 3], requiresGrad: true), b = Tensor([4, 5, 6], requiresGrad: true)
        let found = (a + b).gradients(for: [a, b], Tensor([1, 1, 1]))
        XCTAssertFalse(found[0]! === found[1]!)
        found[0]!.addInPlace(Tensor([10, 10, 10]))
        XCTAssertEqual(found[1]!.scalars, [1, 1, 1])
        XCTAssertEqual(found[0]!.scalars, [11, 11, 11])
    }

    func testBackwardStillAccumulatesIntoExistingGrad() {
        let (weight, bias) = parameters()
        let x = randomTensor([5, 8], seed: 6), targets = IDTensor([0, 1, 2, 3, 4])
        recurrentLoss(x, weight: weight, bias: bias, targets: targets).backward()
        let once = weight.grad!.scalars
        recurrentLoss(x, weight: weight, bias: bias, targets: targets).backward()
        assertClose(weight.grad!.scalars, once.map { 2 * $0 }, rtol: 1e-6, atol: 1e-7, "two backward calls add up")
    }

    func testGradModeIsPerThread() {
        final class Box: @unchecked Sendable { var enabled: Bool? }
        let box = Box()
        let inside = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        // Another thread turns recording off and holds it off...
        Thread {
            withoutGrad {
                box.enabled = GradMode.isEnabled
                inside.signal()
                release.wait()
            }
            done.signal()
        }.start()
        inside.wait()
        // ...which this thread does not see.
        XCTAssertEqual(box.enabled, false)
        XCTAssertTrue(GradMode.isEnabled, "another thread's withoutGrad must not turn recording off here")
        XCTAssertTrue((Tensor([1], requiresGrad: true) * 2).requiresGrad)
        release.signal()
        done.wait()

        // And a thread started inside this thread's withoutGrad records.
        withoutGrad {
            Thread { box.enabled = GradMode.isEnabled; done.signal() }.start()
            done.wait()
        }
        XCTAssertEqual(box.enabled, true, "a new thread starts with recording on")
    }

    /// Two threads each run forward and backward over the same parameters, many times: every
    /// result equals the one computed alone. Fails when a backward writes shared state (the
    /// linear backward once added weight gradients into `weight.grad` from both threads).
    func testTwoThreadsBackPropagateOverSharedParametersAtOnce() {
        let (weight, bias) = parameters()
        let inputs = [randomTensor([64, 8], seed: 7), randomTensor([64, 8], seed: 8)]
        let targets = [randomIDs([64], below: 8, seed: 9), randomIDs([64], below: 8, seed: 10)]
        let alone = (0..<2).map { recurrentLoss(inputs[$0], weight: weight, bias: bias, targets: targets[$0]).gradients(for: [weight, bias]) }
        let pool = ThreadPool(threads: 2)
        for round in 0..<30 {
            var together = [[Tensor?]](repeating: [], count: 2)
            together.withUnsafeMutableBufferPointer { out in
                pool.parallelFor(2) { i in
                    XCTAssertEqual(pool.availableThreads, 1, "inside a job, nested calls run serially")
                    out[i] = self.recurrentLoss(inputs[i], weight: weight, bias: bias, targets: targets[i]).gradients(for: [weight, bias])
                }
            }
            for i in 0..<2 {
                XCTAssertEqual(together[i][0]!.scalars, alone[i][0]!.scalars, "round \(round), thread \(i): weight")
                XCTAssertEqual(together[i][1]!.scalars, alone[i][1]!.scalars, "round \(round), thread \(i): bias")
            }
        }
        XCTAssertNil(weight.grad)
        XCTAssertEqual(pool.availableThreads, 2)
    }
}
