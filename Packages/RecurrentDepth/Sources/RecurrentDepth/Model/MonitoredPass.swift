import TensorKit

/// The pass the training loss and fixed-recurrence evaluation run: only the logits at the
/// monitored positions leave it, so it computes only what reaches them. The columns no monitored
/// row reads are dropped (`LiveColumns`), then each example's own padding before its answer, and
/// without dropout the rows examples that begin alike have in common are computed once
/// (`PackedRows`); the very last block runs on the monitored rows alone. The logits are bit for bit
/// those of the full pass (`run`).
extension RecurrentGPT2 {
    /// Logits `[B, V]` at the monitored positions after `recurrence` steps (the training loss's input).
    public func monitoredLogits(_ input: ModelInput, recurrence: Int, dropout: Dropout? = nil, gradientSteps: Int? = nil) throws -> Tensor {
        readout(try monitoredHidden(input, recurrence: recurrence, dropout: dropout, gradientSteps: gradientSteps))
    }

    /// Hidden states `[B, D]` at the monitored positions after `recurrence` steps.
    func monitoredHidden(_ input: ModelInput, recurrence: Int, dropout: Dropout?, gradientSteps: Int?) throws -> Tensor {
        try validate(input)
        try checkRecurrence(recurrence, gradientSteps: gradientSteps)
        let live = LiveColumns(input)
        let input = live?.apply(to: input) ?? input
        // Examples that begin alike share rows only where no dropout mask tells them apart.
        let packed = PackedRows(input, sharingPrefixes: dropout?.isIdentity ?? true)
        let embedded: Tensor
        if let packed {
            var rows = tokenEmbedding.gatherRows(packed.ids)
            if let table = positionTable {
                let positions = live.map { live in packed.columns.map { live.columns[$0] } } ?? packed.columns
                rows = rows + table.gatherRows(IDTensor(positions))
            }
            embedded = Dropout.apply(dropout, \.embedding, to: rows)
        } else {
            embedded = embed(input.ids, columns: live?.columns, dropout: dropout)
        }
        let (b, width) = (input.batchSize, input.length)
        let monitoredSlots = IDTensor(input.positions.enumerated().map { $0.offset * width + $0.element })
        var h = embedded
        let firstRecorded = recurrence - min(gradientSteps ?? recurrence, recurrence)
        for t in 0..<recurrence {
            let step = {
                if self.config.inputInjection && t > 0 { h = h + embedded }
                for (l, block) in self.blocks.enumerated() {
                    let last = t == recurrence - 1 && l == self.blocks.count - 1
                    if let packed {
                        h = block(packed: h, packed, mask: input.mask, dropout: dropout, monitoredOnly: last)
                    } else {
                        h = block(h, mask: input.mask, dropout: dropout, rows: last ? monitoredSlots : nil)
                    }
                }
            }
            if t < firstRecorded { withoutGrad(step); h = h.detached() } else { step() }
        }
        return h.reshaped([b, h.count / b])
    }
}
