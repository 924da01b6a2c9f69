import Foundation
import XCTest
import TensorKit
import RecurrentDepth

/// Writes loop checkpoints plus their logits for `Scripts/pytorch/torch-interop.py`, which loads them into
/// the PyTorch model (strictly) and compares. Runs only when `LOOP_INTEROP_DIR` names a folder,
/// since the PyTorch side is not part of CI.
final class InteropExportTests: XCTestCase {
    func testExportCheckpointsForPyTorch() throws {
        guard let path = ProcessInfo.processInfo.environment["LOOP_INTEROP_DIR"] else {
            throw XCTSkip("set LOOP_INTEROP_DIR to export checkpoints for Scripts/pytorch/torch-interop.py")
        }
        let root = URL(fileURLWithPath: path)
        for (name, positional, injection) in [("learned", PositionalEmbedding.learned, false), ("sinusoidal-inject", .sinusoidal, true),
                                               ("nope-inject", PositionalEmbedding.none, true)] {
            var generator = RandomGenerator(seed: 11)
            let config = ModelConfig(vocabSize: 25, embeddingSize: 24, layers: 2, heads: 3, positions: 10,
                                     positionalEmbedding: positional, inputInjection: injection, recurrence: 3)
            let model = try RecurrentGPT2(config: config, generator: &generator)
            // Larger than initialization, so every weight matters to the logits.
            for (_, p) in model.namedParameters { for i in 0..<p.count { p.pointer[i] += Float(generator.nextNormal()) * 0.3 } }
            let ids = IDTensor(shape: [3, 6], ids: (0..<18).map { _ in Int32(1 + generator.nextInt(below: 24)) })
            let mask = Tensor(shape: [3, 6], scalars: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0])
            let logits = try withoutGrad {
                model.readout(try model.run(ModelInput(ids: ids, mask: mask, positions: [5, 3, 1]), recurrence: 3).hidden!)
            }
            let folder = root.appendingPathComponent(name)
            try Checkpoint.write(model, to: folder)
            var probe = SafeTensorsArchive(tensors: ["attention_mask": mask, "logits": logits])
            probe["input_ids"] = SafeTensorsEntry(int32s: ids.ids, shape: ids.shape)
            try probe.write(to: folder.appendingPathComponent("probe.safetensors"))
        }
    }
}
