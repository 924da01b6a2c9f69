import ArgumentParser
import Foundation
import KnowledgeGraph

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Generate a synthetic reasoning dataset, or check one.",
        subcommands: [Extrapolation.self, Systematicity.self, Validate.self]
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

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Read a dataset in the reference's format and report its splits, sizes and problems.",
            discussion: "Example:\n  loop data validate data/perm-small"
        )
        @Argument(help: "The dataset folder (vocab.json, train.json, test.json, ...).") var folder: String

        func run() throws {
            let dataset = try cliErrors { try Dataset.load(from: URL(fileURLWithPath: folder)) }
            print("\(folder): vocabulary \(dataset.vocabulary.count) tokens"
                  + (dataset.manifest.map { ", generated by \($0.generator) (seed \($0.seed))" } ?? ""))
            var problems: [String] = []
            for name in Dataset.splitNames {
                let url = URL(fileURLWithPath: folder).appendingPathComponent("\(name).json")
                guard FileManager.default.fileExists(atPath: url.path) else {
                    if name == "train" || name == "test" { problems.append("\(name).json is missing") }
                    continue
                }
                do {
                    let split = try dataset.split(name)
                    let hops = split.hopCounts
                    print("  \(name).json  \(split.count) items, hops \(hops.first ?? 0)...\(hops.last ?? 0), types: \(DataCommand.summary(split))")
                    if split.isEmpty { problems.append("\(name).json is empty") }
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
            if problems.isEmpty { print("no problems found") } else {
                throw CLIError("\(folder) has problems:\n" + problems.map { "  - \($0)" }.joined(separator: "\n"))
            }
        }
    }
}

/// Runs `body`, turning package errors into CLI errors carrying their description.
func cliErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as CLIError { throw error } catch let error as ExitCode { throw error } catch {
        throw CLIError("\(error)")
    }
}

extension CLIError: LocalizedError {
    public var errorDescription: String? { description }
}
