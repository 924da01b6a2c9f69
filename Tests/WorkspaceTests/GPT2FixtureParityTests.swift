import Foundation
import XCTest
import TensorKit

/// TensorKit's ops composed into the recurrent-depth GPT-2 of DESIGN.md reproduce PyTorch's
/// logits after every recurrence count, both losses and every parameter's gradient, for each
/// case in Fixtures/recurrent-gpt2. This pins the op semantics (attention masks, layer norm, GELU,
/// tied unembedding, label smoothing) before any model code is built on them.
final class GPT2FixtureParityTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/recurrent-gpt2")

    struct Case {
        var config: [String: Any]
        var json: [String: Any]
        var weights: [String: Tensor]
        var expected: SafeTensorsArchive
        var int: (String) -> Int { { (self.config[$0] as! NSNumber).intValue } }
    }

    func load(_ name: String) throws -> Case {
        let folder = Self.root.appendingPathComponent(name)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as! [String: Any]
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("case.json"))) as! [String: Any]
        let model = try SafeTensorsArchive(contentsOf: folder.appendingPathComponent("model.safetensors"))
        var weights: [String: Tensor] = [:]
        for key in model.entries.keys { weights[key] = try model.tensor(key) }
        let expected = try SafeTensorsArchive(contentsOf: folder.appendingPathComponent("expected.safetensors"))
        return Case(config: config, json: json, weights: weights, expected: expected)
    }

    /// logits [B, T, V] after `iterations` passes of the block stack.
    func forward(_ c: Case, ids: IDTensor, mask: Tensor, iterations: Int) -> Tensor {
        let w = c.weights
        let (b, t) = (ids.shape[0], ids.shape[1])
        let d = c.int("n_embd"), heads = c.int("n_head"), layers = c.int("n_layer")
        let eps = Float((c.config["layer_norm_epsilon"] as! NSNumber).doubleValue)
        var h = w["token_embedding.weight"]!.gatherRows(ids)
        switch c.config["positional_embedding_type"] as! String {
        case "learned": h = h + w["position_embedding.weight"]!.sliced(axis: 0, 0..<t)
        case "sinusoidal":
            var table = [Float](repeating: 0, count: t * d)
            for p in 0..<t {
                for i in stride(from: 0, to: d, by: 2) {
                    let angle = Double(p) * Foundation.exp(Double(i) * -Foundation.log(10000.0) / Double(d))
                    table[p * d + i] = Float(Foundation.sin(angle))
                    if i + 1 < d { table[p * d + i + 1] = Float(Foundation.cos(angle)) }
                }
            }
            h = h + Tensor(shape: [t, d], scalars: table)
        default: break
        }
        let embedded = h
        for step in 0..<iterations {
            if (c.config["input_injection"] as! Bool) && step > 0 { h = h + embedded }
            for layer in 0..<layers {
                let p = "blocks.\(layer)."
                func linear(_ x: Tensor, _ name: String) -> Tensor {
                    Tensor.matmul(x, w[p + name + ".weight"]!) + w[p + name + ".bias"]!
                }
                let a = Tensor.layerNorm(h, weight: w[p + "ln_1.weight"]!, bias: w[p + "ln_1.bias"]!, eps: eps)
                h = h + linear(Tensor.causalAttention(linear(a, "attn.c_attn"), attentionMask: mask, heads: heads), "attn.c_proj")
                let m = Tensor.layerNorm(h, weight: w[p + "ln_2.weight"]!, bias: w[p + "ln_2.bias"]!, eps: eps)
                h = h + linear(linear(m, "mlp.c_fc").gelu(), "mlp.c_proj")
            }
        }
        _ = b
        let normed = Tensor.layerNorm(h, weight: w["ln_f.weight"]!, bias: w["ln_f.bias"]!, eps: eps)
        return Tensor.matmul(normed, w["token_embedding.weight"]!, transposeB: true)
    }

    func check(_ name: String) throws {
        let c = try load(name)
        let idRows = c.json["input_ids"] as! [[Int]], maskRows = c.json["attention_mask"] as! [[Int]]
        let (b, t) = (idRows.count, idRows[0].count)
        let ids = IDTensor(shape: [b, t], ids: idRows.flatMap { $0 })
        let mask = Tensor(shape: [b, t], scalars: maskRows.flatMap { $0.map(Float.init) })
        let recurrence = c.json["recurrence"] as! Int

        for k in 1...(recurrence + 2) {
            let logits = withoutGrad { forward(c, ids: ids, mask: mask, iterations: k) }
            assertClose(logits, try c.expected.tensor("logits.r\(k)"), rtol: 1e-4, atol: 1e-4, "\(name) logits.r\(k)")
        }

        let lengths = c.json["input_lengths"] as! [Int], targets = IDTensor(c.json["targets"] as! [Int])
        let positions = (c.json["pred_pos"] as! String) == "last_token" ? lengths.map { _ in t - 1 } : lengths.map { $0 - 1 }
        for p in c.weights.values { p.requiresGrad = true }
        let logits = forward(c, ids: ids, mask: mask, iterations: recurrence)
        let vocab = logits.shape[2]
        let picked = logits.reshaped([b * t, vocab]).gatherRows(IDTensor(positions.enumerated().map { $0.offset * t + $0.element }))
        let losses = c.json["losses"] as! [String: Double]
        let plain = withoutGrad { Tensor.crossEntropy(picked, targets: targets, labelSmoothing: 0) }
        XCTAssertEqual(Double(plain.item), losses["loss_ls0.0"]!, accuracy: 1e-5 * abs(losses["loss_ls0.0"]!), "\(name) loss ε 0")
        let loss = Tensor.crossEntropy(picked, targets: targets, labelSmoothing: 0.1)
        XCTAssertEqual(Double(loss.item), losses["loss_ls0.1"]!, accuracy: 1e-5 * abs(losses["loss_ls0.1"]!), "\(name) loss ε 0.1")
        loss.backward()
        for (key, p) in c.weights {
            let expected = try c.expected.tensor("grad.\(key)")
            let scale = expected.scalars.map(abs).max() ?? 1
            assertClose(p.grad!, expected, rtol: 1e-3, atol: 1e-4 * scale, "\(name) grad.\(key)")
        }
    }

    func testLearnedPositionsThreeRecurrences() throws { try check("learned-r3") }
    func testNoPositionsWithInputInjection() throws { try check("nope-inject-r4") }
    func testSinusoidalPositions() throws { try check("sinusoidal-r2") }
}

func assertClose(_ a: Tensor, _ b: Tensor, rtol: Float, atol: Float, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, "\(what): shapes differ", file: file, line: line)
    let (x, y) = (a.scalars, b.scalars)
    var worst: (Int, Float) = (-1, 0)
    for i in 0..<min(x.count, y.count) {
        let excess = abs(x[i] - y[i]) - (atol + rtol * max(abs(x[i]), abs(y[i])))
        if excess > worst.1 || excess.isNaN { worst = (i, excess.isNaN ? .infinity : excess) }
    }
    if worst.0 >= 0 { XCTFail("\(what): element \(worst.0) differs: \(x[worst.0]) vs \(y[worst.0])", file: file, line: line) }
}
