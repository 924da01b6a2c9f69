/// Why a `LoopingRegularizer` cannot be made, or cannot be used on a model.
public enum LoopingRegularizerError: Error, Equatable, CustomStringConvertible {
    /// A group must hold at least one layer.
    case groupSizeTooSmall(Int)
    /// The strength λ is negative or not finite (λ = 0 is allowed: the term is then 0).
    case invalidStrength(Double)
    /// With k ≥ the model's layers there is at most one group, so nothing to compare.
    case groupSizeNotBelowLayers(groupSize: Int, layers: Int)
    /// The layers do not fall into whole groups of k.
    case layersNotDivisible(layers: Int, groupSize: Int)

    public var description: String {
        switch self {
        case let .groupSizeTooSmall(k):
            return "looping regularizer: the group size k must be at least 1 (got \(k))"
        case let .invalidStrength(lambda):
            return "looping regularizer: the strength lambda must be finite and at least 0 (got \(lambda))"
        case let .groupSizeNotBelowLayers(k, layers):
            return "looping regularizer: the group size k (\(k)) must be smaller than the model's \(layers) layers, "
                + "so that there are at least two groups to compare"
        case let .layersNotDivisible(layers, k):
            return "looping regularizer: the model's \(layers) layers do not divide into groups of k = \(k)"
        }
    }
}
