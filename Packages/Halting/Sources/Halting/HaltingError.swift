import Foundation

/// What can go wrong in this package, each case saying what and where. (A policy name or
/// parameter that cannot be used is RecurrentDepth's `SpecificationError`.)
public enum HaltingError: Error, CustomStringConvertible, Equatable {
    /// Settings of an inference, sweep or report that cannot work (an empty range, a batch size of 0).
    case invalidSetting(String)
    case writeFailed(String, reason: String)

    public var description: String {
        switch self {
        case let .invalidSetting(message): return "invalid halting setting: \(message)"
        case let .writeFailed(path, reason): return "\(path): cannot write: \(reason)"
        }
    }
}
