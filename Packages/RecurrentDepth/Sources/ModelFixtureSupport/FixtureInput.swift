import FixtureSupport
import TensorKit
import RecurrentDepth

extension FixtureCase {
    /// Where the reference read the answer.
    public var predictionPosition: PredictionPosition {
        get throws {
            guard let position = PredictionPosition(rawValue: predictionPositionName) else {
                throw FixtureError(description: "\(file.path): 'pred_pos' \(predictionPositionName) is none of "
                                   + PredictionPosition.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return position
        }
    }

    /// The batch as the model reads it.
    public var input: ModelInput {
        get throws {
            ModelInput(ids: idTensor, mask: maskTensor, positions: try predictionPosition.positions(lengths: lengths, paddedLength: paddedLength))
        }
    }
}
