import TensorKit

/// What greedy decoding is asked to do.
public struct GenerationOptions: Sendable, Equatable {
    /// The recurrence r every token is computed at.
    public var recurrence: Int
    /// The most tokens generated per prompt (the stop token included).
    public var maxNewTokens: Int
    /// Generation of a prompt ends once it produces this token (e.g. `</a>`); nil: never early.
    public var stopToken: Int32?
    /// Decode with a key-value cache per layer call (`KVCache`); false re-runs the model's forward
    /// pass (`monitoredLogits`) on the whole grown sequence for every token, which is slower and
    /// computes the same.
    public var usesCache: Bool
    /// Keep every step's logits in `GeneratedSequence.logits` (vocabulary-sized rows per token).
    public var recordsLogits: Bool

    public init(recurrence: Int, maxNewTokens: Int, stopToken: Int32? = nil, usesCache: Bool = true, recordsLogits: Bool = false) {
        self.recurrence = recurrence
        self.maxNewTokens = maxNewTokens
        self.stopToken = stopToken
        self.usesCache = usesCache
        self.recordsLogits = recordsLogits
    }
}

/// One prompt's greedy continuation.
public struct GeneratedSequence: Sendable, Equatable {
    public var prompt: [Int32]
    /// The generated tokens in order, the stop token included when it came.
    public var tokens: [Int32] = []
    /// Whether generation ended at the stop token (else at `maxNewTokens`).
    public var stopped = false
    /// Per generated token, its logit minus the largest other logit: how clearly greedy chose it
    /// (0 on a tie).
    public var margins: [Float] = []
    /// Per generated token, the logits it was chosen from, when `recordsLogits`; else empty.
    public var logits: [[Float]] = []

    public init(prompt: [Int32]) { self.prompt = prompt }

    /// The generated tokens before the stop token: the answer, for a model trained to end it with one.
    public var answer: [Int32] { stopped ? Array(tokens.dropLast()) : tokens }
}

/// Greedy decoding of a `RecurrentGPT2` at a fixed recurrence.
///
/// With the cache, the prompts run once through the model as in the forward pass, each call
/// (step t, layer l) storing its keys and values in its own cache; each new token then runs alone
/// through the r steps and the layers, its call (t, l) attending to the cache of (t, l). Without
/// the cache, every token re-runs `monitoredLogits` on the whole sequence so far. Both give the
/// same tokens and, up to the order of float sums in attention, the same logits (tested).
///
/// Several prompts decode as one batch, each at its own length: right-padded for the prompt pass
/// (a causal row never reads the padding after it), then one row per prompt still generating. A
/// prompt that reaches its stop token leaves the batch. Input injection adds the new token's
/// embedding before every step after the first, as the forward pass does; `c_scale` only scales
/// weights at initialization, so decoding needs nothing for it. With learned or sinusoidal
/// positions, a prompt plus the tokens fed back must fit the position table (an error before any
/// work says how many new tokens fit); without positions (`none`) the length is unbounded.
///
/// Decoding is inference: no dropout and no autograd graph (`withoutGrad`).
extension RecurrentGPT2 {
    /// Greedy continuations of `prompts` (token ids), in order.
    public func generate(_ prompts: [[Int32]], options: GenerationOptions) throws -> [GeneratedSequence] {
        try generate(prompts, options: options, cacheLayout: .perCall)
    }

    /// One prompt's greedy continuation.
    public func generate(_ prompt: [Int32], options: GenerationOptions) throws -> GeneratedSequence {
        try generate([prompt], options: options)[0]
    }

    /// `generate` with a choice of cache layout: the tests decode with a cache shared across steps
    /// to show what the per-call layout is for.
    func generate(_ prompts: [[Int32]], options: GenerationOptions, cacheLayout: KVCache.Layout) throws -> [GeneratedSequence] {
        try checkGeneration(prompts, options: options)
        var state = GreedyState(prompts: prompts, options: options)
        try withoutGrad {
            if options.usesCache {
                decodeWithCache(&state, layout: cacheLayout)
            } else {
                while !state.active.isEmpty {
                    let sequences = state.active.map { state.sequences[$0].prompt + state.sequences[$0].tokens }
                    state.take(try monitoredLogits(Self.rightPadded(sequences), recurrence: options.recurrence))
                }
            }
        }
        return state.sequences
    }

    /// Fails before any work when the request cannot run: no prompts, an empty prompt, a token
    /// outside the vocabulary, a sequence longer than the position table.
    func checkGeneration(_ prompts: [[Int32]], options: GenerationOptions) throws {
        guard options.recurrence >= 1 else { throw RecurrentDepthError.invalidInput("recurrence must be at least 1, got \(options.recurrence)") }
        guard options.maxNewTokens >= 1 else { throw RecurrentDepthError.invalidInput("max new tokens must be at least 1, got \(options.maxNewTokens)") }
        guard !prompts.isEmpty else { throw RecurrentDepthError.invalidInput("no prompt to generate from") }
        if let stop = options.stopToken, !(0..<config.vocabSize).contains(Int(stop)) {
            throw RecurrentDepthError.invalidInput("stop token \(stop) is outside the vocabulary of \(config.vocabSize)")
        }
        for (e, prompt) in prompts.enumerated() {
            guard !prompt.isEmpty else { throw RecurrentDepthError.invalidInput("prompt \(e) is empty") }
            if let bad = prompt.first(where: { !(0..<config.vocabSize).contains(Int($0)) }) {
                throw RecurrentDepthError.invalidInput("token id \(bad) of prompt \(e) is outside the vocabulary of \(config.vocabSize)")
            }
            // The last generated token is never fed back: the model reads prompt + N − 1 positions.
            let needed = prompt.count + options.maxNewTokens - 1
            if config.positionalEmbedding != .none && needed > config.positions {
                let table = "the \(config.positionalEmbedding.rawValue) position table covers n_positions \(config.positions)"
                if prompt.count > config.positions {
                    throw RecurrentDepthError.invalidInput("prompt \(e) has \(prompt.count) tokens; \(table)")
                }
                throw RecurrentDepthError.invalidInput(
                    "prompt \(e) of \(prompt.count) tokens plus \(options.maxNewTokens) new tokens needs \(needed) positions; \(table), "
                        + "so at most \(config.positions - prompt.count + 1) new tokens fit")
            }
        }
    }

