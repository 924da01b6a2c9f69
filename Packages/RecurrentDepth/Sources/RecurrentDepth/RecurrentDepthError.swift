/// What can go wrong in this package, each case saying what and where.
public enum RecurrentDepthError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(String, problems: [String])
    case invalidInput(String)
    case missingFile(String)
    case unreadableFile(String, reason: String)
    case writeFailed(String, reason: String)
    case missingTensor(String, file: String)
    case unexpectedTensor(String, file: String)
    case wrongShape(String, file: String, expected: [Int], found: [Int])
    case configMismatch(String, file: String)
    case invalidTrainingConfig(String)
    /// The processes of a data-parallel run disagree (`TrainingGroup`).
    case trainingGroup(String)
    case nonFiniteLoss(step: Int, loss: Float, lastCheckpoint: String?)
    case nonFiniteWeights(step: Int, lastCheckpoint: String?)

    public var description: String {
        switch self {
        case let .invalidConfig(source, problems):
            return "\(source): invalid model config: " + problems.joined(separator: "; ")
        case let .invalidInput(message): return "invalid model input: \(message)"
        case let .trainingGroup(message): return "data-parallel training: \(message)"
        case let .missingFile(path): return "\(path): no such file"
        case let .unreadableFile(path, reason): return "\(path): \(reason)"
        case let .writeFailed(path, reason): return "\(path): cannot write: \(reason)"
        case let .missingTensor(name, file): return "\(file): tensor '\(name)' is missing"
        case let .unexpectedTensor(name, file): return "\(file): tensor '\(name)' does not belong to this model's config"
        case let .wrongShape(name, file, expected, found):
            return "\(file): tensor '\(name)' has shape \(found), the config needs \(expected)"
        case let .configMismatch(message, file): return "\(file): \(message)"
        case let .invalidTrainingConfig(message): return "invalid training config: \(message)"
        case let .nonFiniteLoss(step, loss, checkpoint):
            return "the loss became \(loss) at step \(step); training stopped"
                + (checkpoint.map { ". The last good checkpoint is \($0)" } ?? " (no checkpoint was written yet)")
        case let .nonFiniteWeights(step, checkpoint):
            return "the weights became NaN or infinite by step \(step); training stopped without writing them"
                + (checkpoint.map { ". The last good checkpoint is \($0)" } ?? " (no checkpoint was written yet)")
        }
    }
}

extension RecurrentDepthError {
    /// Training diverged: the loss or the weights stopped being finite numbers.
    public var isDivergence: Bool {
        switch self {
        case .nonFiniteLoss, .nonFiniteWeights: return true
        default: return false
        }
    }
}
