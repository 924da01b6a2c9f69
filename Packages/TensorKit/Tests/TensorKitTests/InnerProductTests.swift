import Foundation
import XCTest
import TensorKit
import FixtureSupport

/// `Tensor.dot`, `norm()` and `Tensor.cosineSimilarity`: values against plain double arithmetic on
/// both backends, gradients against finite differences, and the zero tensor.
final class InnerProductTests: XCTestCase {
    /// Sizes below one SIMD step, ragged ones, and past the CPU kernel's 4096-element blocks.
    let sizes = [1, 7, 17, 129, 4096 * 2 + 5]

    func plainDot(_ a: Tensor, _ b: Tensor) -> Double {
        zip(a.scalars, b.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    func testValuesMatchDoubleArithmeticOnBothBackends() {
        for (i, n) in sizes.enumerated() {
            let a = randomTensor([n], seed: UInt64(i)), b = randomTensor([n], seed: UInt64(50 + i))
            let dot = plainDot(a, b), na = plainDot(a, a).squareRoot(), nb = plainDot(b, b).squareRoot()
            for backend in [CPUBackend.shared, ReferenceBackend.shared] as [any Backend] {
                withBackend(backend) {
                    XCTAssertEqual(Double(Tensor.dot(a, b).item), dot, accuracy: 1e-6 * max(1, abs(dot)), "dot \(n) on \(backend.name)")
                    XCTAssertEqual(Double(a.norm().item), na, accuracy: 1e-6 * na, "norm \(n) on \(backend.name)")
                    XCTAssertEqual(Double(Tensor.cosineSimilarity(a, b).item), dot / (na * nb), accuracy: 1e-7,
                                   "cosine \(n) on \(backend.name)")
                }
            }
        }
    }

    /// The shapes are read as flat vectors: a [2, 3, 4] tensor is 24 numbers.
    func testAnyShapeIsFlattened() {
        let a = randomTensor([2, 3, 4], seed: 1), b = randomTensor([2, 3, 4], seed: 2)
        let flatA = a.reshaped([24]), flatB = b.reshaped([24])
        XCTAssertEqual(Tensor.dot(a, b).item, Tensor.dot(flatA, flatB).item)
        XCTAssertEqual(Tensor.cosineSimilarity(a, b).item, Tensor.cosineSimilarity(flatA, flatB).item)
        XCTAssertEqual(Tensor.dot(a, b).shape, [])
    }

    func testGradientsMatchFiniteDifferences() {
        for shape in [[5], [3, 4], [2, 3, 4]] {
            let a = randomTensor(shape, seed: 3), b = randomTensor(shape, seed: 4)
            checkGradients([a, b], "dot \(shape)") { Tensor.dot($0[0], $0[1]) }
            checkGradients([a], "norm \(shape)") { $0[0].norm() }
            checkGradients([a, b], "cosine \(shape)") { Tensor.cosineSimilarity($0[0], $0[1]) }
            // The same tensor on both sides: the two gradients add up (cos(a, a) = 1 everywhere, so 0).
            checkGradients([a], "cosine with itself \(shape)") { Tensor.cosineSimilarity($0[0], $0[0]) }
        }
    }

    func testBackendsAgreeOnValuesAndGradients() {
        for (i, n) in sizes.enumerated() {
            let a = randomTensor([n], seed: UInt64(10 + i)), b = randomTensor([n], seed: UInt64(60 + i))
            crossCheck([a, b], "dot \(n)") { Tensor.dot($0[0], $0[1]) }
            crossCheck([a], "norm \(n)") { $0[0].norm() }
            crossCheck([a, b], "cosine \(n)") { Tensor.cosineSimilarity($0[0], $0[1]) }
        }
    }

    /// The kernel sums fixed blocks in a fixed order, so the thread count does not change a bit.
    func testSameBitsOnOneAndTwoThreads() {
        let a = randomTensor([4096 * 5 + 3], seed: 8), b = randomTensor([4096 * 5 + 3], seed: 9)
        let one = withBackend(CPUBackend(threads: 1)) { [Tensor.dot(a, b).item, Tensor.cosineSimilarity(a, b).item] }
        let two = withBackend(CPUBackend(threads: 2)) { [Tensor.dot(a, b).item, Tensor.cosineSimilarity(a, b).item] }
        XCTAssertEqual(one, two)
    }

    func testCosineIsScaleFreeAndSigned() {
        let a = randomTensor([3, 5], seed: 5)
        XCTAssertEqual(Tensor.cosineSimilarity(a, a * 3).item, 1, accuracy: 1e-6)
        XCTAssertEqual(Tensor.cosineSimilarity(a, a * -0.5).item, -1, accuracy: 1e-6)
        let x = Tensor([1, 0]), y = Tensor([0, 2])
        XCTAssertEqual(Tensor.cosineSimilarity(x, y).item, 0)
    }

    /// A zero tensor has no direction: cosine 0, and no push on either input (not 1/ε).
    func testZeroTensorHasCosineZeroAndZeroGradient() {
        let zero = Tensor(zeros: [2, 3], requiresGrad: true), other = randomTensor([2, 3], seed: 6, requiresGrad: true)
        let cosine = Tensor.cosineSimilarity(zero, other)
        XCTAssertEqual(cosine.item, 0)
        cosine.backward()
        XCTAssertEqual(zero.grad?.scalars, [Float](repeating: 0, count: 6))
        XCTAssertEqual(other.grad?.scalars, [Float](repeating: 0, count: 6))
        let norm = Tensor(zeros: [4], requiresGrad: true)
        norm.norm().backward()
        XCTAssertEqual(norm.grad?.scalars, [0, 0, 0, 0])
    }
}
