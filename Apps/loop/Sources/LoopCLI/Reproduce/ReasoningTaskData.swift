import Foundation
import KnowledgeGraph

/// A dataset of one of the synthetic reasoning tasks of Saunshi et al. (ICLR 2025), or a knowledge
/// graph of 2-hop facts, as KnowledgeGraph generates it (`loop data addition|induction|assignment|systematicity`).
enum ReasoningTaskData {
    case addition(AdditionGenerator.Parameters)
    case induction(InductionGenerator.Parameters)
    case assignment(AssignmentGenerator.Parameters)
    /// Atomic facts to recall and 2-hop facts to compose (`SystematicityGenerator`).
    case knowledgeGraph(SystematicityGenerator.Parameters)

    func write(to folder: URL) throws {
        switch self {
        case .addition(let p): _ = try AdditionGenerator(parameters: p).write(to: folder)
        case .induction(let p): _ = try InductionGenerator(parameters: p).write(to: folder)
        case .assignment(let p): _ = try AssignmentGenerator(parameters: p).write(to: folder)
        case .knowledgeGraph(let p): _ = try SystematicityGenerator(parameters: p).write(to: folder)
        }
    }

    /// The held-out test types, easiest first: what the study scores a model on.
    var testTypes: [String] {
        switch self {
        case .addition(let p): return [p.typeStem + "_test"]
        case .induction(let p): return [p.typeStem + "_test"]
        case .assignment(let p): return (p.minDepth...p.maxDepth).map { p.typeStem(depth: $0) + "_test" }
        case .knowledgeGraph: return ["test_inferred_iid"]
        }
    }

    /// The training items `test.json` repeats: how much was memorized (one type per test type;
    /// a knowledge graph's atomic facts, in and out of distribution, and its trained 2-hop facts).
    var trainSampleTypes: [String] {
        if case .knowledgeGraph = self { return ["id_atomic", "ood_atomic", "train_inferred"] }
        return testTypes.map { String($0.dropLast("_test".count)) + "_train" }
    }

    var description: String {
        switch self {
        case .addition(let p):
            return "n-ary addition: \(p.numbers) numbers of \(p.digits) digits, the sum's digits most significant first "
                + "(\(p.trainSize) training and \(p.testSize) test items), seed \(p.seed)"
        case .induction(let p):
            return "p-hop induction: \(p.hops) hops over sequences of \(p.length) tokens from \(p.alphabet) symbols "
                + "(\(p.trainSize) training and \(p.testSize) test items), seed \(p.seed)"
        case .assignment(let p):
            return "variable assignment: depths \(p.minDepth)–\(p.maxDepth), \(p.distractors) distractors, \(p.variables) variables, "
                + String(format: "values mod %d, additions with probability %g ", p.modulus, p.additionProbability)
                + "(\(p.trainPerDepth) training and \(p.testPerDepth) test items per depth), seed \(p.seed)"
        case .knowledgeGraph(let p):
            return "knowledge graph: \(p.entities) entities, \(p.relations) relations, \(p.outDegree) per entity "
                + "(\(p.entities * p.outDegree) atomic facts, \(Int((p.oodFraction * 100).rounded()))% never composed), "
                + String(format: "φ %g trained 2-hop facts per composable atomic fact, ", p.phi)
                + String(format: "%g%% of the composable 2-hop facts held out, ", p.iidTestFraction * 100)
                + "\(p.testSizePerType) test items per type, seed \(p.seed)"
        }
    }

    /// The same task on a few dozen items, for the smoke preset.
    var smoke: ReasoningTaskData {
        switch self {
        case .addition(var p):
            (p.trainSize, p.testSize, p.trainSampleInTest, p.smallTestPerType) = (120, 30, 10, 2)
            return .addition(p)
        case .induction(var p):
            (p.trainSize, p.testSize, p.trainSampleInTest, p.smallTestPerType) = (120, 30, 10, 2)
            return .induction(p)
        case .assignment(var p):
            (p.trainPerDepth, p.testPerDepth, p.trainSampleInTest, p.smallTestPerType) = (40, 10, 5, 2)
            return .assignment(p)
        case .knowledgeGraph(var p):
            (p.entities, p.phi, p.testSizePerType, p.smallTestPerType) = (max(20, p.entities / 20), min(p.phi, 2), 10, 2)
            return .knowledgeGraph(p)
        }
    }
}
