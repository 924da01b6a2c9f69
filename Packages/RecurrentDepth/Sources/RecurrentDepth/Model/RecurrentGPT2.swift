import Foundation
import TensorKit

/// The recurrent-depth GPT-2 of "Loop, Think & Generalize": one stack of pre-LN blocks applied r
/// times to the embedded input, then `ln_f` and the unembedding tied to the token embedding.
///
///     h_embed = dropout(token_embedding[ids] + position(T))          // [B, T, D]
///     h = h_embed
///     for t in 0..<r { if inputInjection && t > 0 { h += h_embed };  for block in blocks { h = block(h) } }
///     logits = ln_f(h) · token_embeddingᵀ                             // [.., V]
///
/// A vanilla transformer is the same model with r = 1. Parameter names are the reference's.
public final class RecurrentGPT2 {
    public let config: ModelConfig
    /// `[V, D]`, also the unembedding.
    public let tokenEmbedding: Tensor
    /// `[n_positions, D]` for learned positions, else nil.
    public let positionEmbedding: Tensor?
    public let blocks: [TransformerBlock]
    public let finalNorm: LayerNormWeights
    /// The fixed sin/cos table `[n_positions, D]` for sinusoidal positions (not a parameter).
    let sinusoids: Tensor?

    /// A fresh model with the reference's initialization: embeddings N(0, 1), projection weights
    /// N(0, 0.02), biases 0, LayerNorms 1/0, then `c_scale` on both `c_proj` weights.
    public convenience init(config: ModelConfig, generator: inout RandomGenerator) throws {
        try Self.check(config, source: "model config")
        let d = config.embeddingSize
        let token = Tensor.randomNormal([config.vocabSize, d], using: &generator)
        let position = config.positionalEmbedding == .learned ? Tensor.randomNormal([config.positions, d], using: &generator) : nil
        var blocks: [TransformerBlock] = []
        for _ in 0..<config.layers { blocks.append(TransformerBlock(config: config, generator: &generator)) }
        self.init(config: config, tokenEmbedding: token, positionEmbedding: position, blocks: blocks,
                  finalNorm: LayerNormWeights(size: d, eps: config.layerNormEpsilon))
    }

    /// A model from a state dict in the reference's names; every tensor the config needs must be
    /// present with its shape, and nothing else (a tied `lm_head.weight` equal to the token
    /// embedding is accepted and ignored). `source` names the file in errors.
    public convenience init(config: ModelConfig, weights: [String: Tensor], source: String = "state dict") throws {
        try Self.check(config, source: source)
        let d = config.embeddingSize, eps = config.layerNormEpsilon
        var remaining = weights
        func take(_ name: String, _ shape: [Int]) throws -> Tensor {
            guard let t = remaining.removeValue(forKey: name) else { throw RecurrentDepthError.missingTensor(name, file: source) }
            guard t.shape == shape else { throw RecurrentDepthError.wrongShape(name, file: source, expected: shape, found: t.shape) }
            return t
        }
        let token = try take("token_embedding.weight", [config.vocabSize, d])
        let position = config.positionalEmbedding == .learned ? try take("position_embedding.weight", [config.positions, d]) : nil
        var blocks: [TransformerBlock] = []
        for i in 0..<config.layers {
            let p = "blocks.\(i)."
            func linear(_ name: String, _ inputs: Int, _ outputs: Int) throws -> Linear {
                Linear(weight: try take(p + name + ".weight", [inputs, outputs]), bias: try take(p + name + ".bias", [outputs]))
            }
            func norm(_ name: String) throws -> LayerNormWeights {
                LayerNormWeights(weight: try take(p + name + ".weight", [d]), bias: try take(p + name + ".bias", [d]), eps: eps)
            }
            blocks.append(TransformerBlock(ln1: try norm("ln_1"), attention: try linear("attn.c_attn", d, 3 * d),
                                           attentionProjection: try linear("attn.c_proj", d, d), ln2: try norm("ln_2"),
                                           feedForward: try linear("mlp.c_fc", d, 4 * d),
                                           feedForwardProjection: try linear("mlp.c_proj", 4 * d, d), heads: config.heads))
        }
        let final = LayerNormWeights(weight: try take("ln_f.weight", [d]), bias: try take("ln_f.bias", [d]), eps: eps)
        if let head = remaining.removeValue(forKey: "lm_head.weight"), head.shape != token.shape || head.scalars != token.scalars {
            throw RecurrentDepthError.configMismatch("lm_head.weight differs from token_embedding.weight; this model ties them", file: source)
        }
        if let extra = remaining.keys.sorted().first {
            throw RecurrentDepthError.unexpectedTensor(extra, file: source)
        }
        self.init(config: config, tokenEmbedding: token, positionEmbedding: position, blocks: blocks, finalNorm: final)
    }

