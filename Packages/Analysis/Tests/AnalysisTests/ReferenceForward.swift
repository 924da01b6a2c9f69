import Foundation
import TensorKit
import FixtureSupport

/// The recurrent-depth GPT-2 written out in Double, one example and one position at a time, from a
/// checkpoint's `config.json` and `model.safetensors`: the logit lens's expectation without any of
/// the code it checks (no RecurrentGPT2, no TensorKit arithmetic).
///
///     h₀ = token_embedding[ids] + position;  step s: h += h₀ if input injection and s > 0,
///     then per block: h += c_proj(attention(c_attn(ln_1 h))), h += mlp.c_proj(gelu(mlp.c_fc(ln_2 h)))
///     lens after a block: ln_f(h[position]) · token_embeddingᵀ
struct ReferenceForward {
    let d: Int, heads: Int, layers: Int, vocab: Int
    let positional: String
    let injection: Bool
    let eps: Double
    let weights: [String: [Double]]

    init(folder: URL) throws {
        let file = folder.appendingPathComponent("config.json")
        guard let config = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any] else {
            throw FixtureError(description: "\(file.path): not a JSON object")
        }
        func field<T>(_ key: String) throws -> T {
            guard let value = config[key] as? T else { throw FixtureError(description: "\(file.path): '\(key)' is missing or not a \(T.self)") }
            return value
        }
        (d, heads, layers, vocab) = (try field("n_embd"), try field("n_head"), try field("n_layer"), try field("vocab_size"))
        (positional, injection, eps) = (try field("positional_embedding_type"), try field("input_injection"), try field("layer_norm_epsilon"))
        let archive = try SafeTensorsArchive(contentsOf: folder.appendingPathComponent("model.safetensors"))
        var weights: [String: [Double]] = [:]
        for name in archive.entries.keys { weights[name] = try archive.tensor(name).scalars.map(Double.init) }
        self.weights = weights
    }

    /// Logits at each example's monitored position after every block of every step, as
    /// `[step][block]`, each `[example · V + token]`.
    func lens(ids: [[Int]], mask: [[Int]], positions: [Int], steps: Int) -> [[[Double]]] {
        var out = Array(repeating: Array(repeating: [Double](), count: layers), count: steps)
        let token = weights["token_embedding.weight"]!
        for (e, row) in ids.enumerated() {
            let embedded = row.enumerated().map { t, id in (0..<d).map { k in token[id * d + k] + position(t, k) } }
            var h = embedded
            for s in 0..<steps {
                if injection && s > 0 { h = add(h, embedded) }
                for l in 0..<layers {
                    h = block(l, h, mask: mask[e])
                    let x = layerNorm("ln_f", [h[positions[e]]])[0]
                    out[s][l] += (0..<vocab).map { v in (0..<d).reduce(0.0) { $0 + x[$1] * token[v * d + $1] } }
                }
            }
        }
        return out
    }

    /// Block `l` on one example's rows `[T][D]`.
    func block(_ l: Int, _ h: [[Double]], mask: [Int]) -> [[Double]] {
        let p = "blocks.\(l)."
        let qkv = linear(p + "attn.c_attn", layerNorm(p + "ln_1", h))
        let (t, hd) = (h.count, d / heads)
        var attended = Array(repeating: Array(repeating: 0.0, count: d), count: t)
        for head in 0..<heads {
            let (q, k, v) = (head * hd, d + head * hd, 2 * d + head * hd)
            for i in 0..<t {
                // Causal: keys 0...i; a padding key's score gets −10000.
                let scores = (0...i).map { j in
                    (0..<hd).reduce(0.0) { $0 + qkv[i][q + $1] * qkv[j][k + $1] } / Double(hd).squareRoot() + (mask[j] == 0 ? -10000 : 0)
                }
                let top = scores.max()!
                let weights = scores.map { Foundation.exp($0 - top) }, total = weights.reduce(0, +)
                for j in 0...i {
                    for x in 0..<hd { attended[i][q + x] += weights[j] / total * qkv[j][v + x] }
                }
            }
        }
        let h = add(h, linear(p + "attn.c_proj", attended))
        return add(h, linear(p + "mlp.c_proj", linear(p + "mlp.c_fc", layerNorm(p + "ln_2", h)).map { $0.map(gelu) }))
    }

    /// `x · W + b`, W stored `[inputs, outputs]`.
    func linear(_ name: String, _ x: [[Double]]) -> [[Double]] {
        let w = weights[name + ".weight"]!, b = weights[name + ".bias"]!, outputs = b.count
        return x.map { row in (0..<outputs).map { j in row.indices.reduce(b[j]) { $0 + row[$1] * w[$1 * outputs + j] } } }
    }

    func layerNorm(_ name: String, _ x: [[Double]]) -> [[Double]] {
        let g = weights[name + ".weight"]!, b = weights[name + ".bias"]!
        return x.map { row in
            let mean = row.reduce(0, +) / Double(row.count)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(row.count)
            return row.indices.map { (row[$0] - mean) / (variance + eps).squareRoot() * g[$0] + b[$0] }
        }
    }

    /// GPT-2's tanh approximation.
    func gelu(_ x: Double) -> Double { 0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x))) }

    func add(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] { zip(a, b).map { zip($0, $1).map(+) } }

    /// Learned positions, the sin/cos table (sin at even k, cos at odd, wavelength 10000^(k/d) for
    /// the pair's even k), or none.
    func position(_ t: Int, _ k: Int) -> Double {
        switch positional {
        case "learned": return weights["position_embedding.weight"]![t * d + k]
        case "sinusoidal":
            let angle = Double(t) / Foundation.pow(10000, Double(k - k % 2) / Double(d))
            return k % 2 == 0 ? Foundation.sin(angle) : Foundation.cos(angle)
        default: return 0
        }
    }
}
