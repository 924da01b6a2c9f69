import Foundation
import XCTest
import TensorKit
import FixtureSupport

/// Random N(0, std²) values (a fresh tensor per call, from a seeded generator).
func randomTensor(_ shape: [Int], seed: UInt64, std: Float = 1, requiresGrad: Bool = false) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor.randomNormal(shape, std: std, using: &rng, requiresGrad: requiresGrad)
}

func randomIDs(_ shape: [Int], below bound: Int, seed: UInt64) -> IDTensor {
    var rng = RandomGenerator(seed: seed)
    return IDTensor(shape: shape, ids: (0..<Shape.count(shape)).map { _ in rng.nextInt(below: bound) })
}

/// Fresh copies of `inputs` that require gradients (so each evaluation starts clean).
func leaves(_ inputs: [Tensor]) -> [Tensor] {
    inputs.map { Tensor(shape: $0.shape, scalars: $0.scalars, requiresGrad: true) }
}

/// Runs `f` on the same inputs under the fast and the reference backend and compares the outputs
/// and the gradients of a random projection of the output.
func crossCheck(_ inputs: [Tensor], rtol: Float = 1e-4, atol: Float = 1e-5, _ what: String,
                file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) -> Tensor) {
    func run(_ backend: any Backend) -> (Tensor, [Tensor?]) {
        withBackend(backend) {
            let xs = leaves(inputs)
            let y = f(xs)
            if y.requiresGrad {
                let projection = randomTensor(y.shape, seed: 99)
                (y * projection).sum().backward()
            }
            return (y.detached(), xs.map(\.grad))
        }
    }
    let (fast, fastGrads) = run(CPUBackend.shared)
    let (slow, slowGrads) = run(ReferenceBackend.shared)
    assertClose(fast, slow, rtol: rtol, atol: atol, "\(what) forward", file: file, line: line)
    for (i, (g1, g2)) in zip(fastGrads, slowGrads).enumerated() {
        guard let g1, let g2 else { XCTAssertTrue(g1 == nil && g2 == nil, "\(what): gradient \(i) missing on one backend", file: file, line: line); continue }
        assertClose(g1, g2, rtol: rtol * 10, atol: atol * 10, "\(what) gradient \(i)", file: file, line: line)
    }
}

/// Checks the gradients of `Σ f(inputs)·R` (R a fixed random tensor) against central finite
/// differences, element by element (at most `maxElements` per input, spread over it).
func checkGradients(_ inputs: [Tensor], h: Float = 1e-2, rtol: Float = 2e-2, atol: Float = 2e-3,
                    maxElements: Int = 40, _ what: String,
                    file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) -> Tensor) {
    let xs = leaves(inputs)
    let y = f(xs)
    let projection = randomTensor(y.shape, seed: 12345)
    (y * projection).sum().backward()
    func loss(_ values: [Tensor]) -> Double {
        withoutGrad {
            let out = f(values).scalars, r = projection.scalars
            return zip(out, r).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
    }
    for (k, x) in xs.enumerated() {
        guard let grad = x.grad else { XCTFail("\(what): input \(k) got no gradient", file: file, line: line); continue }
        let stride = max(1, x.count / maxElements)
        for i in Swift.stride(from: 0, to: x.count, by: stride) {
            let plus = xs.map { $0.copy() }, minus = xs.map { $0.copy() }
            plus[k].pointer[i] += h
            minus[k].pointer[i] -= h
            let numeric = Float((loss(plus) - loss(minus)) / Double(2 * h))
            let analytic = grad.pointer[i]
            let tol = atol + rtol * max(abs(numeric), abs(analytic))
            if !(abs(numeric - analytic) <= tol) {
                XCTFail("\(what): d/d input \(k)[\(i)] analytic \(analytic) vs numeric \(numeric)", file: file, line: line)
                return
            }
            _ = (plus, minus)
        }
    }
}