    init(config: ModelConfig, tokenEmbedding: Tensor, positionEmbedding: Tensor?, blocks: [TransformerBlock], finalNorm: LayerNormWeights) {
        self.config = config
        self.tokenEmbedding = tokenEmbedding
        self.positionEmbedding = positionEmbedding
        self.blocks = blocks
        self.finalNorm = finalNorm
        sinusoids = config.positionalEmbedding == .sinusoidal ? Self.sinusoidTable(positions: config.positions, size: config.embeddingSize) : nil
        for (_, p) in namedParameters { p.requiresGrad = true }
    }

    static func check(_ config: ModelConfig, source: String) throws {
        let problems = config.problems
        if !problems.isEmpty { throw RecurrentDepthError.invalidConfig(source, problems: problems) }
    }

    /// Every parameter under its state_dict name, in the reference's order.
    public var namedParameters: [(String, Tensor)] {
        var all: [(String, Tensor)] = [("token_embedding.weight", tokenEmbedding)]
        if let positionEmbedding { all.append(("position_embedding.weight", positionEmbedding)) }
        for (i, block) in blocks.enumerated() {
            all += block.namedParameters.map { ("blocks.\(i).\($0.0)", $0.1) }
        }
        return all + [("ln_f.weight", finalNorm.weight), ("ln_f.bias", finalNorm.bias)]
    }

    public var parameters: [Tensor] { namedParameters.map(\.1) }

    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    // MARK: - Forward

    /// The embedded input `[B, T, D]`: token embedding plus positions, then embedding dropout.
    /// `columns` gives each column's position when they are not `0..<T` (a pass on fewer columns).
    public func embed(_ ids: IDTensor, columns: [Int]? = nil, dropout: Dropout? = nil) -> Tensor {
        let t = ids.shape[1]
        var h = tokenEmbedding.gatherRows(ids)
        if let table = positionTable {
            h = h + (columns.map { table.gatherRows(IDTensor($0)) } ?? table.sliced(axis: 0, 0..<t))
        }
        return Dropout.apply(dropout, \.embedding, to: h)
    }

    /// Learned position embeddings or the sinusoid table; nil without positions.
    var positionTable: Tensor? { positionEmbedding ?? sinusoids }

    /// `ln_f` then the tied unembedding, on hidden states `[..., D]` → logits `[..., V]`.
    public func readout(_ hidden: Tensor) -> Tensor {
        Tensor.matmul(finalNorm(hidden), tokenEmbedding, transposeB: true)
    }

    /// The rows `hidden[b, positions[b]]` of `[B, T, D]`, as `[B, D]`.
    public func rows(of hidden: Tensor, at positions: [Int]) -> Tensor {
        let (b, t, d) = (hidden.shape[0], hidden.shape[1], hidden.shape[2])
        return hidden.reshaped([b * t, d]).gatherRows(IDTensor(positions.enumerated().map { $0.offset * t + $0.element }))
    }

