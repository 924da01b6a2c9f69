import Foundation
import TensorKit

/// The looping-inspired regularizer of Saunshi et al., *Reasoning with Latent Thoughts: On the
/// Power of Looped Transformers* (ICLR 2025): a term added to the training loss that pulls a deep
/// model towards a looped one.
///
/// The model's L blocks are read as G = L/k groups of k consecutive blocks; block (i, j) is the
/// j-th block of group i, `blocks[i·k + j]`. With A ranging over a block's weight matrices,
///
///     R = Σ_A Σ_{i=0}^{G−2} Σ_{j=0}^{k−1} cos(A of block (i, j), A of block (i+1, j))
///     term = −λ · R                        (added to the data loss; the trainer minimizes the sum)
///
/// where cos is the cosine of the two matrices read as flat vectors (`Tensor.cosineSimilarity`).
/// Minimizing the term makes layer j of every group point the same way, and as λ grows the model
/// approaches one k-block group looped G times (k ⊗ G in the paper's notation); with λ = 0 it is
/// the ordinary kG-layer model.
///
/// **Taken from the paper:** the grouping, the sum (not a mean) of cosines over consecutive group
/// pairs and positions within a group, the minus sign with strength λ, and which parameters are
/// compared: each block's attention query, key, value and output matrices and its feed-forward
/// network's two matrices. The paper reports λ of 1 and 10 as useful; 100 diverged.
///
/// **Chosen here:**
/// - GPT-2 stores query, key and value side by side in one `attn.c_attn.weight` `[D, 3D]`; they are
///   compared as its three `[D, D]` column blocks, each on its own, as the paper compares separate
///   matrices (the fused matrix's cosine would weigh the three by their norms). So six tensors per
///   block: q, k, v, `attn.c_proj.weight`, `mlp.c_fc.weight`, `mlp.c_proj.weight`
///   (`comparedTensors`), and the least value of the term is −λ · 6 · (G − 1) · k.
/// - Biases and LayerNorm parameters are not compared: the paper names the matrices only, biases
///   start at 0 (no direction to compare) and LayerNorm gains start equal.
/// - A matrix of zeros (both `c_proj` at initialization with `c_scale` 0) has no direction: its
///   cosine counts as 0 and gives no gradient until training moves it away from 0. Near 0 the
///   cosine's gradient is large (it scales as 1/‖A‖), which AdamW's per-element normalization
///   absorbs.
/// - The recurrence plays no part: the term depends on the parameters alone.
public struct LoopingRegularizer: Codable, Equatable, Sendable, CustomStringConvertible {
    /// k, the blocks in a group.
    public let groupSize: Int
    /// λ ≥ 0.
    public let strength: Double

    /// The names of the tensors compared in each block, in the order `similarities(of:)` lists them.
    public static let comparedTensors = ["attn.c_attn.weight[q]", "attn.c_attn.weight[k]", "attn.c_attn.weight[v]",
                                         "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"]

    /// What `init(parsing:)` reads, with its defaults, for help texts.
    public static let parameters = [
        ParameterSpec("k", default: "", "blocks per group (required; must divide n_layer and be smaller)"),
        ParameterSpec("lambda", default: "1", "strength λ ≥ 0 (the paper used 1 and 10; 100 diverged)"),
    ]

    public init(groupSize: Int, strength: Double) throws {
        guard groupSize >= 1 else { throw LoopingRegularizerError.groupSizeTooSmall(groupSize) }
        guard strength.isFinite, strength >= 0 else { throw LoopingRegularizerError.invalidStrength(strength) }
        self.groupSize = groupSize
        self.strength = strength
    }

    /// From `k=K,lambda=L` (`lambda` may be left out: 1), as `loop train --looping-regularizer` takes it.
    public init(parsing text: String) throws {
        let kind = "looping regularizer"
        let given = try ComponentSpecification(name: "looping-regularizer", parsingParameters: text, kind: kind)
        let parameters = try Parameters(kind: kind, component: given.name, declared: Self.parameters, given: given.values)
        guard let k: Int = try parameters.optionalNumber("k", in: Int.min...Int.max) else {
            throw parameters.invalid("k", "the group size k must be given")
        }
        try self.init(groupSize: k, strength: try parameters.number("lambda"))
    }

    /// A decoded regularizer (a `training_config.json`) is checked as a new one is.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(groupSize: try c.decode(Int.self, forKey: .groupSize), strength: try c.decode(Double.self, forKey: .strength))
    }

    /// `k=K,lambda=L`, what `init(parsing:)` reads back (a whole λ without a decimal point).
    public var description: String {
        let lambda = strength == strength.rounded() && strength < 1e15 ? String(Int(strength)) : "\(strength)"
        return "k=\(groupSize),lambda=\(lambda)"
    }

    /// Fails unless `layers` blocks fall into at least two whole groups of k.
    public func check(layers: Int) throws {
        guard groupSize < layers else { throw LoopingRegularizerError.groupSizeNotBelowLayers(groupSize: groupSize, layers: layers) }
        guard layers % groupSize == 0 else { throw LoopingRegularizerError.layersNotDivisible(layers: layers, groupSize: groupSize) }
    }

    /// The compared blocks, `(i·k + j, (i+1)·k + j)` for every consecutive group pair i and
    /// position j, group by group.
    public func blockPairs(layers: Int) throws -> [(Int, Int)] {
        try check(layers: layers)
        let groups = layers / groupSize
        return (0..<(groups - 1)).flatMap { i in (0..<groupSize).map { j in (i * groupSize + j, (i + 1) * groupSize + j) } }
    }

    /// The tensors of `block` that are compared, in `comparedTensors` order; q, k and v are
    /// slices of `c_attn`'s weight whose gradients flow back into it.
    static func comparedTensors(of block: TransformerBlock) -> [Tensor] {
        let d = block.attention.weight.shape[0]
        return block.attention.weight.split([d, d, d], axis: 1)
            + [block.attentionProjection.weight, block.feedForward.weight, block.feedForwardProjection.weight]
    }

    /// Every cosine in the sum R, block pair by block pair (`blockPairs`) and within a pair in
    /// `comparedTensors` order. Records nothing for the gradient.
    public func similarities(of model: RecurrentGPT2) throws -> [Double] {
        let pairs = try blockPairs(layers: model.blocks.count)
        return withoutGrad {
            let tensors = model.blocks.map(Self.comparedTensors(of:))
            return pairs.flatMap { first, second in
                zip(tensors[first], tensors[second]).map { Double(Tensor.cosineSimilarity($0, $1).item) }
            }
        }
    }

    /// The term −λ·R as a 0-d tensor recorded for the gradient (when gradients are on).
    public func term(of model: RecurrentGPT2) throws -> Tensor {
        let pairs = try blockPairs(layers: model.blocks.count)
        let tensors = model.blocks.map(Self.comparedTensors(of:))
        var sum: Tensor?
        for (first, second) in pairs {
            for (a, b) in zip(tensors[first], tensors[second]) {
                let cosine = Tensor.cosineSimilarity(a, b)
                sum = sum.map { $0 + cosine } ?? cosine
            }
        }
        return sum! * Float(-strength)
    }

    /// Adds the gradient of the term to every compared parameter's `grad` (as `backward()` does,
    /// on top of what is there: the data loss's gradient) and returns the term's value. With
    /// λ = 0 the term is 0 and nothing is computed.
    @discardableResult
    public func addGradient(to model: RecurrentGPT2) throws -> Double {
        try check(layers: model.blocks.count)
        guard strength > 0 else { return 0 }
        let term = try term(of: model)
        let value = Double(term.item)
        term.backward()
        return value
    }
}
