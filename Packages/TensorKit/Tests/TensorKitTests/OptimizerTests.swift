import Foundation
import XCTest
import TensorKit
import FixtureSupport

final class OptimizerTests: XCTestCase {
    /// From each fixture's weights and its `grad.*` tensors, one AdamW step (lr 1e-3, β 0.9/0.999,
    /// ε 1e-8, weight decay 0.1) gives PyTorch's `adamw1.*` tensors.
    func testAdamWMatchesPyTorchOnEveryFixture() throws {
        for name in FixtureCase.names {
            for backend in [CPUBackend.shared, ReferenceBackend.shared] as [any Backend] {
                let c = try FixtureCase(name), expected = c.expected
                let model = try SafeTensorsArchive(contentsOf: c.folder.appendingPathComponent("model.safetensors"))
                let names = model.entries.keys.sorted()
                XCTAssertFalse(names.isEmpty)
                let parameters = try names.map { try model.tensor($0) }
                for (p, n) in zip(parameters, names) { p.grad = try expected.tensor("grad.\(n)") }
                withBackend(backend) {
                    AdamW(parameters: parameters, learningRate: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1).step()
                }
                for (p, n) in zip(parameters, names) {
                    assertClose(p, try expected.tensor("adamw1.\(n)"), rtol: 1e-6, atol: 1e-7, "\(name) \(backend.name) \(n)")
                }
            }
        }
    }

    func testAdamWBiasCorrectionOverSeveralSteps() {
        // A scalar parameter with a constant gradient, against the formula in double.
        let p = Tensor([1], requiresGrad: true)
        let opt = AdamW(parameters: [p], learningRate: 0.1, weightDecay: 0.5)
        var (value, m, v) = (1.0, 0.0, 0.0)
        for t in 1...5 {
            p.grad = Tensor([0.3])
            opt.step()
            value *= 1 - 0.1 * 0.5
            m = 0.9 * m + 0.1 * 0.3
            v = 0.999 * v + 0.001 * 0.09
            value -= 0.1 / (1 - Foundation.pow(0.9, Double(t))) * m / (v.squareRoot() / (1 - Foundation.pow(0.999, Double(t))).squareRoot() + 1e-8)
            XCTAssertEqual(Double(p.item), value, accuracy: 1e-6, "step \(t)")
        }
        XCTAssertEqual(opt.steps, [5])
    }

    func testParametersWithoutGradientsAreSkipped() {
        let a = Tensor([1], requiresGrad: true), b = Tensor([1], requiresGrad: true)
        a.grad = Tensor([1])
        let opt = AdamW(parameters: [a, b], learningRate: 0.1)
        opt.step()
        XCTAssertNotEqual(a.item, 1)
        XCTAssertEqual(b.item, 1)
        XCTAssertEqual(opt.steps, [1, 0])
    }

    func testSGDWithMomentumAndWeightDecay() {
        let p = Tensor([1, -2], requiresGrad: true)
        let opt = SGD(parameters: [p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        var values: [Double] = [1, -2], buffer: [Double]? = nil
        for _ in 0..<3 {
            p.grad = Tensor([0.5, 0.25])
            opt.step()
            let g = zip([0.5, 0.25], values).map { $0 + 0.01 * $1 }
            buffer = buffer.map { zip($0, g).map { 0.9 * $0 + $1 } } ?? g
            values = zip(values, buffer!).map { $0 - 0.1 * $1 }
        }
        XCTAssertEqual(Double(p[0]), values[0], accuracy: 1e-6)
        XCTAssertEqual(Double(p[1]), values[1], accuracy: 1e-6)
    }

    func testLinearWarmupThenDecay() {
        let s = LinearWarmupDecay(peak: 1e-3, warmupSteps: 10, totalSteps: 110)
        XCTAssertEqual(s.learningRate(at: 0), 0)
        XCTAssertEqual(s.learningRate(at: 5), 5e-4, accuracy: 1e-12)
        XCTAssertEqual(s.learningRate(at: 10), 1e-3, accuracy: 1e-12)
        XCTAssertEqual(s.learningRate(at: 60), 5e-4, accuracy: 1e-12)
        XCTAssertEqual(s.learningRate(at: 110), 0)
        XCTAssertEqual(s.learningRate(at: 500), 0, "never negative past the horizon")
        XCTAssertEqual(ConstantSchedule(rate: 0.2).learningRate(at: 99), 0.2)
    }

    func testGradientNormClipping() {
        let a = Tensor([3, 0], requiresGrad: true), b = Tensor([4], requiresGrad: true)
        a.grad = Tensor([3, 0]); b.grad = Tensor([4])
        let norm = clipGradientNorm([a, b], maxNorm: 1)
        XCTAssertEqual(norm, 5, accuracy: 1e-9)
        XCTAssertEqual(Double(a.grad![0]), 3 / (5 + 1e-6), accuracy: 1e-6)
        XCTAssertEqual(Double(b.grad![0]), 4 / (5 + 1e-6), accuracy: 1e-6)
        // Below the limit nothing changes.
        let c = Tensor([0.1], requiresGrad: true)
        c.grad = Tensor([0.1])
        clipGradientNorm([c], maxNorm: 1)
        XCTAssertEqual(c.grad!.item, 0.1)
    }
}
