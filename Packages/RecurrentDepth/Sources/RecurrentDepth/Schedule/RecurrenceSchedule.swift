import TensorKit

/// What a schedule may look at when it picks the recurrence for a training batch.
public struct RecurrenceContext {
    /// Global training step (0-based) of the batch.
    public var step: Int
    /// Curriculum stage (the deepest hop count in training), or nil without a curriculum.
    public var stage: Int?
    /// Hop count of each example in the batch.
    public var hops: [Int]

    public init(step: Int, stage: Int? = nil, hops: [Int] = []) {
        self.step = step
        self.stage = stage
        self.hops = hops
    }
}

/// Chooses how many times the block stack runs for each training batch.
///
/// A third party adds a schedule (uniform, tied to the hop count, ...) by conforming to this
/// protocol in their own package and handing it to the `Trainer`; nothing here needs editing.
/// Randomness must come from `generator`, whose state the trainer checkpoints, so resumed runs
/// draw the same recurrences.
public protocol RecurrenceSchedule {
    /// The recurrence for the next batch.
    func recurrence(for context: RecurrenceContext, generator: inout RandomGenerator) -> Int
    /// The largest recurrence the schedule can return (evaluation runs up to it).
    var maximum: Int { get }
    /// A short description for logs and reports, e.g. `fixed(4)`.
    var name: String { get }
}

/// The same recurrence for every batch.
public struct FixedRecurrence: RecurrenceSchedule {
    public let r: Int

    public init(_ r: Int) { self.r = r }

    public func recurrence(for context: RecurrenceContext, generator: inout RandomGenerator) -> Int { r }
    public var maximum: Int { r }
    public var name: String { "fixed(\(r))" }
}

/// The reference's dynamic recurrence: each batch draws r ~ Poisson(mean), clamped to [minimum, maximum].
public struct DynamicRecurrence: RecurrenceSchedule {
    public let mean: Double
    public let minimum: Int
    public let maximum: Int

    /// The reference's defaults: Poisson(4) clamped to [2, 8].
    public init(mean: Double = 4, minimum: Int = 2, maximum: Int = 8) {
        self.mean = mean
        self.minimum = minimum
        self.maximum = maximum
    }

    public func recurrence(for context: RecurrenceContext, generator: inout RandomGenerator) -> Int {
        Swift.min(Swift.max(generator.nextPoisson(mean: mean), minimum), maximum)
    }

    public var name: String { "dynamic(poisson \(mean), \(minimum)...\(maximum))" }
}
