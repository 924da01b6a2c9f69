import ArgumentParser
import Foundation
import KnowledgeGraph

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Generate a synthetic reasoning dataset, or check one.",
        subcommands: [Extrapolation.self, Systematicity.self, Addition.self, Induction.self, Assignment.self, Validate.self]
    )

    /// Prints what a generator wrote.
    static func report(_ generated: GeneratedDataset, to folder: String) {
        print("wrote \(folder): vocabulary \(generated.vocabulary.count) tokens")
        for split in [generated.train, generated.valid, generated.test, generated.testSmall] {
            print("  \(split.name).json  \(split.count) items, types: \(summary(split))")
        }
        print("  dataset.json  (generator, parameters, seed: regenerate with the same command)")
    }

    static func summary(_ split: Split) -> String {
        let groups = split.groupedByType()
        let shown = groups.prefix(6).map { "\($0.type) \($0.split.count)" }
        return shown.joined(separator: ", ") + (groups.count > 6 ? ", … (\(groups.count) types)" : "")
    }

    struct Extrapolation: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "extrapolation",
            abstract: "The depth-extrapolation permutation graph: k-hop chains over relations that are permutations.",
            discussion: """
            Examples:
              loop data extrapolation --preset small --out data/perm-small        # 40 entities, 6 relations, hops 2-3
              loop data extrapolation --out data/perm                            # the reference's size (200 entities, hops 2-40)
              loop data extrapolation --entities 40 --relations 6 --max-hops 5 --train-per-hop 1250 --test-per-hop 150 --out data/perm5
            """
        )
        @Option(help: "Start from a preset: reference or small; flags override it.") var preset: String = "reference"
        @Option(help: "Entities.") var entities: Int?
        @Option(help: "Relations (each a permutation of the entities).") var relations: Int?
        @Option(help: "Relations each entity has (default: all).") var outDegree: Int?
        @Option(help: "Shortest chain in hops.") var minHops: Int?
        @Option(help: "Longest chain in hops.") var maxHops: Int?
        @Option(help: "Training chains per hop count.") var trainPerHop: Int?
        @Option(help: "Test chains per hop count.") var testPerHop: Int?
        @Option(help: "Atomic facts sampled into test.json (type atomic_facts).") var atomicSample: Int?
        @Option(help: "Training chains per hop sampled into test.json ({k}hop_train).") var trainSample: Int?
        @Option(help: "Items per type in test_small.json and valid.json.") var smallPerType: Int?
        @Option(help: "Random seed.") var seed: UInt64?
        @Option(help: "Output folder.") var out: String

        func run() throws {
            var p: DepthExtrapolationGenerator.Parameters
            switch preset {
            case "reference": p = .reference
            case "small": p = .small
            default: throw ValidationError("unknown preset '\(preset)'; known: reference, small")
            }
            if let v = entities { p.entities = v }
            if let v = relations { p.relations = v; if outDegree == nil { p.outDegree = v } }
            if let v = outDegree { p.outDegree = v }
            if let v = minHops { p.minHops = v }
            if let v = maxHops { p.maxHops = v }
            if let v = trainPerHop { p.trainChainsPerHop = v }
            if let v = testPerHop { p.testChainsPerHop = v }
            if let v = atomicSample { p.atomicSampleInTest = v }
            if let v = trainSample { p.trainSampleInTest = v }
            if let v = smallPerType { p.smallTestPerType = v }
            if let v = seed { p.seed = v }
            let generated = try cliErrors { try DepthExtrapolationGenerator(parameters: p).write(to: URL(fileURLWithPath: out)) }
            DataCommand.report(generated, to: out)
        }
    }

    struct Systematicity: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "systematicity",
            abstract: "The 2-hop composition task with an in-distribution / out-of-distribution split.",
            discussion: """
            Examples:
              loop data systematicity --preset small --out data/sys-small   # 200 entities, 40 relations
              loop data systematicity --out data/sys                        # the reference's 2000 entities, 200 relations, phi 7.2
            """
        )
        @Option(help: "Start from a preset: reference or small; flags override it.") var preset: String = "reference"
        @Option(help: "Entities.") var entities: Int?
        @Option(help: "Relations.") var relations: Int?
        @Option(help: "Outgoing relations per entity.") var outDegree: Int?
        @Option(help: "Fraction of atomic facts held out of composition (OOD).") var oodFraction: Double?
        @Option(help: "Fraction of ID 2-hop facts kept for test_inferred_iid.") var iidTestFraction: Double?
        @Option(help: "Inferred facts trained per ID atomic fact (phi).") var phi: Double?
        @Option(help: "Test items per type.") var testSize: Int?
        @Option(help: "Items per type in test_small.json and valid.json.") var smallPerType: Int?
        @Option(help: "Random seed.") var seed: UInt64?
        @Option(help: "Output folder.") var out: String

        func run() throws {
            var p: SystematicityGenerator.Parameters
            switch preset {
            case "reference": p = .reference
            case "small": p = .small
            default: throw ValidationError("unknown preset '\(preset)'; known: reference, small")
            }
            if let v = entities { p.entities = v }
            if let v = relations { p.relations = v }
            if let v = outDegree { p.outDegree = v }
            if let v = oodFraction { p.oodFraction = v }
            if let v = iidTestFraction { p.iidTestFraction = v }
            if let v = phi { p.phi = v }
            if let v = testSize { p.testSizePerType = v }
            if let v = smallPerType { p.smallTestPerType = v }
            if let v = seed { p.seed = v }
            let generated = try cliErrors { try SystematicityGenerator(parameters: p).write(to: URL(fileURLWithPath: out)) }
            DataCommand.report(generated, to: out)
        }
    }

    struct Addition: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "addition",
            abstract: "n-ary addition: n numbers of d digits; the answer is the sum's digits, most significant first.",
            discussion: """
            An input is the numbers, each exactly d digits (leading zeros kept), separated by <+>, then <=>;
            the answer is the sum zero-padded to the width of the largest possible sum, so every answer
            has the same number of tokens. Test types: addition_n{n}_d{d}_test (and _train, a sample of
            training items).

            Examples:
              loop data addition --out data/add                          # 4 two-digit numbers, 4000 / 500 items
              loop data addition --numbers 8 --digits 3 --out data/add8  # 8 three-digit numbers
              loop data addition --preset paper --out data/add32         # the paper's 32 numbers of 3 digits
            """
        )
        @Option(help: "Start from a preset: small (the defaults) or paper; flags override it.") var preset: String = "small"
        @Option(help: "How many numbers are added (n, at least 2).") var numbers: Int?
        @Option(help: "Digits per number (d, 1-18).") var digits: Int?
        @Option(help: "Training items.") var trainSize: Int?
        @Option(help: "Test items (inputs never trained on).") var testSize: Int?
        @Option(help: "Training items sampled into test.json (type ..._train).") var trainSample: Int?
        @Option(help: "Items per type in test_small.json and valid.json.") var smallPerType: Int?
        @Option(help: "Random seed.") var seed: UInt64?
        @Option(help: "Output folder.") var out: String

        func run() throws {
            var p: AdditionGenerator.Parameters
            switch preset {
            case "small": p = .small
            case "paper": p = .paper
            default: throw ValidationError("unknown preset '\(preset)'; known: small, paper")
            }
            if let v = numbers { p.numbers = v }
            if let v = digits { p.digits = v }
            if let v = trainSize { p.trainSize = v }
            if let v = testSize { p.testSize = v }
            if let v = trainSample { p.trainSampleInTest = v }
            if let v = smallPerType { p.smallTestPerType = v }
            if let v = seed { p.seed = v }
            let generated = try cliErrors { try AdditionGenerator(parameters: p).write(to: URL(fileURLWithPath: out)) }
            DataCommand.report(generated, to: out)
        }
    }

    struct Induction: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "induction",
            abstract: "p-hop induction: from a sequence's last token, hop p times to the token after the previous occurrence of the current one.",
            discussion: """
            An input is a sequence of <s_k> symbols in which no symbol follows itself, so every hop moves
            strictly left; sequences whose chain of p hops runs off the start are redrawn. The answer is
            the symbol the chain ends on. p is fixed per dataset and named by the types:
            induction_p{p}_test (and _train).

            Examples:
              loop data induction --out data/hop4                        # 4 symbols, 32 tokens, 4 hops
              loop data induction --hops 8 --length 40 --out data/hop8
              loop data induction --preset paper --out data/hop32        # the paper's 4 symbols, 256 tokens, 32 hops
            """
        )
        @Option(help: "Start from a preset: small (the defaults) or paper; flags override it.") var preset: String = "small"
        @Option(help: "Symbols in the alphabet (at least 3).") var alphabet: Int?
        @Option(help: "Sequence length in tokens (at least hops + 2).") var length: Int?
        @Option(help: "Hops (p).") var hops: Int?
        @Option(help: "Training items.") var trainSize: Int?
        @Option(help: "Test items (inputs never trained on).") var testSize: Int?
        @Option(help: "Training items sampled into test.json (type ..._train).") var trainSample: Int?
        @Option(help: "Items per type in test_small.json and valid.json.") var smallPerType: Int?
        @Option(help: "Random seed.") var seed: UInt64?
        @Option(help: "Output folder.") var out: String

        func run() throws {
            var p: InductionGenerator.Parameters
            switch preset {
            case "small": p = .small
            case "paper": p = .paper
            default: throw ValidationError("unknown preset '\(preset)'; known: small, paper")
            }
            if let v = alphabet { p.alphabet = v }
            if let v = length { p.length = v }
            if let v = hops { p.hops = v }
            if let v = trainSize { p.trainSize = v }
            if let v = testSize { p.testSize = v }
            if let v = trainSample { p.trainSampleInTest = v }
            if let v = smallPerType { p.smallTestPerType = v }
            if let v = seed { p.seed = v }
            let generated = try cliErrors { try InductionGenerator(parameters: p).write(to: URL(fileURLWithPath: out)) }
            DataCommand.report(generated, to: out)
        }
    }

    struct Assignment: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "assignment",
            abstract: "Variable assignment: a program of constants, copies and additions mod m; the query's value lies a chain of the given depth away.",
            discussion: """
            An input is statements like <v_3><=><5><;> or <v_1><=><v_3><+><2><;>, each variable assigned
            once, shown in random order, then <?><v_k>; the answer is v_k's value. Depth k counts the
            assignments followed to reach a constant (a queried constant is depth 1). Distractor
            statements are interleaved. Test types per depth: assignment_d{k}_test (and _train).

            Examples:
              loop data assignment --out data/assign                     # depths 1-4, 3 distractors, mod 7
              loop data assignment --min-depth 1 --max-depth 6 --distractors 2 --variables 12 --out data/assign6
              loop data assignment --addition-probability 0 --no-shuffle-statements --out data/copies
            """
        )
        @Option(help: "Start from a preset: small (the defaults) or paper; flags override it.") var preset: String = "small"
        @Option(help: "Shallowest query chain (assignments followed, at least 1).") var minDepth: Int?
        @Option(help: "Deepest query chain.") var maxDepth: Int?
        @Option(help: "Statements besides the query's chain.") var distractors: Int?
        @Option(help: "Variable names to draw from (at least max-depth + distractors).") var variables: Int?
        @Option(help: "Values are 0..m-1 and additions are mod m.") var modulus: Int?
        @Option(help: "Chance that a reference adds a constant instead of copying (0-1).") var additionProbability: Double?
        @Flag(inversion: .prefixedNo, help: "Show statements in random order (default) or in the order they were made.")
        var shuffleStatements: Bool? = nil
        @Option(help: "Training items per depth.") var trainPerDepth: Int?
        @Option(help: "Test items per depth (inputs never trained on).") var testPerDepth: Int?
        @Option(help: "Training items per depth sampled into test.json (type ..._train).") var trainSample: Int?
        @Option(help: "Items per type in test_small.json and valid.json.") var smallPerType: Int?
        @Option(help: "Random seed.") var seed: UInt64?
        @Option(help: "Output folder.") var out: String

        func run() throws {
            var p: AssignmentGenerator.Parameters
            switch preset {
            case "small": p = .small
            case "paper": p = .paper
            default: throw ValidationError("unknown preset '\(preset)'; known: small, paper")
            }
            if let v = minDepth { p.minDepth = v }
            if let v = maxDepth { p.maxDepth = v }
            if let v = distractors { p.distractors = v }
            if let v = variables { p.variables = v }
            if let v = modulus { p.modulus = v }
            if let v = additionProbability { p.additionProbability = v }
            if let v = shuffleStatements { p.shuffleStatements = v }
            if let v = trainPerDepth { p.trainPerDepth = v }
            if let v = testPerDepth { p.testPerDepth = v }
            if let v = trainSample { p.trainSampleInTest = v }
            if let v = smallPerType { p.smallTestPerType = v }
            if let v = seed { p.seed = v }
            let generated = try cliErrors { try AssignmentGenerator(parameters: p).write(to: URL(fileURLWithPath: out)) }
            DataCommand.report(generated, to: out)
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Read a dataset in the reference's format and report its splits, sizes and problems.",
            discussion: """
            For a dataset made by loop data addition, induction or assignment (its dataset.json names
            the generator), every item's answer is also recomputed from its input alone and the first
            wrong items of each file are listed with their index, the expected and the found answer.

            Example:
              loop data validate data/perm-small
            """
        )
        @Argument(help: "The dataset folder (vocab.json, train.json, test.json, ...).") var folder: String

        func run() throws {
            let dataset = try cliErrors { try Dataset.load(from: URL(fileURLWithPath: folder)) }
            print("\(folder): vocabulary \(dataset.vocabulary.count) tokens"
                  + (dataset.manifest.map { ", generated by \($0.generator) (seed \($0.seed))" } ?? ""))
            var problems: [String] = []
            let solver = dataset.manifest?.answerSolver
            var checked = 0
            for name in Dataset.splitNames {
                let url = URL(fileURLWithPath: folder).appendingPathComponent("\(name).json")
                guard FileManager.default.fileExists(atPath: url.path) else {
                    if name == "train" || name == "test" { problems.append("\(name).json is missing") }
                    continue
                }
                do {
                    let split = try dataset.split(name)
                    if solver == nil {
                        let hops = split.hopCounts
                        print("  \(name).json  \(split.count) items, hops \(hops.first ?? 0)...\(hops.last ?? 0), types: \(DataCommand.summary(split))")
                    } else {
                        let lengths = split.examples.map(\.inputIDs.count)
                        print("  \(name).json  \(split.count) items, inputs of \(lengths.min() ?? 0)...\(lengths.max() ?? 0) tokens, types: \(DataCommand.summary(split))")
                    }
                    if split.isEmpty { problems.append("\(name).json is empty") }
                    if let solver {
                        // Every answer recomputed from its input alone, by the task's own solver.
                        let (wrong, first) = solver.check(split, vocabulary: dataset.vocabulary)
                        checked += split.count
                        if wrong > 0 {
                            problems.append("\(name).json: \(wrong) of \(split.count) answers are not what their inputs ask for (\(solver.task) solver)")
                            problems += first.map { m in
                                "\(name).json item \(m.item): expected \(m.expected.map { $0.joined() } ?? "nothing (not a \(solver.task) input)"), "
                                    + "found \(m.found.joined()), input \(m.input.joined())"
                            }
                        }
                    }
                    let mislabelled = split.examples.filter { e in
                        guard let type = e.type, let k = Int(type.prefix { $0.isNumber }), type.contains("hop") else { return false }
                        return k != e.hops
                    }.count
                    if mislabelled > 0 {
                        print("\(name).json: \(mislabelled) items whose type names a hop count other than their tokens' (loop counts hops from tokens, so this is harmless)")
                    }
                } catch {
                    problems.append("\(error)")
                }
            }
            if let solver, problems.isEmpty {
                print("  answers: all \(checked) recomputed from their inputs by the \(solver.task) solver agree")
            }
            if problems.isEmpty { print("no problems found") } else {
                throw CLIError("\(folder) has problems:\n" + problems.map { "  - \($0)" }.joined(separator: "\n"))
            }
        }
    }
}

/// Runs `body`, turning package errors into CLI errors carrying their description.
func cliErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as CLIError { throw error } catch let error as ExitCode { throw error } catch {
        throw CLIError("\(error)", status: ExitStatus.of(error))
    }
}

extension CLIError: LocalizedError {
    public var errorDescription: String? { description }
}
