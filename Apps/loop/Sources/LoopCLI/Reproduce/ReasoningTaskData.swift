import Foundation
import KnowledgeGraph

/// A dataset of one of the synthetic reasoning tasks of Saunshi et al. (ICLR 2025), as
/// KnowledgeGraph generates it (`loop data addition|induction|assignment`).
enum ReasoningTaskData {
    case addition(AdditionGenerator.Parameters)
    case induction(InductionGenerator.Parameters)
    case assignment(AssignmentGenerator.Parameters)

    func write(to folder: URL) throws {
        switch self {
        case .addition(let p): _ = try AdditionGenerator(parameters: p).write(to: folder)
        case .induction(let p): _ = try InductionGenerator(parameters: p).write(to: folder)
        case .assignment(let p): _ = try AssignmentGenerator(parameters: p).write(to: folder)
        }
    }

    /// The held-out test types, easiest first: what the study scores a model on.
    var testTypes: [String] {
        switch self {
        case .addition(let p): return [p.typeStem + "_test"]
        case .induction(let p): return [p.typeStem + "_test"]
        case .assignment(let p): return (p.minDepth...p.maxDepth).map { p.typeStem(depth: $0) + "_test" }
        }
    }

    /// The training items `test.json` repeats, one type per test type: how much was memorized.
    var trainSampleTypes: [String] { testTypes.map { String($0.dropLast("_test".count)) + "_train" } }

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
        }
    }
}