    /// Checks an input against the model before any work: shapes, ids in the vocabulary, a length
    /// the position table covers, monitored positions inside the sequence.
    public func validate(_ input: ModelInput) throws {
        let (b, t) = (input.ids.shape.first ?? 0, input.ids.shape.count == 2 ? input.ids.shape[1] : 0)
        guard input.ids.shape.count == 2, b > 0, t > 0 else { throw RecurrentDepthError.invalidInput("ids must be [batch, length] and non-empty, got \(input.ids.shape)") }
        guard input.mask.shape == [b, t] else { throw RecurrentDepthError.invalidInput("mask is \(input.mask.shape), ids are [\(b), \(t)]") }
        let mask = input.mask.scalars
        if let bad = mask.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw RecurrentDepthError.invalidInput("mask value \(mask[bad]) of example \(bad / t) at position \(bad % t) is neither 1 (token) nor 0 (padding)")
        }
        guard input.positions.count == b else { throw RecurrentDepthError.invalidInput("\(input.positions.count) monitored positions for \(b) examples") }
        if config.positionalEmbedding != .none && t > config.positions {
            throw RecurrentDepthError.invalidInput("sequence length \(t) exceeds n_positions \(config.positions)")
        }
        if let bad = input.ids.ids.firstIndex(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
            throw RecurrentDepthError.invalidInput("token id \(input.ids.ids[bad]) of example \(bad / t) is outside the vocabulary of \(config.vocabSize)")
        }
        if let bad = input.positions.firstIndex(where: { !(0..<t).contains($0) }) {
            throw RecurrentDepthError.invalidInput("monitored position \(input.positions[bad]) of example \(bad) is outside 0..<\(t)")
        }
        if let spans = input.spans {
            guard spans.count == b else { throw RecurrentDepthError.invalidInput("\(spans.count) spans for \(b) examples") }
            for (e, s) in spans.enumerated() {
                let p = input.positions[e]
                guard s >= 1, p - s + 1 >= 0 else {
                    throw RecurrentDepthError.invalidInput("example \(e) reads \(s) positions ending at \(p)")
                }
                if let bad = (p - s + 1...p).first(where: { mask[e * t + $0] == 0 }) {
                    throw RecurrentDepthError.invalidInput("example \(e) reads \(s) positions ending at \(p), but position \(bad) is padding "
                                                           + "(answers of several tokens are read at their input's last tokens, inp_len)")
                }
            }
        }
    }

    /// Runs the block stack `recurrence` times and returns the final hidden states of the examples
    /// still running (all of them unless the observer stopped some).
    ///
    /// - observer: sees every step (and, if it asks, every block) and may stop examples early. If it
    ///   reads the monitored positions only (`readsMonitoredPositionsOnly`), the pass runs on the
    ///   columns those rows read (`LiveColumns`), and the output's columns and positions say which.
    /// - dropout: training-time dropout; nil evaluates deterministically.
    /// - gradientSteps: truncated backpropagation — only the last `k` steps are recorded for the
    ///   gradient (the earlier ones run without a graph, so their activations are not kept).
    public func run(_ input: ModelInput, recurrence: Int, observer: RecurrenceObserver? = nil,
                    dropout: Dropout? = nil, gradientSteps: Int? = nil) throws -> RecurrenceOutput {
        try validate(input)
        if observer != nil, input.spans != nil {
            throw RecurrentDepthError.invalidInput("an observer watches one answer position per example; this input reads spans of several")
        }
        try checkRecurrence(recurrence, gradientSteps: gradientSteps)
        let pass = recur(PassRows(input, observer: observer), recurrence: recurrence, observer: observer, dropout: dropout,
                         gradientSteps: gradientSteps, monitoredRowsOnly: false)
        return RecurrenceOutput(hidden: pass.hidden, columns: pass.rows.allColumns, examples: pass.examples,
                                positions: pass.rows.input.positions, stepsRun: pass.stepsRun)
    }

    /// Logits `[B, V]` at the monitored positions after `recurrence` steps (the training loss's
    /// input); with spans, `[N, V]` at every read position (`ModelInput.readPositions`). Only those rows are read, so the pass computes only what reaches them (`PassRows`):
    /// the logits are bit for bit those of `run`'s full pass.
    public func monitoredLogits(_ input: ModelInput, recurrence: Int, dropout: Dropout? = nil, gradientSteps: Int? = nil) throws -> Tensor {
        try validate(input)
        try checkRecurrence(recurrence, gradientSteps: gradientSteps)
        let pass = recur(PassRows(monitoredLogitsOf: input, dropout: dropout), recurrence: recurrence, observer: nil,
                         dropout: dropout, gradientSteps: gradientSteps, monitoredRowsOnly: true)
        return readout(pass.hidden!)
    }

    /// The recurrence itself, on the rows `rows` describes:
    ///
    ///     h = embedded
    ///     for t in 0..<r { if inputInjection && t > 0 { h += embedded };  for block in blocks { h = block(h) } }
    ///
    /// With `monitoredRowsOnly`, the very last block returns the monitored rows alone (`[B, D]`).
    /// An observer sees each step and block; the examples it stops leave the batch.
    private func recur(_ rows: PassRows, recurrence: Int, observer: RecurrenceObserver?, dropout: Dropout?,
                       gradientSteps: Int?, monitoredRowsOnly: Bool) -> (hidden: Tensor?, rows: PassRows, examples: [Int], stepsRun: Int) {
        var rows = rows
        var embedded = rows.embed(self, dropout: dropout)
        var h = embedded
        var examples = Array(0..<rows.batch)
        let columns = rows.allColumns
        func state(_ t: Int, _ layer: Int?) -> RecurrenceStep {
            RecurrenceStep(index: t, layer: layer, hidden: h, columns: columns, examples: examples, positions: rows.input.positions, model: self)
        }
        let firstRecorded = recurrence - min(gradientSteps ?? recurrence, recurrence)
        var stepsRun = 0
        for t in 0..<recurrence {
            let step = {
                if self.config.inputInjection && t > 0 { h = h + embedded }
                for (l, block) in self.blocks.enumerated() {
                    let last = monitoredRowsOnly && t == recurrence - 1 && l == self.blocks.count - 1
                    h = block(h, rows: rows, dropout: dropout, monitoredOnly: last)
                    if let observer, observer.observesLayers { observer.layerDidFinish(state(t, l)) }
                }
            }
            if t < firstRecorded { withoutGrad(step); h = h.detached() } else { step() }
            stepsRun = t + 1
            guard let observer else { continue }
            let stopped = observer.recurrenceDidFinish(state(t, nil))
            if stopped.isEmpty { continue }
            let keep = examples.indices.filter { !stopped.contains(examples[$0]) }
            if keep.isEmpty { examples = []; break }
            if keep.count < examples.count {
                h = Self.selectRows(h, keep)
                embedded = Self.selectRows(embedded, keep)
                rows = rows.keeping(keep)
                examples = keep.map { examples[$0] }
            }
        }
        return (examples.isEmpty ? nil : h, rows, examples, stepsRun)
    }

    /// The recurrence and truncation arguments of `run` and `monitoredLogits`: at least 1 each.
    func checkRecurrence(_ recurrence: Int, gradientSteps: Int?) throws {
        guard recurrence >= 1 else { throw RecurrentDepthError.invalidInput("recurrence must be at least 1, got \(recurrence)") }
        if let k = gradientSteps, k < 1 { throw RecurrentDepthError.invalidInput("gradient steps must be at least 1, got \(k)") }
    }

    /// Rows `rows` of a tensor's first axis.
    public static func selectRows(_ x: Tensor, _ rows: [Int]) -> Tensor {
        let inner = x.count / x.shape[0]
        return x.reshaped([x.shape[0], inner]).gatherRows(IDTensor(rows)).reshaped([rows.count] + x.shape.dropFirst())
    }

    /// sin at even dims, cos at odd dims, angle `p · 10000^(−2i/d)` for the pair starting at 2i.
    public static func sinusoidTable(positions: Int, size d: Int) -> Tensor {
        var table = [Float](repeating: 0, count: positions * d)
        for p in 0..<positions {
            for i in stride(from: 0, to: d, by: 2) {
                let angle = Double(p) * Foundation.exp(Double(i) * -Foundation.log(10000.0) / Double(d))
                table[p * d + i] = Float(Foundation.sin(angle))
                if i + 1 < d { table[p * d + i + 1] = Float(Foundation.cos(angle)) }
            }
        }
        return Tensor(shape: [positions, d], scalars: table)
    }
}

/// What a forward pass leaves: the final hidden states `[running, T, D]` (nil when every example
/// stopped early), which batch examples they belong to, and how many steps ran.
public struct RecurrenceOutput {
    public let hidden: Tensor?
    /// The position in the input of each column of `hidden` (`0..<T` unless the observer let the
    /// pass drop columns).
    public let columns: [Int]
    public let examples: [Int]
    /// For each row of `hidden`, the column whose logits answer.
    public let positions: [Int]
    public let stepsRun: Int
}
