import TensorKit

/// The state of a forward pass after one recurrence step (or, for `layerDidFinish`, one block
/// inside it), for the examples still running.
public final class RecurrenceStep {
    /// 0-based recurrence step just completed.
    public let index: Int
    /// The block just completed inside the step, or nil when the whole step is done.
    public let layer: Int?
    /// Hidden states `[running, T, D]` of the examples still running (`T` counts only the kept
    /// columns when the observer reads the monitored positions only).
    public let hidden: Tensor
    /// The position in the input of each column of `hidden` (`0..<T` unless columns were dropped).
    public let columns: [Int]
    /// For each row of `hidden`, the example's index in the batch the pass started with.
    public let examples: [Int]
    /// For each row, the column of `hidden` whose logits answer (the monitored position).
    public let positions: [Int]
    /// The model running the pass (for readouts of other positions or layers).
    public let model: RecurrentGPT2
    private var cachedLogits: Tensor?

    init(index: Int, layer: Int?, hidden: Tensor, columns: [Int], examples: [Int], positions: [Int], model: RecurrentGPT2) {
        self.index = index
        self.layer = layer
        self.hidden = hidden
        self.columns = columns
        self.examples = examples
        self.positions = positions
        self.model = model
    }

    /// Logits `[running, V]` at the monitored positions (`ln_f` then the tied unembedding),
    /// computed on first use and shared by every observer of this step.
    public func monitoredLogits() -> Tensor {
        if let cachedLogits { return cachedLogits }
        let logits = model.readout(model.rows(of: hidden, at: positions))
        cachedLogits = logits
        return logits
    }
}

/// Watches a forward pass step by step; the one seam for halting policies and probes.
///
/// After each recurrence step the model calls `recurrenceDidFinish`; the observer returns the batch
/// indices (`RecurrenceStep.examples` values) of the examples that should stop. Stopped examples
/// leave the working batch, so later steps cost nothing for them; when none is left the pass ends.
public protocol RecurrenceObserver: AnyObject {
    func recurrenceDidFinish(_ step: RecurrenceStep) -> Set<Int>
    /// Called after every block inside a step (for per-layer probes); does nothing by default.
    func layerDidFinish(_ step: RecurrenceStep)
    /// Whether `layerDidFinish` wants to be called (building its step costs a little).
    var observesLayers: Bool { get }
    /// True when the observer reads hidden states only at the monitored positions (through
    /// `monitoredLogits()` or `step.positions`): the pass may then drop the columns no monitored
    /// row reads (padding before a last-position answer, anything after it), and `hidden` holds
    /// the kept columns only, `columns` naming their positions. False by default.
    var readsMonitoredPositionsOnly: Bool { get }
}

extension RecurrenceObserver {
    public func layerDidFinish(_ step: RecurrenceStep) {}
    public var observesLayers: Bool { false }
    public var readsMonitoredPositionsOnly: Bool { false }
}
