import TensorKit

/// The rows of a padded batch that a monitored-logits pass needs, packed: for each example, its
/// unmasked positions before the monitored one, and the monitored one. Every other slot of the
/// `[B, T]` grid is padding before the answer (a key of weight exactly 0) or a position after it,
/// which the example's causal rows never read (see `LiveColumns`, which drops the columns that
/// are such a slot in every example; this drops the slots one example at a time).
///
/// The blocks run their row-wise work (layer norms, projections, the MLP: nearly all the
/// arithmetic) on the packed rows `[N, D]` only; attention puts them back in the grid, zeros
/// elsewhere, and takes them out again. A curriculum batch mixes inputs of 2 to k + 1 tokens, so at
/// stage k about half its grid is such padding.
struct PackedRows {
    let batch: Int
    let width: Int
    /// For each packed row, its grid slot `b·T + t`, ascending.
    let slots: IDTensor
    /// For each packed row, its token and its column `t`.
    let ids: IDTensor
    let columns: [Int]
    /// For each example, the packed row and the grid slot of its monitored position.
    let monitoredRows: IDTensor
    let monitoredSlots: IDTensor

    /// nil when every slot is needed, or when some monitored padding row has no unmasked key at or
    /// before it (its softmax then spreads over padding keys, whose values must stay).
    init?(_ input: ModelInput) {
        let (b, t) = (input.batchSize, input.length)
        let mask = input.mask.scalars, tokens = input.ids.ids
        var slots: [Int32] = [], ids: [Int32] = [], columns: [Int] = []
        var monitoredRows: [Int32] = [], monitoredSlots: [Int32] = []
        for e in 0..<b {
            let p = input.positions[e]
            var sawKey = mask[e * t + p] != 0
            for j in 0...p where j == p || mask[e * t + j] != 0 {
                if j == p {
                    monitoredRows.append(Int32(slots.count))
                    monitoredSlots.append(Int32(e * t + j))
                } else {
                    sawKey = true
                }
                slots.append(Int32(e * t + j))
                ids.append(tokens[e * t + j])
                columns.append(j)
            }
            if !sawKey { return nil }
        }
        if slots.count == b * t { return nil }
        (batch, width) = (b, t)
        self.slots = IDTensor(shape: [slots.count], ids: slots)
        self.ids = IDTensor(shape: [ids.count], ids: ids)
        self.columns = columns
        self.monitoredRows = IDTensor(shape: [b], ids: monitoredRows)
        self.monitoredSlots = IDTensor(shape: [b], ids: monitoredSlots)
    }

    var count: Int { slots.count }
}
