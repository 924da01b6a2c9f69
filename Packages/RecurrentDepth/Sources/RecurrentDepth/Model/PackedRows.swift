import TensorKit

/// The rows of a padded batch that a monitored-logits pass needs, packed: for each example, its
/// unmasked positions before the monitored one, and the monitored one. Every other slot of the
/// `[B, T]` grid is padding before the answer (a key of weight exactly 0) or a position after it,
/// which the example's causal rows never read (`LiveColumns` drops the columns that are such a slot
/// in every example; this drops them one example at a time).
///
/// A row's hidden state depends only on what it reads: its own token, column and mask, and the
/// needed rows before it (their tokens, columns and masks in turn). With `sharingPrefixes`, examples that begin alike (the same
/// entity, the same first relations) compute their common rows once. That is exact without
/// dropout (evaluation, or training with every rate 0); with dropout each example must draw its
/// own masks, so nothing is shared.
///
/// The blocks run their row-wise work (layer norms, projections, the MLP: nearly all the
/// arithmetic) on the packed rows `[N, D]` only; attention gathers each example's rows into the
/// grid and its output is read back at one slot per packed row.
struct PackedRows {
    let batch: Int
    let width: Int
    /// For each grid slot `b·T + t`, the packed row it holds. A slot no needed row reads (padding
    /// before the answer, anything after it) holds its example's monitored row: as a masked key it
    /// gets weight exactly 0, as real padding rows do in the full pass.
    let gridRows: IDTensor
    /// For each packed row, a grid slot that holds it, where its attention output is read.
    let slots: IDTensor
    /// For each packed row, its token and its column `t`.
    let ids: IDTensor
    let columns: [Int]
    /// For each read position (`ModelInput.readPositions`), its packed row and grid slot.
    let monitoredRows: IDTensor
    let monitoredSlots: IDTensor

    /// What a row's hidden state depends on: the row before it in its example (-1 for the first),
    /// its token, its column, and whether it is a token or padding.
    private struct Prefix: Hashable {
        var parent: Int32, token: Int32, column: Int32, isToken: Bool
    }

    /// nil when every slot is its own needed row, or when some monitored padding row has no unmasked
    /// key at or before it (`ModelInput.monitoredReads`).
    init?(_ input: ModelInput, sharingPrefixes: Bool) {
        let (b, t) = (input.batchSize, input.length)
        let mask = input.mask.scalars, tokens = input.ids.ids
        var gridRows = [Int32](repeating: -1, count: b * t)
        var slots: [Int32] = [], ids: [Int32] = [], columns: [Int] = []
        var monitoredRows: [Int32] = [], monitoredSlots: [Int32] = []
        var known: [Prefix: Int32] = [:]
        for e in 0..<b {
            guard let reads = input.monitoredReads(of: e, mask: mask) else { return nil }
            let p = reads.last!
            var parent: Int32 = -1
            for j in reads {
                let slot = e * t + j
                let prefix = Prefix(parent: parent, token: tokens[slot], column: Int32(j), isToken: mask[slot] != 0)
                let row: Int32
                if sharingPrefixes, let seen = known[prefix] {
                    row = seen
                } else {
                    row = Int32(slots.count)
                    if sharingPrefixes { known[prefix] = row }
                    slots.append(Int32(slot))
                    ids.append(tokens[slot])
                    columns.append(j)
                }
                gridRows[slot] = row
                parent = row
            }
            for j in p - (input.spans?[e] ?? 1) + 1...p {
                monitoredRows.append(gridRows[e * t + j])
                monitoredSlots.append(Int32(e * t + j))
            }
            for j in 0..<t where gridRows[e * t + j] < 0 { gridRows[e * t + j] = parent }
        }
        if slots.count == b * t { return nil }
        (batch, width) = (b, t)
        self.gridRows = IDTensor(shape: [b * t], ids: gridRows)
        self.slots = IDTensor(shape: [slots.count], ids: slots)
        self.ids = IDTensor(shape: [ids.count], ids: ids)
        self.columns = columns
        self.monitoredRows = IDTensor(shape: [monitoredRows.count], ids: monitoredRows)
        self.monitoredSlots = IDTensor(shape: [monitoredSlots.count], ids: monitoredSlots)
    }

    var count: Int { slots.count }
}
