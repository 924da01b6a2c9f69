import XCTest
import TensorKit
import RecurrentDepth
import FixtureSupport
import ModelFixtureSupport

/// The model loaded from each fixture folder (config.json + model.safetensors, exactly as a
/// checkpoint) reproduces PyTorch: logits after every recurrence count, both losses, every
/// parameter's gradient, and one AdamW step from those gradients.
final class FixtureParityTests: XCTestCase {
    func check(_ name: String) throws {
        let c = try FixtureCase(name)
        let model = try Checkpoint.readModel(from: c.folder)
        let input = try c.input

        for k in 1...(try c.recurrence + 2) {
            let logits = try withoutGrad {
                let out = try model.run(input, recurrence: k)
                return model.readout(out.hidden!)
            }
            assertClose(logits, try c.expected.tensor("logits.r\(k)"), rtol: 1e-4, atol: 1e-4, "\(name) logits.r\(k)")
        }

        let plain = try withoutGrad { Tensor.crossEntropy(try model.monitoredLogits(input, recurrence: c.recurrence), targets: try c.labels) }
        let losses = try c.losses
        XCTAssertEqual(Double(plain.item), losses["loss_ls0.0"]!, accuracy: 1e-5 * abs(losses["loss_ls0.0"]!), "\(name) loss ε 0")
        let loss = Tensor.crossEntropy(try model.monitoredLogits(input, recurrence: c.recurrence), targets: try c.labels, labelSmoothing: 0.1)
        XCTAssertEqual(Double(loss.item), losses["loss_ls0.1"]!, accuracy: 1e-5 * abs(losses["loss_ls0.1"]!), "\(name) loss ε 0.1")

        loss.backward()
        for (key, p) in model.namedParameters {
            let expected = try c.expected.tensor("grad.\(key)")
            let scale = expected.scalars.map(abs).max() ?? 1
            assertClose(p.grad!, expected, rtol: 1e-3, atol: 1e-4 * scale, "\(name) grad.\(key)")
        }

        // One AdamW step (lr 1e-3, weight decay 0.1), as the fixture did. Adam divides by |g|, so an
        // entry whose true gradient is 0 — the key bias of c_attn, which softmax ignores — moves by
        // ±lr on rounding noise alone, differently on any two machines. Those entries are checked
        // from the fixture's own gradients; every other entry from the gradients computed here.
        let noiseFloor: Float = 1e-6
        var expectedGradients: [Tensor] = []
        let optimizer = AdamW(parameters: model.parameters, learningRate: 1e-3, weightDecay: 0.1)
        let before = model.parameters.map { $0.copy() }
        optimizer.step()
        var noiseEntries: [String] = []
        for (key, p) in model.namedParameters {
            let expectedGradient = try c.expected.tensor("grad.\(key)")
            expectedGradients.append(expectedGradient)
            let expected = try c.expected.tensor("adamw1.\(key)")
            let noisy = Set(expectedGradient.scalars.indices.filter { abs(expectedGradient.scalars[$0]) < noiseFloor })
            if !noisy.isEmpty { noiseEntries.append("\(key)×\(noisy.count)") }
            let mine = p.scalars.enumerated().map { noisy.contains($0.offset) ? expected.scalars[$0.offset] : $0.element }
            assertClose(Tensor(shape: p.shape, scalars: mine), expected, rtol: 1e-5, atol: 1e-6, "\(name) adamw1.\(key)")
        }
        // Essentially only the key bias is noise-dominated (its gradient is 0 in exact arithmetic).
        XCTAssertLessThanOrEqual(noiseEntries.filter { !$0.contains("attn.c_attn.bias") }.count, 1,
                                 "\(name): noise-level gradients in \(noiseEntries)")

        // The same step from the fixture's gradients reproduces every entry.
        for (i, p) in model.parameters.enumerated() {
            for j in 0..<p.count { p.pointer[j] = before[i].pointer[j] }
            p.grad = expectedGradients[i]
        }
        AdamW(parameters: model.parameters, learningRate: 1e-3, weightDecay: 0.1).step()
        for (key, p) in model.namedParameters {
            assertClose(p, try c.expected.tensor("adamw1.\(key)"), rtol: 1e-5, atol: 1e-6, "\(name) adamw1.\(key) from the fixture's gradients")
        }
    }

    func testLearnedPositionsThreeRecurrences() throws { try check("learned-r3") }
    func testNoPositionsWithInputInjection() throws { try check("nope-inject-r4") }
    func testSinusoidalPositions() throws { try check("sinusoidal-r2") }
}
