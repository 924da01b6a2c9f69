import TensorKit

/// Which rows of the padded `[B, T]` grid a forward pass computes, chosen once from the input and
/// from what the caller reads. Every choice gives the rows that caller reads bit for bit as the
/// full grid does; the others only skip work:
///
/// - the full grid, `[B, T, D]`: for an observer that reads whole hidden states;
/// - the live columns (`LiveColumns`), `[B, T′, D]`: for an observer that reads the monitored
///   positions only, dropping the columns none of them reads; examples can still leave the pass;
/// - packed rows (`PackedRows`), `[N, D]`: for the monitored logits after the last step (the
///   training loss, fixed-recurrence evaluation): each example's own rows before its answer, rows
///   that examples share computed once when no dropout tells them apart.
///
/// The blocks run their row-wise work (layer norms, projections, the MLP) on whatever rows the pass
/// holds; only attention needs the grid, which `attentionGrid` lays out and `leaving` reads back.
struct PassRows {
    /// The input on the computed columns; its mask is the attention's padding mask.
    private(set) var input: ModelInput
    /// The original position of each of `input`'s columns, or nil when they are `0..<T`.
    let columns: [Int]?
    /// Each example's needed rows, packed, when the pass holds `[N, D]` instead of the grid.
    let packed: PackedRows?

    /// Every position of every example.
    init(grid input: ModelInput) {
        (self.input, columns, packed) = (input, nil, nil)
    }

    /// For an observer: the columns a monitored row reads when it reads nothing else, else the grid.
    init(_ input: ModelInput, observer: RecurrenceObserver?) {
        let live = observer?.readsMonitoredPositionsOnly == true ? LiveColumns(input) : nil
        (self.input, columns, packed) = (live?.apply(to: input) ?? input, live?.columns, nil)
    }

    /// For the monitored logits after the last step: the live columns, then each example's rows;
    /// examples that begin alike share rows only where no dropout mask tells them apart.
    init(monitoredLogitsOf input: ModelInput, dropout: Dropout?) {
        let live = LiveColumns(input)
        let input = live?.apply(to: input) ?? input
        (self.input, columns) = (input, live?.columns)
        packed = PackedRows(input, sharingPrefixes: dropout?.isIdentity ?? true)
    }

    var batch: Int { input.batchSize }
    var width: Int { input.length }
    /// The original position of every column of the grid.
    var allColumns: [Int] { columns ?? Array(0..<width) }

    /// The embedded rows the pass starts from (token, position, embedding dropout).
    func embed(_ model: RecurrentGPT2, dropout: Dropout?) -> Tensor {
        guard let packed else { return model.embed(input.ids, columns: columns, dropout: dropout) }
        var rows = model.tokenEmbedding.gatherRows(packed.ids)
        if let table = model.positionTable {
            rows = rows + table.gatherRows(IDTensor(packed.columns.map { columns?[$0] ?? $0 }))
        }
        return Dropout.apply(dropout, \.embedding, to: rows)
    }

    /// The attention's input `[B, T, 3D]` from the rows' q, k, v projections.
    func attentionGrid(_ qkv: Tensor) -> Tensor {
        guard let packed else { return qkv }
        return qkv.gatherRows(packed.gridRows).reshaped([batch, width, qkv.shape[qkv.rank - 1]])
    }

    /// The attention's output `[B, T, D]` read back at the pass's rows, or, with `monitoredOnly`,
    /// at each example's monitored position alone (`[B, D]`).
    func leaving(_ attended: Tensor, monitoredOnly: Bool) -> Tensor {
        if let packed { return flat(attended).gatherRows(monitoredOnly ? packed.monitoredSlots : packed.slots) }
        return monitoredOnly ? flat(attended).gatherRows(monitoredSlots) : attended
    }

    /// The residual stream `h` at the rows `leaving` keeps.
    func residual(_ h: Tensor, monitoredOnly: Bool) -> Tensor {
        guard monitoredOnly else { return h }
        return packed.map { h.gatherRows($0.monitoredRows) } ?? flat(h).gatherRows(monitoredSlots)
    }

    /// The pass without the examples not in `keep` (indices into the current batch). Only grid
    /// layouts drop examples: observers' passes never pack.
    func keeping(_ keep: [Int]) -> PassRows {
        precondition(packed == nil, "PassRows: packed passes run every example to the end")
        var copy = self
        let t = width
        copy.input = ModelInput(ids: IDTensor(shape: [keep.count, t], ids: keep.flatMap { input.ids.ids[$0 * t..<($0 + 1) * t] }),
                                mask: RecurrentGPT2.selectRows(input.mask, keep), positions: keep.map { input.positions[$0] })
        return copy
    }

    /// `[B·T, D]` view of a grid tensor.
    private func flat(_ x: Tensor) -> Tensor { x.reshaped([batch * width, x.shape[x.rank - 1]]) }

    /// Each read position's slot `b·T + position` in the flattened grid.
    private var monitoredSlots: IDTensor {
        IDTensor(input.readPositions.map { $0.example * width + $0.position })
    }
}