    /// The cached decoding: one pass over the prompts filling every (step, layer) cache, then one
    /// row per prompt still generating per token.
    private func decodeWithCache(_ state: inout GreedyState, layout: KVCache.Layout) {
        let r = state.options.recurrence, prompts = state.sequences.map(\.prompt)
        let width = prompts.map(\.count).max()!
        let cache = KVCache(recurrence: r, layers: blocks.count, batch: prompts.count,
                            length: width + state.options.maxNewTokens - 1, size: config.embeddingSize, layout: layout)

        // The prompts, right-padded: each block's keys and values of the real tokens go to the
        // cache of its call; attention is the forward pass's own.
        let input = Self.rightPadded(prompts)
        let embedded = embed(input.ids)
        var h = embedded
        for t in 0..<r {
            if config.inputInjection && t > 0 { h = h + embedded }
            for (l, block) in blocks.enumerated() {
                h = block(h, attending: { qkv in
                    for (e, prompt) in prompts.enumerated() {
                        for j in 0..<prompt.count { cache.store(qkv, row: e * width + j, example: e, position: j, step: t, layer: l) }
                    }
                    return Tensor.causalAttention(qkv, attentionMask: input.mask, heads: self.config.heads)
                })
            }
        }
        state.take(readout(rows(of: h, at: input.positions)))

        // Each new token alone, at its position, attending to its calls' caches.
        while !state.active.isEmpty {
            let rows = state.active.map { e in (example: e, position: state.sequences[e].prompt.count + state.sequences[e].tokens.count - 1) }
            var x = tokenEmbedding.gatherRows(IDTensor(shape: [rows.count], ids: state.active.map { state.sequences[$0].tokens.last! }))
            if let table = positionTable { x = x + table.gatherRows(IDTensor(rows.map(\.position))) }
            var h = x
            for t in 0..<r {
                if config.inputInjection && t > 0 { h = h + x }
                for (l, block) in blocks.enumerated() {
                    h = block(h, attending: { qkv in
                        for (i, row) in rows.enumerated() {
                            cache.store(qkv, row: i, example: row.example, position: row.position, step: t, layer: l)
                        }
                        return cache.attend(qkv, rows: rows, step: t, layer: l, heads: self.config.heads)
                    })
                }
            }
            state.take(readout(h))
        }
    }

    /// Sequences right-padded with id 0 into one batch, mask 1 on tokens, each read at its last token.
    static func rightPadded(_ sequences: [[Int32]]) -> ModelInput {
        let width = sequences.map(\.count).max()!
        var ids = [Int32](repeating: 0, count: sequences.count * width)
        var mask = [Float](repeating: 0, count: sequences.count * width)
        for (e, sequence) in sequences.enumerated() {
            for (j, id) in sequence.enumerated() { ids[e * width + j] = id; mask[e * width + j] = 1 }
        }
        return ModelInput(ids: IDTensor(shape: [sequences.count, width], ids: ids),
                          mask: Tensor(shape: [sequences.count, width], scalars: mask), positions: sequences.map { $0.count - 1 })
    }
}

/// Every prompt's generation so far. Both decoding paths hand it each step's logits, one row per
/// prompt still generating (`active`, in order); it picks the tokens and drops the prompts that are done.
struct GreedyState {
    let options: GenerationOptions
    var sequences: [GeneratedSequence]
    /// The prompts still generating, ascending.
    private(set) var active: [Int]

    init(prompts: [[Int32]], options: GenerationOptions) {
        self.options = options
        sequences = prompts.map(GeneratedSequence.init(prompt:))
        active = Array(prompts.indices)
    }

    /// Takes logits `[active.count, V]`: each row's argmax (the first of ties, as `Tensor.argmax`)
    /// and its margin over the largest other logit.
    mutating func take(_ logits: Tensor) {
        let v = logits.shape[logits.rank - 1]
        precondition(logits.count == active.count * v, "GreedyState: logits \(logits.shape) for \(active.count) prompts")
        var still: [Int] = []
        for (i, e) in active.enumerated() {
            let row = UnsafeBufferPointer(start: logits.pointer + i * v, count: v)
            var best = 0
            for j in 1..<v where row[j] > row[best] { best = j }
            var other = -Float.infinity
            for j in 0..<v where j != best { other = max(other, row[j]) }
            let token = Int32(best)
            sequences[e].tokens.append(token)
            sequences[e].margins.append(v > 1 ? row[best] - other : 0)
            if options.recordsLogits { sequences[e].logits.append(Array(row)) }
            if token == options.stopToken {
                sequences[e].stopped = true
            } else if sequences[e].tokens.count < options.maxNewTokens {
                still.append(e)
            }
        }
        active = still
    }
}
