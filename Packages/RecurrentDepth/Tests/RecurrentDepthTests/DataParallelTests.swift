import XCTest
import Foundation
import TensorKit
@testable import RecurrentDepth
import FixtureSupport

/// Data-parallel training (`TrainingGroup`) against one process, on an in-process group of threads.
extension ShardedGradientTests {
    /// N ranks, each computing its own slice of the batch and summing the gathered slices in rank
    /// order, end with the loss, gradient and dropout generator of one process that cuts the
    /// batch in N slices, bit for bit: 2 and 3 ranks, with and without dropout, and a batch with
    /// fewer examples than ranks (the last rank computes no slice). Three ranks make the order
    /// of the sum, and which rank computes which slice, show in the bits.
    func testRanksSumToTheSingleProcessGradientBitForBit() throws {
        try withBackend(CPUBackend(threads: 1)) {
            for (ranks, examples) in [(2, 32), (3, 7), (3, 2)] {
                for rate: Float in [0, 0.1] {
                    let (input, labels) = batch(examples, length: 8)
                    let dropout = { rate > 0 ? Dropout(embedding: rate, attention: rate, residual: rate, generator: RandomGenerator(seed: 5)) : nil }
                    let single = try smallModel(d: 32, heads: 4)
                    let singleDropout = dropout()
                    let loss = try single.addLossGradient(input, labels: labels, recurrence: 3, labelSmoothing: 0.1,
                                                          dropout: singleDropout, shards: ranks)
                    let gradients = single.parameters.map { $0.grad?.scalars }
                    let results = try LocalTrainingGroup.run(size: ranks) { group in
                        let model = try smallModel(d: 32, heads: 4)
                        let rankDropout = dropout()
                        let loss = try model.addLossGradient(input, labels: labels, recurrence: 3, labelSmoothing: 0.1,
                                                             dropout: rankDropout, shards: ranks, group: group)
                        return (loss: loss, gradients: model.parameters.map { $0.grad?.scalars }, generator: rankDropout?.generator)
                    }
                    let name = "\(ranks) ranks, \(examples) examples, dropout \(rate)"
                    for (rank, result) in results.enumerated() {
                        XCTAssertEqual(result.loss.bitPattern, loss.bitPattern, "\(name), rank \(rank): loss \(result.loss) vs \(loss)")
                        XCTAssertTrue(result.gradients == gradients, "\(name), rank \(rank): gradients differ from one process's")
                        XCTAssertEqual(result.generator, singleDropout?.generator, "\(name), rank \(rank): dropout generator afterwards")
                    }
                }
            }
        }
    }
}

extension TrainerTests {
    /// Two trainers in a group take one process's steps bit for bit (its batches are cut in two
    /// slices too) through epochs, evaluations and a last batch of odd size, stop at the same
    /// step, and only rank 0 writes the run's files.
    func testTwoRanksTrainLikeOneProcessAndOnlyRankZeroWrites() throws {
        let data = try dataset()
        var config = TrainingConfig()
        config.batchSize = 13
        config.padding = .longest
        config.predictionPosition = .inputLength
        config.maxSteps = 20
        config.evaluateEveryEpochs = 1
        config.seed = 1
        try withBackend(CPUBackend(threads: 1)) {
            let single = try Trainer(model: try model(vocab: data.vocabulary.count, dropout: 0.1), dataset: data, config: config,
                                     schedule: FixedRecurrence(2), runFolder: temporaryFolder())
            XCTAssertEqual(try single.run(), .limitReached("max steps (20)"))
            let folders = [temporaryFolder(), temporaryFolder()]
            let ranks = try LocalTrainingGroup.run(size: 2) { group in
                let trainer = try Trainer(model: try self.model(vocab: data.vocabulary.count, dropout: 0.1), dataset: data, config: config,
                                          schedule: FixedRecurrence(2), runFolder: folders[group.rank], group: group)
                return (outcome: try trainer.run(), weights: trainer.model.parameters.map(\.scalars), step: trainer.state.step)
            }
            for (rank, result) in ranks.enumerated() {
                XCTAssertEqual(result.outcome, .limitReached("max steps (20)"), "rank \(rank)")
                XCTAssertEqual(result.step, single.state.step, "rank \(rank)")
                XCTAssertTrue(result.weights == single.model.parameters.map(\.scalars), "rank \(rank): weights differ from one process's")
            }
            let written = { (folder: URL) in (try? FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()) ?? [] }
            XCTAssertEqual(written(folders[0]).filter { !$0.hasPrefix("events.out.tfevents.") }, ["checkpoints", Trainer.metricsFile])
            XCTAssertEqual(written(folders[1]), [], "rank 1 wrote files")
        }
    }
}
