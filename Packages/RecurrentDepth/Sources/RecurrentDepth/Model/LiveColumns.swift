import TensorKit

/// The positions a pass that reads only the monitored positions cannot do without, when some
/// columns of the padded batch can be dropped.
///
/// Attention is causal and a padding key's score gets −10000, so its weight is exactly 0 (exp
/// underflows) as long as the row has an unmasked key: the row at a monitored position p reads
/// itself and the unmasked positions before p, and each of those reads itself and the unmasked
/// positions before it. A column no example needs that way (padding between the longest input and
/// a `last_token` position at `max_len − 1`, or everything after the last `inp_len` position) only
/// feeds rows nobody reads, so dropping it changes no logit at the monitored positions. The kept
/// columns keep their original positions for the position embedding.
///
/// Extrapolation batches are padded to 50 with the answer read at the last position, while a
/// stage-2 chain is 3 tokens: there the pass runs on 4 columns instead of 50.
struct LiveColumns: Equatable {
    /// The original positions of the kept columns, ascending.
    let columns: [Int]

    /// nil when every column is needed, or when some monitored padding row has no unmasked key
    /// at or before it (`ModelInput.monitoredReads`).
    ///
    /// Each example keeps every column up to its last unmasked position before the answer, padding
    /// between tokens included, so every real key stays at its column: the softmax sums its terms
    /// in lanes chosen by column, and a key moved to another lane would change the sum's rounding.
    init?(_ input: ModelInput) {
        let (b, t) = (input.batchSize, input.length)
        var needed = [Bool](repeating: false, count: t)
        let mask = input.mask.scalars
        for e in 0..<b {
            guard let reads = input.monitoredReads(of: e, mask: mask) else { return nil }
            if let lastKey = reads.last(where: { mask[e * t + $0] != 0 }) {
                for j in 0...lastKey { needed[j] = true }
            }
            needed[reads.last!] = true
        }
        let columns = needed.indices.filter { needed[$0] }
        if columns.count == t { return nil }
        self.columns = columns
    }

    /// The input on the kept columns only, its monitored positions renumbered to match (a span's
    /// positions are real tokens, all kept, so it stays contiguous).
    func apply(to input: ModelInput) -> ModelInput {
        let (b, t, kept) = (input.batchSize, input.length, columns.count)
        var newIndex = [Int](repeating: -1, count: t)
        for (i, c) in columns.enumerated() { newIndex[c] = i }
        var ids = [Int32](repeating: 0, count: b * kept)
        var mask = [Float](repeating: 0, count: b * kept)
        let oldIDs = input.ids.ids, oldMask = input.mask.scalars
        for e in 0..<b {
            for (i, c) in columns.enumerated() {
                ids[e * kept + i] = oldIDs[e * t + c]
                mask[e * kept + i] = oldMask[e * t + c]
            }
        }
        return ModelInput(ids: IDTensor(shape: [b, kept], ids: ids), mask: Tensor(shape: [b, kept], scalars: mask),
                          positions: input.positions.map { newIndex[$0] }, spans: input.spans)
    }
}
