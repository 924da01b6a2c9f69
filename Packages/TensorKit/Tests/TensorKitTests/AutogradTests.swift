import XCTest
import TensorKit
import FixtureSupport

final class AutogradTests: XCTestCase {
    /// The tied unembedding: one tensor used as an embedding table and as the output projection
    /// gets the sum of both gradients.
    func testTensorUsedTwiceGetsTheSumOfBothGradients() {
        let table = randomTensor([6, 4], seed: 1, requiresGrad: true)
        let ids = IDTensor([2, 5, 2])
        let h = table.gatherRows(ids)                                // [3, 4]
        let logits = Tensor.matmul(h, table, transposeB: true)        // [3, 6]
        let loss = Tensor.crossEntropy(logits, targets: IDTensor([1, 0, 3]))
        loss.backward()
        let both = table.grad!.scalars

        // The same two paths, each with its own copy of the table.
        let asEmbedding = Tensor(shape: table.shape, scalars: table.scalars, requiresGrad: true)
        let asProjection = Tensor(shape: table.shape, scalars: table.scalars, requiresGrad: true)
        Tensor.crossEntropy(Tensor.matmul(asEmbedding.gatherRows(ids), asProjection, transposeB: true),
                            targets: IDTensor([1, 0, 3])).backward()
        let sum = zip(asEmbedding.grad!.scalars, asProjection.grad!.scalars).map { $0 + $1 }
        assertClose(both, sum, "tied gradient")
        XCTAssertGreaterThan(asEmbedding.grad!.scalars.map(abs).max()!, 0)
        XCTAssertGreaterThan(asProjection.grad!.scalars.map(abs).max()!, 0)
    }

    func testGradientsAccumulateAcrossBackwardCalls() {
        let x = Tensor([1, 2, 3], requiresGrad: true)
        (x * x).sum().backward()
        XCTAssertEqual(x.grad!.scalars, [2, 4, 6])
        (x * 3).sum().backward()
        XCTAssertEqual(x.grad!.scalars, [5, 7, 9])
        x.zeroGrad()
        XCTAssertNil(x.grad)
    }

    func testSharedSubexpressionAndBroadcastGradients() {
        // y = a + a (same tensor twice in one op) and a used in two branches.
        let a = Tensor([1, 2], requiresGrad: true)
        let b = a + a
        ((b * a) + b).sum().backward()   // d/da (2a² + 2a) = 4a + 2
        XCTAssertEqual(a.grad!.scalars, [6, 10])
    }

    func testNoGradScopeRecordsNothing() {
        let x = Tensor([1, 2], requiresGrad: true)
        let y = withoutGrad { x * 2 }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertTrue(y.isLeaf)
        XCTAssertTrue(GradMode.isEnabled, "the scope restores grad mode")
        let z = x * 2
        XCTAssertTrue(z.requiresGrad)
        XCTAssertFalse(z.isLeaf)
        XCTAssertFalse(x.detached().requiresGrad)
    }

    func testOnlyInputsThatNeedGradientsGetThem() {
        let w = Tensor([1, 2], requiresGrad: true), c = Tensor([3, 4])
        (w * c).sum().backward()
        XCTAssertEqual(w.grad!.scalars, [3, 4])
        XCTAssertNil(c.grad)
    }

    func testExplicitSeedForNonScalarOutput() {
        let x = Tensor([1, 2, 3], requiresGrad: true)
        (x * x).backward(Tensor([1, 0, 2]))
        XCTAssertEqual(x.grad!.scalars, [2, 0, 12])
    }

    /// A long chain (a deep recurrence unrolled) must not overflow the stack.
    func testDeepGraph() {
        let x = Tensor([1], requiresGrad: true)
        var y = x
        for _ in 0..<20_000 { y = y * 1.0001 }
        y.sum().backward()
        XCTAssertEqual(Double(x.grad!.item), Foundation.pow(1.0001, 20_000), accuracy: 1e-2)
    }
}

import Foundation
