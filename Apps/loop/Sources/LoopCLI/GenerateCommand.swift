import ArgumentParser
import Foundation
import KnowledgeGraph
import RecurrentDepth

/// `loop generate`: greedy decoding from a checkpoint (RecurrentDepth's `generate`), of prompts
/// given on the command line or of a dataset split's inputs scored against their answers.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Greedy generation from a checkpoint: continue prompts, or decode a dataset's inputs and score exact match.",
        discussion: """
        Tokens are spelled as in the dataset's vocab.json. The vocabulary is --data's; without --data, the one of
        the dataset the run trained on (the data folder its run.json names). --checkpoint is a checkpoint folder
        or a run folder (its checkpoints/final, else checkpoints/latest).

        Each token is computed at recurrence r with a key-value cache per layer call (one per step and layer,
        as in "Reasoning with Latent Thoughts"); --no-cache re-runs the whole sequence for every token instead,
        which is slower and gives the same tokens. Generation of a prompt stops at --stop (default </a> when
        the vocabulary has it) or after --max-tokens.

        With --split, exact match is the share of examples whose generated tokens before the stop token are
        their answer; answer match only asks that the first tokens be the answer, whatever follows (models
        trained with a loss on the answer alone never learned to stop).

        Examples:
          loop generate --checkpoint runs/perm --prompt "<e_3><r_1><r_0>"
          loop generate --checkpoint runs/perm/checkpoints/final --data data/perm --split test --count 100 --r 8
          loop generate --checkpoint runs/perm --prompt "<e_3><r_1>" --prompt "<e_5><r_2><r_2>" --max-tokens 4 --json
        """
    )

    @Option(help: "Checkpoint folder, or a run folder (its checkpoints/final, else checkpoints/latest).") var checkpoint: String
    @Option(help: "A prompt, tokens spelled as in the vocabulary (e.g. \"<e_3><r_1>\"); repeat for several.") var prompt: [String] = []
    @Option(help: "Dataset folder: its vocabulary, and without --prompt the examples to decode.") var data: String?
    @Option(help: "The dataset file whose inputs are decoded (without --prompt; default test).") var split: String?
    @Option(help: "Decode the first N examples of --split (default all).") var count: Int?
    @Option(name: [.customLong("r"), .customLong("recurrence")], help: "Recurrence steps per token (default: the checkpoint's).") var r: Int?
    @Option(help: "Most new tokens per prompt, the stop token included (default 16; with --split, the longest answer + 1).") var maxTokens: Int?
    @Option(help: "Stop a prompt's generation at this token (default </a> when the vocabulary has it).") var stop: String?
    @Flag(help: "Never stop before --max-tokens.") var noStop = false
    @Flag(help: "Re-run the whole sequence for every token instead of using the key-value cache.") var noCache = false
    @Option(help: "Prompts decoded together.") var batchSize: Int = 64
    @Flag(help: "Print the report as JSON instead of text.") var json = false
    @Option(help: "Also write the JSON report to this file (- prints it, as --json does).") var output: String?

    func validate() throws {
        if prompt.isEmpty && data == nil { throw ValidationError("give --prompt TEXT, or --data DIR to decode a split's inputs") }
        if !prompt.isEmpty && (split != nil || count != nil) { throw ValidationError("--split and --count decode a dataset; drop them with --prompt") }
        if let r, r < 1 { throw ValidationError("--r must be at least 1") }
        if let maxTokens, maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if stop != nil && noStop { throw ValidationError("choose --stop TOKEN or --no-stop") }
    }

    func run() throws {
        let folder = try Self.checkpointFolder(checkpoint)
        let model = try cliErrors { try Checkpoint.readModel(from: folder) }
        let (vocabulary, vocabularySource) = try Self.vocabulary(checkpoint: folder, data: data)
        if vocabulary.count > model.config.vocabSize {
            throw CLIError("the checkpoint \(folder.path) does not match the vocabulary of \(vocabularySource): it has \(vocabulary.count) tokens, the model's vocab_size is \(model.config.vocabSize)")
        }

        // What to decode: the prompts, or the split's examples with their answers.
        var prompts: [[Int32]] = [], examples: [Example] = []
        if prompt.isEmpty {
            let name = split ?? "test"
            let dataset = try cliErrors { try Dataset.load(from: URL(fileURLWithPath: data!)) }
            examples = try cliErrors { try dataset.split(name) }.examples
            if let count { examples = Array(examples.prefix(count)) }
            prompts = examples.map(\.inputIDs)
        } else {
            prompts = try prompt.map { try Self.tokenize($0, vocabulary, source: vocabularySource) }
        }

        let stopToken: Int32?
        if noStop {
            stopToken = nil
        } else if let stop {
            guard let id = vocabulary.id(stop) else { throw CLIError("--stop \(stop): not a token of the vocabulary (\(vocabularySource))") }
            stopToken = id
        } else {
            stopToken = vocabulary.id(Vocabulary.answerEndToken)
        }
        let newTokens = maxTokens ?? (examples.isEmpty ? 16 : examples.map(\.answer.count).max()! + 1)
        let options = GenerationOptions(recurrence: r ?? model.config.recurrence, maxNewTokens: newTokens,
                                        stopToken: stopToken, usesCache: !noCache)
        try checkLengths(prompts, options: options, config: model.config, fromData: !examples.isEmpty)

        let start = Date()
        var generated: [GeneratedSequence] = []
        for first in stride(from: 0, to: prompts.count, by: batchSize) {
            let batch = Array(prompts[first..<min(first + batchSize, prompts.count)])
            generated += try cliErrors { try model.generate(batch, options: options) }
        }
        let seconds = Date().timeIntervalSince(start)

        let report = GenerationReport(checkpoint: folder.path, options: options, vocabulary: vocabulary, sequences: generated,
                                      examples: examples.isEmpty ? nil : examples, split: examples.isEmpty ? nil : split ?? "test",
                                      seconds: seconds)
        let encoded = try report.json()
        if let output, output != Console.standardOutputPath { try Console.writeResult(encoded, to: output) }
        print(json || output == Console.standardOutputPath ? String(decoding: encoded, as: UTF8.self) : report.text())
    }

    /// The checkpoint `path` names: the folder itself when it holds `config.json`, else a run
    /// folder's `checkpoints/final`, else its `checkpoints/latest`.
    static func checkpointFolder(_ path: String) throws -> URL {
        let url = URL(fileURLWithPath: path)
        let manager = FileManager.default
        for candidate in [url, url.appendingPathComponent("checkpoints/final"), url.appendingPathComponent("checkpoints/latest")]
        where manager.fileExists(atPath: candidate.appendingPathComponent(Checkpoint.configFile).path) {
            return candidate
        }
        throw CLIError("\(path): not a checkpoint (no \(Checkpoint.configFile)) nor a run folder with checkpoints/final or checkpoints/latest")
    }

    /// The vocabulary and where it came from: `--data`'s, else that of the dataset named by the
    /// `run.json` of the run the checkpoint belongs to (`RUN/checkpoints/NAME`).
    static func vocabulary(checkpoint folder: URL, data: String?) throws -> (Vocabulary, String) {
        if let data {
            let dataset = try cliErrors { try Dataset.load(from: URL(fileURLWithPath: data)) }
            return (dataset.vocabulary, data)
        }
        let run = folder.deletingLastPathComponent().deletingLastPathComponent()
        let runFile = run.appendingPathComponent("run.json")
        guard FileManager.default.fileExists(atPath: runFile.path) else {
            throw CLIError("\(folder.path) is not inside a run folder with run.json, so its vocabulary is unknown; "
                           + "pass --data DIR, the dataset whose vocab.json it was trained with")
        }
        let settings = try RunSettings.load(runFile.path)
        let file = URL(fileURLWithPath: settings.data).appendingPathComponent("vocab.json")
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw CLIError("\(runFile.path) names the data folder \(settings.data), which has no vocab.json (from this directory); "
                           + "pass --data DIR, the dataset the run was trained on")
        }
        return (try cliErrors { try Vocabulary.load(from: file) }, settings.data)
    }

    /// A prompt's ids; an unknown token or a prompt without tokens is an error naming the prompt.
    static func tokenize(_ text: String, _ vocabulary: Vocabulary, source: String) throws -> [Int32] {
        let ids: [Int32]
        do { ids = try vocabulary.tokenize(text) } catch KnowledgeGraphError.unknownToken(let token, _, _) {
            let sample = vocabulary.tokens.dropFirst().prefix(8).joined(separator: " ")
            throw CLIError("--prompt \"\(text)\": unknown token \(token); the vocabulary of \(source) has \(vocabulary.count) tokens (\(sample) …)")
        }
        guard !ids.isEmpty else { throw CLIError("--prompt \"\(text)\" has no tokens; spell them as in vocab.json, e.g. \(vocabulary.tokens.dropFirst().prefix(2).joined())") }
        return ids
    }

    /// With learned or sinusoidal positions a prompt and the tokens fed back must fit the position
    /// table; this names the prompt and the fix before the model refuses it.
    func checkLengths(_ prompts: [[Int32]], options: GenerationOptions, config: ModelConfig, fromData: Bool) throws {
        guard config.positionalEmbedding != .none else { return }
        let table = "the checkpoint's \(config.positionalEmbedding.rawValue) position table covers (n_positions \(config.positions))"
        for (i, ids) in prompts.enumerated() where ids.count + options.maxNewTokens - 1 > config.positions {
            let text = prompt.isEmpty ? "" : prompt[i].count > 60 ? String(prompt[i].prefix(60)) + "…" : prompt[i]
            let name = fromData ? "example \(i) of \(split ?? "test") (\(ids.count) tokens)" : "--prompt \"\(text)\" (\(ids.count) tokens)"
            if ids.count > config.positions { throw CLIError("\(name) is longer than \(table)") }
            throw CLIError("\(name) with \(options.maxNewTokens) new tokens needs \(ids.count + options.maxNewTokens - 1) positions, "
                           + "more than \(table): use --max-tokens \(config.positions - ids.count + 1) or less")
        }
    }
}
