/// The learning rate as a function of the optimizer step (0-based: the rate used by step `step`).
public protocol LearningRateSchedule: Sendable {
    func learningRate(at step: Int) -> Double
}

/// A constant rate.
public struct ConstantSchedule: LearningRateSchedule {
    public var rate: Double
    public init(rate: Double) { self.rate = rate }
    public func learningRate(at step: Int) -> Double { rate }
}

/// Linear warmup from 0 to `peak` over `warmupSteps`, then linear decay to 0 at `totalSteps` —
/// transformers' `get_linear_schedule_with_warmup`, which the reference uses (so step 0 runs at
/// rate 0, as there).
public struct LinearWarmupDecay: LearningRateSchedule {
    public var peak: Double, warmupSteps: Int, totalSteps: Int

    public init(peak: Double, warmupSteps: Int, totalSteps: Int) {
        precondition(warmupSteps >= 0 && totalSteps >= 0, "LinearWarmupDecay: negative step counts")
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    public func learningRate(at step: Int) -> Double {
        if step < warmupSteps { return peak * Double(step) / Double(Swift.max(1, warmupSteps)) }
        return peak * Swift.max(0, Double(totalSteps - step) / Double(Swift.max(1, totalSteps - warmupSteps)))
    }
}
