// Training-step benchmark: loop's recurrent-depth GPT-2 against the PyTorch peer, same shapes,
// same thread count, in the same run. Each measurement runs in its own process so that its peak
// resident memory is its own.
import Foundation
import TensorKit
import KnowledgeGraph
import RecurrentDepth

/// n-ary addition as `loop train` trains it (`--targets answer`): KnowledgeGraph's
/// `AdditionGenerator` items batched by its `Batcher`, each row the input and the answer but its
/// last token (teacher forcing), read at the answer's positions (`ModelInput.spans`), the loss the
/// mean cross-entropy over them.
struct Addition: Codable {
    var numbers: Int, digits: Int
    var inputTokens: Int { numbers * (digits + 1) }
    /// The sum's digits, zero-padded to the width of the largest sum, as the generator spells it.
    var answerTokens: Int { String(numbers * ((0..<digits).reduce(1) { r, _ in r * 10 } - 1)).count }
    var rowTokens: Int { inputTokens + answerTokens - 1 }
    static let vocabulary = AdditionGenerator.vocabulary.count

    /// `NxD`, as `--addition` takes it.
    init?(_ text: String) {
        let parts = text.split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 2, (1...18).contains(parts[1]) else { return nil }
        (numbers, digits) = (parts[0], parts[1])
    }

    /// A batch of `batch` distinct items (seed 0) and the tokens its read positions predict. With
    /// `lastOnly`, the same rows read at their last position alone: the one-token loss on the same
    /// rows, to set a span's cost per predicted token beside it.
    func batch(_ batch: Int, lastOnly: Bool) throws -> (input: ModelInput, labels: IDTensor) {
        let parameters = AdditionGenerator.Parameters(numbers: numbers, digits: digits, trainSize: batch, testSize: 1,
                                                      trainSampleInTest: 0, smallTestPerType: 0)
        let items = try AdditionGenerator(parameters: parameters).generate().train
        let rows = try Batcher(split: items, batchSize: batch, padding: .longest, targets: .answer).batches()[0]
        var input = ModelInput(rows, predictionPosition: .inputLength)
        guard lastOnly else { return (input, IDTensor(shape: [rows.labels.count], ids: rows.labels)) }
        input.spans = nil
        let last = (0..<batch).map { rows.labels[($0 + 1) * answerTokens - 1] }
        return (input, IDTensor(shape: [batch], ids: last))
    }
}

struct Shape: Codable {
    var d: Int, layers: Int, heads: Int, r: Int, batch: Int, seq: Int, vocab: Int
    /// Right-padded inputs whose real lengths are drawn from this range, the answer read at the
    /// last position (an extrapolation batch padded to `max_len`); nil: every position a token.
    var lengths: ClosedRange<Int>? = nil
    /// Addition items instead of random ids; `seq` and `vocab` are then the addition's.
    var addition: Addition? = nil
    var label: String {
        if let a = addition {
            return "d \(d), \(layers) layers, r \(r), batch \(batch), addition of \(a.numbers) numbers of \(a.digits) digits "
                + "(rows of \(seq) tokens, answers of \(a.answerTokens)), vocab \(vocab)"
        }
        return "d \(d), \(layers) layers, r \(r), batch \(batch), seq \(seq), vocab \(vocab)"
            + (lengths.map { ", inputs of \($0.lowerBound)–\($0.upperBound) tokens padded to \(seq)" } ?? "")
    }
    /// The addition rows train on plain cross-entropy, as `loop train` does by default; the others
    /// keep the label smoothing (0.1) of the reference's systematicity runs.
    var labelSmoothing: Float { addition == nil ? 0.1 : 0 }

    static func addition(_ a: Addition, d: Int, layers: Int, heads: Int, r: Int, batch: Int) -> Shape {
        Shape(d: d, layers: layers, heads: heads, r: r, batch: batch, seq: a.rowTokens, vocab: Addition.vocabulary, addition: a)
    }
    /// The peer's arguments (it has no padding: it computes every position, as the reference does).
    var arguments: [String] {
        ["--d", "\(d)", "--layers", "\(layers)", "--heads", "\(heads)", "--r", "\(r)", "--batch", "\(batch)", "--seq", "\(seq)", "--vocab", "\(vocab)"]
    }
    /// loop's arguments: the peer's, and the padded lengths.
    var ownArguments: [String] {
        arguments + (lengths.map { ["--lengths", "\($0.lowerBound)-\($0.upperBound)"] } ?? [])
            + (addition.map { ["--addition", "\($0.numbers)x\($0.digits)"] } ?? [])
    }
}

/// The shapes whose figures Scripts/pytorch/README.md keeps for the peer.
let peerShapes = [
    Shape(d: 64, layers: 2, heads: 4, r: 4, batch: 128, seq: 4, vocab: 2206),
    Shape(d: 128, layers: 2, heads: 4, r: 4, batch: 128, seq: 6, vocab: 220),
    Shape(d: 128, layers: 4, heads: 4, r: 4, batch: 128, seq: 12, vocab: 220),
    Shape(d: 256, layers: 4, heads: 8, r: 4, batch: 128, seq: 12, vocab: 220),
    Shape(d: 768, layers: 4, heads: 12, r: 4, batch: 128, seq: 4, vocab: 2206),
]

/// Depth-extrapolation batches as the trainer builds them: right-padded to a fixed `max_len`, the
/// answer read at the last position. The reference (and the peer) compute every padded position;
/// loop skips the columns no answer reads. Inputs of 2–6 tokens are a curriculum up to 5 hops.
let paddedShapes = [
    Shape(d: 128, layers: 4, heads: 4, r: 4, batch: 128, seq: 12, vocab: 220, lengths: 2...6),
    Shape(d: 128, layers: 4, heads: 4, r: 4, batch: 128, seq: 50, vocab: 220, lengths: 2...6),
]

/// Answers of several tokens: n-ary addition, teacher-forced, the loss over each answer's tokens.
/// Two sizes: the generator's default (4 two-digit numbers, 12 input and 3 answer tokens) on a
/// small model, and 8 three-digit numbers (32 input and 4 answer tokens) on a wider, deeper one
/// at r 2, so that each row runs in seconds on two cores. The peer computes the same loss on the
/// same batch and weights (it loads loop's; the step-0 losses are compared).
let spanShapes = [
    Shape.addition(Addition("4x2")!, d: 128, layers: 2, heads: 4, r: 4, batch: 128),
    Shape.addition(Addition("8x3")!, d: 256, layers: 4, heads: 8, r: 2, batch: 128),
]

enum Pass: String { case training, evaluation }

struct Options {
    var seconds = 5.0
    var threads = 2
    var peerPython = "/tmp/torch-peer/bin/python"
    var peerScript = ""
    var runPeer = true
    /// Also time the peer through `torch.compile` (inductor's generated C++), PyTorch's strongest
    /// CPU configuration; the targets stay against eager PyTorch.
    var compiledPeer = false
    var single: Shape?
    var gradientSteps: Int?
    var filter: String?
    var passes: [Pass] = [.training, .evaluation]
    /// The batch size of the evaluation pass.
    var evalBatch = 1024
    /// A fixed number of timed steps instead of `seconds` (for instruction and cycle counts).
    var steps: Int?
    /// Measurements per side, alternating loop and PyTorch; the table keeps each side's fastest
    /// (these shared machines slow single runs down by up to a third).
    var repeats = 3
    /// Only the thread-scaling table.
    var scalingOnly = false
    /// Only greedy generation with and without the key-value cache (`GenerationBenchmark.swift`).
    var generationOnly = false
    /// Prompts decoded together in the generation table's second rows.
    var generationBatch = 16
    /// With `--single` on addition: read each row at its last position only.
    var lastOnly = false
    /// With `--single`: write the initial weights (a loop checkpoint) and the batch (`batch.json`)
    /// here, for the peer to compute the same loss on.
    var export: String?
}

/// The repository this benchmark was built from (Packages/RecurrentDepth/Sources/RecurrentDepthBenchmarks/main.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func parseOptions() -> Options {
    var o = Options()
    o.peerScript = repositoryRoot.appendingPathComponent("Scripts/pytorch/peer_bench.py").path
    var args = Array(CommandLine.arguments.dropFirst())
    var shape = Shape(d: 128, layers: 2, heads: 4, r: 4, batch: 128, seq: 6, vocab: 220)
    var isSingle = false
    func value() -> String {
        guard args.count >= 2 else { FileHandle.standardError.write("missing value for \(args[0])\n".data(using: .utf8)!); exit(2) }
        let v = args[1]; args.removeFirst(2); return v
    }
    func int() -> Int {
        let text = value()
        guard let n = Int(text), n > 0 else { FileHandle.standardError.write("not a positive integer: \(text)\n".data(using: .utf8)!); exit(2) }
        return n
    }
    while let flag = args.first {
        switch flag {
        case "--seconds":
            let text = value()
            guard let s = Double(text), s > 0 else { FileHandle.standardError.write("not a positive number of seconds: \(text)\n".data(using: .utf8)!); exit(2) }
            o.seconds = s
        case "--threads": o.threads = int()
        case "--peer-python": o.peerPython = value()
        case "--peer-script": o.peerScript = value()
        case "--no-peer": o.runPeer = false; args.removeFirst()
        case "--compiled-peer": o.compiledPeer = true; args.removeFirst()
        case "--quick": o.seconds = 1; o.repeats = 1; args.removeFirst()
        case "--filter": o.filter = value()
        case "--gradient-steps": o.gradientSteps = int()
        case "--training": o.passes = [.training]; args.removeFirst()
        case "--eval", "--evaluation": o.passes = [.evaluation]; args.removeFirst()
        case "--eval-batch": o.evalBatch = int()
        case "--steps": o.steps = int()
        case "--repeat": o.repeats = int()
        case "--scaling": o.scalingOnly = true; o.passes = [.training]; args.removeFirst()
        case "--generation": o.generationOnly = true; args.removeFirst()
        case "--generation-batch": o.generationBatch = int()
        case "--single":
            isSingle = true; args.removeFirst()
            if let pass = args.first.flatMap(Pass.init(rawValue:)) { o.passes = [pass]; args.removeFirst() }
        case "--d": shape.d = int()
        case "--layers": shape.layers = int()
        case "--heads": shape.heads = int()
        case "--r": shape.r = int()
        case "--batch": shape.batch = int()
        case "--seq": shape.seq = int()
        case "--vocab": shape.vocab = int()
        case "--addition":
            let text = value()
            guard let a = Addition(text) else {
                FileHandle.standardError.write("--addition wants NxD with N ≥ 2 numbers of D in 1…18 digits, got \(text)\n".data(using: .utf8)!); exit(2)
            }
            shape.addition = a
        case "--last-only": o.lastOnly = true; args.removeFirst()
        case "--export": o.export = value()
        case "--lengths":
            let text = value(), bounds = text.split(separator: "-").compactMap { Int($0) }
            guard bounds.count == 2, bounds[0] >= 1, bounds[0] <= bounds[1] else {
                FileHandle.standardError.write("--lengths wants A-B with 1 ≤ A ≤ B, got \(text)\n".data(using: .utf8)!); exit(2)
            }
            shape.lengths = bounds[0]...bounds[1]
        case "--help", "-h":
            print("""
            usage: recurrentdepth-bench [--seconds S] [--repeat N] [--threads N] [--quick] [--filter TEXT] [--training | --eval]
                                        [--eval-batch B] [--gradient-steps K] [--no-peer] [--compiled-peer] [--scaling]
                                        [--peer-python PATH] [--peer-script PATH] [--generation [--generation-batch B]]
            For each peer shape (Scripts/pytorch/README.md), times loop's training step (forward, backward, AdamW) and
            its evaluation pass (forward without gradients and the argmax answer, at batch 1024), and the PyTorch
            peer (Scripts/pytorch/peer_bench.py) on the same shapes in the same run; Scripts/pytorch/setup-torch.sh
            installs PyTorch in /tmp/torch-peer, the default --peer-python. Every
            measurement runs in its own process, so peak resident memory is its own; each side is measured N times
            (default 3), alternating, and the fastest kept. Prints ms per step, steps/s,
            peak memory, what loop allocated per steady-state step (new tensor buffers and C allocator calls),
            the ratio loop ÷ PyTorch in steps/s (above 1: loop is faster) and whether the target is met.
            After those shapes, rows on padded batches (inputs of 2–6 tokens right-padded to 12 and to 50, the
            answer at the last position, as depth-extrapolation training pads to max_len): the peer computes every
            padded position, as the reference does; loop skips the columns no answer reads. They have no target.
            Then answers of several tokens (--filter addition): n-ary addition items (KnowledgeGraph's generator),
            each row the input and the answer but its last token, the loss the mean cross-entropy over the answer's
            positions, evaluation the exact match of every answer token; 4 two-digit numbers (rows of 14 tokens,
            answers of 3) at d 128, 2 layers, r 4, and 8 three-digit numbers (rows of 35, answers of 4) at d 256,
            4 layers, r 2. The peer loads loop's initial weights and batch (peer_bench.py --span K --weights DIR),
            and the table says whether both sides' step-0 loss (evaluation: argmax hits) agree. No target.
            --peer-python (default \(o.peerPython)) and --peer-script (default \(o.peerScript)) name the peer;
            Last, thread scaling: loop's training step on d 128, 4 layers, seq 12 at 1 thread and at more up to
            --threads, its speed-up over 1 thread, and a hash of the parameters after the warm-up steps, which must
            be the same at every thread count (--scaling: only this table).
            --training / --eval time one pass only; --gradient-steps K backpropagates through the last K steps;
            --compiled-peer also times the peer under torch.compile (its first steps compile, which takes
              minutes in all) and adds its ms/step and loop's ratio to it; the targets stay against eager PyTorch;
            --lengths A-B (with --single) pads inputs of A to B tokens to --seq, the answer at the last position;
            --addition NxD (with --single): N numbers of D digits, teacher-forced (--seq and --vocab follow from it);
              --last-only reads the same rows at their last position alone (the one-token loss, for comparing the
              cost per predicted token); --export DIR writes the initial weights and batch for the peer's --weights;
            --steps N times N steps instead of S seconds (steady cycle and instruction counts under perf stat:
              recurrentdepth-bench --single training --steps 20 --d 128 --layers 4 --seq 12).
            --generation: only greedy generation (d 128, 2 layers, r 4, a 16-token prompt, 32 new tokens) with the
              key-value cache per layer call and without it (re-running the grown sequence), in tokens/s, for one
              prompt and for --generation-batch B prompts decoded together (default 16).
            """)
            exit(0)
        default: FileHandle.standardError.write("unknown option \(flag) (see --help)\n".data(using: .utf8)!); exit(2)
        }
    }
    if shape.lengths != nil && !isSingle {
        FileHandle.standardError.write("--lengths goes with --single (the default run has padded rows of its own)\n".data(using: .utf8)!); exit(2)
    }
    if let lengths = shape.lengths, lengths.upperBound > shape.seq {
        FileHandle.standardError.write("--lengths \(lengths.lowerBound)-\(lengths.upperBound) exceeds --seq \(shape.seq)\n".data(using: .utf8)!); exit(2)
    }
    if let a = shape.addition {
        guard isSingle, shape.lengths == nil else {
            FileHandle.standardError.write("--addition goes with --single and without --lengths (the default run has addition rows of its own)\n".data(using: .utf8)!); exit(2)
        }
        (shape.seq, shape.vocab) = (a.rowTokens, Addition.vocabulary)
    }
    if !isSingle && o.export != nil || o.lastOnly && shape.addition == nil {
        FileHandle.standardError.write("--export goes with --single, --last-only with --single --addition\n".data(using: .utf8)!); exit(2)
    }
    if isSingle { o.single = shape }
    return o
}

func peakResidentMB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// Runs steps of `pass` on random data (or addition items) for `seconds` after a warm-up, and
/// prints one JSON line: time per step, peak memory, per-step allocations over the timed steps,
/// and what the first step computed at the initial weights (the loss, or the read positions
/// predicted right), which the peer's must equal on the same weights and batch.
func measure(_ s: Shape, pass: Pass, options: Options) throws {
    var generator = RandomGenerator(seed: 0)
    // Addition rows have learned positions, as `loop train` builds its models; the random-id rows
    // have none, as the reference's runs on those shapes.
    let config = ModelConfig(vocabSize: s.vocab, embeddingSize: s.d, layers: s.layers, heads: s.heads, positions: max(s.seq, 8),
                             positionalEmbedding: s.addition == nil ? .none : .learned, recurrence: s.r)
    let model = try RecurrentGPT2(config: config, generator: &generator)
    let optimizer = AdamW(parameters: model.parameters, learningRate: 1e-4, weightDecay: 0.1)
    let input: ModelInput, targets: IDTensor
    if let addition = s.addition {
        (input, targets) = try addition.batch(s.batch, lastOnly: options.lastOnly)
    } else {
        var ids = IDTensor(shape: [s.batch, s.seq], ids: (0..<(s.batch * s.seq)).map { _ in Int32(1 + generator.nextInt(below: s.vocab - 1)) })
        targets = IDTensor(shape: [s.batch], ids: (0..<s.batch).map { _ in Int32(1 + generator.nextInt(below: s.vocab - 1)) })
        let mask = Tensor.ones([s.batch, s.seq])
        if let lengths = s.lengths {
            for b in 0..<s.batch {
                let n = lengths.lowerBound + generator.nextInt(below: lengths.count)
                for j in n..<s.seq { ids.ids[b * s.seq + j] = 0; mask.pointer[b * s.seq + j] = 0 }
            }
        }
        input = ModelInput(ids: ids, mask: mask, positions: Array(repeating: s.seq - 1, count: s.batch))
    }
    if let folder = options.export {
        try Checkpoint.write(model, to: URL(fileURLWithPath: folder),
                             extraFiles: ["batch.json": try batchJSON(input, labels: targets, labelSmoothing: s.labelSmoothing)])
    }
    var first: String?
    func step() throws {
        switch pass {
        case .training:
            // As the trainer computes it: the batch in slices side by side, each on its share of the threads.
            optimizer.zeroGrad()
            let loss = try model.addLossGradient(input, labels: targets, recurrence: s.r, labelSmoothing: s.labelSmoothing,
                                                 gradientSteps: options.gradientSteps)
            optimizer.step()
            if first == nil { first = #""first_loss": \#(loss)"# }
        case .evaluation:
            let predicted = try withoutGrad { try model.monitoredLogits(input, recurrence: s.r).argmax(axis: -1) }
            // Exact match, as `evaluateByType` scores an answer of several tokens: every token right.
            var (row, hits, exact) = (0, 0, 0)
            for e in 0..<input.batchSize {
                let n = input.spans?[e] ?? 1
                let right = (row..<row + n).filter { predicted.ids[$0] == targets.ids[$0] }.count
                (row, hits, exact) = (row + n, hits + right, exact + (right == n ? 1 : 0))
            }
            if first == nil { first = #""first_hits": \#(hits), "first_exact": \#(exact)"# }
        }
    }
    for _ in 0..<3 { try step() }
    // The parameters after the warm-up: equal hashes at different thread counts mean equal bits.
    let hash = pass == .training ? "\"\(parametersHash(model))\"" : "null"
    BufferPool.resetStatistics()
    let callsBefore = allocatorCallCount()
    var n = 0
    let start = Date()
    // Each step is timed too: the median step shrugs off a neighbour's burst that the mean absorbs.
    var stepMs: [Double] = []
    while options.steps.map({ n < $0 }) ?? (Date().timeIntervalSince(start) < options.seconds) {
        let t0 = Date()
        try step()
        stepMs.append(Date().timeIntervalSince(t0) * 1000)
        n += 1
    }
    let ms = Date().timeIntervalSince(start) * 1000 / Double(n)
    let median = stepMs.sorted()[stepMs.count / 2]
    let calls = allocatorCallCount().flatMap { after in callsBefore.map { Double(after - $0) / Double(n) } }
    let buffers = Double(BufferPool.statistics.fresh) / Double(n)
    print(#"{"ms_per_step": \#(ms), "median_ms_per_step": \#(median), "peak_mb": \#(peakResidentMB()), "new_buffers_per_step": \#(buffers), "allocator_calls_per_step": \#(calls.map { "\($0)" } ?? "null"), "parameters_hash": \#(hash), \#(first!)}"#)
}

/// The batch as `peer_bench.py --weights` reads it: ids and mask `[B, T]` row-major, each
/// example's last read position and span, the labels of the read positions in order.
func batchJSON(_ input: ModelInput, labels: IDTensor, labelSmoothing: Float) throws -> Data {
    let object: [String: Any] = [
        "shape": input.ids.shape, "ids": input.ids.ids.map(Int.init), "mask": input.mask.scalars.map { Int($0) },
        "positions": input.positions, "spans": input.spans ?? Array(repeating: 1, count: input.batchSize),
        "labels": labels.ids.map(Int.init), "label_smoothing": Double(labelSmoothing),
    ]
    return try JSONSerialization.data(withJSONObject: object)
}

/// FNV-1a over the bits of every parameter, in order, as hex.
func parametersHash(_ model: RecurrentGPT2) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for p in model.parameters {
        for x in p.scalars { h = (h ^ UInt64(x.bitPattern)) &* 0x100_0000_01b3 }
    }
    return String(h, radix: 16)
}

/// Runs a command and returns the last line of its standard output as a JSON object.
func runJSON(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) -> [String: Any]? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let pipe = Pipe()
    process.standardOutput = pipe
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0,
          let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
          let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
    return object
}

func number(_ o: [String: Any]?, _ key: String) -> Double? { (o?[key] as? NSNumber)?.doubleValue }

/// The faster of two measurements, with the larger peak memory of the two.
func best(_ a: [String: Any]?, _ b: [String: Any]?) -> [String: Any]? {
    guard let a, let b else { return a ?? b }
    var kept = (number(a, "ms_per_step") ?? .infinity) <= (number(b, "ms_per_step") ?? .infinity) ? a : b
    kept["peak_mb"] = max(number(a, "peak_mb") ?? 0, number(b, "peak_mb") ?? 0)
    return kept
}

func text(_ x: Double?, _ digits: Int = 1) -> String { x.map { String(format: "%.\(digits)f", $0) } ?? "—" }

let options = parseOptions()
setenv("TENSORKIT_THREADS", "\(options.threads)", 1)
if let shape = options.single {
    do { try measure(shape, pass: options.passes[0], options: options) } catch { FileHandle.standardError.write("\(error)\n".data(using: .utf8)!); exit(1) }
    exit(0)
}
let me = CommandLine.arguments[0].hasPrefix("/") ? CommandLine.arguments[0]
    : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0]

/// The training step at 1 thread and at more: the batch's slices are fixed by the batch, so every
/// thread count must give the same parameters (bits), and the speed-up shows what the threads add.
func threadScaling() {
    let shape = peerShapes[2]
    var counts = [1]
    while counts.last! * 2 < options.threads { counts.append(counts.last! * 2) }
    if options.threads > 1 { counts.append(options.threads) }
    print("| thread scaling: \(shape.label) | threads | loop ms/step | speed-up over 1 thread | parameters after the warm-up |")
    print("|---|---:|---:|---:|---|")
    var oneThread: Double?, hashes: Set<String> = []
    for n in counts {
        var mine: [String: Any]?
        for _ in 0..<options.repeats {
            mine = best(mine, runJSON(me, ["--single", "training", "--seconds", "\(options.seconds)", "--threads", "\(n)"] + shape.ownArguments,
                                      environment: ["TENSORKIT_THREADS": "\(n)"]))
        }
        let ms = number(mine, "ms_per_step"), hash = mine?["parameters_hash"] as? String
        if n == 1 { oneThread = ms }
        if let hash { hashes.insert(hash) }
        let speedUp = oneThread.flatMap { one in ms.map { one / $0 } }
        print("| | \(n) | \(text(ms, 2)) | \(speedUp.map { text($0, 2) + "×" } ?? "—") | \(hash ?? "measurement failed") |")
    }
    print(hashes.count == 1 ? "Every thread count gives the same parameters." : "The thread counts give different parameters.")
}
if options.scalingOnly {
    threadScaling()
    exit(0)
}
if options.generationOnly {
    do {
        try generationBenchmark(seconds: options.seconds, repeats: options.repeats, threads: options.threads, batch: options.generationBatch)
    } catch { FileHandle.standardError.write("\(error)\n".data(using: .utf8)!); exit(1) }
    exit(0)
}

let peerAvailable = options.runPeer && FileManager.default.isExecutableFile(atPath: options.peerPython)
    && FileManager.default.fileExists(atPath: options.peerScript)
if options.runPeer && !peerAvailable {
    print("PyTorch peer not found (\(options.peerPython), \(options.peerScript)); run Scripts/pytorch/setup-torch.sh. Timing loop alone.\n")
}
// The peer's script prints ms per step; peak memory comes from wrapping it with getrusage.
let peerWrapper = """
import resource, runpy, sys, io, contextlib, json
sys.argv = sys.argv[1:]
sys.path.insert(0, sys.argv[0].rsplit('/', 1)[0])
buffer = io.StringIO()
with contextlib.redirect_stdout(buffer):
    runpy.run_path(sys.argv[0], run_name='__main__')
result = json.loads(buffer.getvalue().strip().splitlines()[-1])
result['peak_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""

/// The project's speed targets, as loop ÷ PyTorch in steps/s.
func target(_ shape: Shape, _ pass: Pass) -> Double {
    pass == .evaluation ? 2 : (shape.d <= 128 ? 2 : 1.2)
}

print("loop vs PyTorch \(peerAvailable ? "(same run)" : "(peer not run)"), \(options.threads) threads each, best of \(options.repeats) measurements of \(options.seconds) s, alternating"
      + (options.gradientSteps.map { ", loop backpropagating through the last \($0) steps" } ?? ""))
print("training = forward, backward and AdamW at the shape's batch; evaluation = forward without gradients and the argmax answer at batch \(options.evalBatch)")
print("allocations are per steady-state step: new tensor buffers (not served by TensorKit's BufferPool) / calls to the C allocator")
print("")
let compiledPeer = peerAvailable && options.compiledPeer
print("| shape | pass | loop ms/step | loop steps/s | loop peak MB | loop allocations/step | PyTorch ms/step | PyTorch steps/s | PyTorch peak MB | loop ÷ PyTorch | target |"
      + (compiledPeer ? " PyTorch compiled ms/step | loop ÷ compiled |" : ""))
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|" + (compiledPeer ? "---:|---:|" : ""))
var missed: [String] = [], compiledFailures: [String] = [], disagreements: [String] = []

/// Whether loop and the peer computed the same first step on the same weights and batch: the loss
/// to float32 rounding (relative 1e-4, as the fixtures are checked), or the same count of read
/// positions predicted right.
func stepZeroCheck(_ mine: [String: Any]?, _ peer: [String: Any]?) -> (agrees: Bool, text: String)? {
    if let a = number(mine, "first_loss"), let b = number(peer, "first_loss") {
        let difference = abs(a - b) / max(abs(b), 1e-12)
        return difference <= 1e-4 ? (true, "step-0 loss agrees (\(String(format: "%.4f", a)), relative difference \(String(format: "%.1e", difference)))")
            : (false, "step-0 loss differs: loop \(a), PyTorch \(b)")
    }
    if let a = number(mine, "first_hits"), let b = number(peer, "first_hits") {
        let (ea, eb) = (number(mine, "first_exact") ?? -1, number(peer, "first_exact") ?? -1)
        return a == b && ea == eb ? (true, "same step-0 argmax hits (\(Int(a)) tokens, \(Int(ea)) answers)")
            : (false, "step-0 argmax hits differ: loop \(Int(a)) tokens / \(Int(ea)) answers, PyTorch \(Int(b)) / \(Int(eb))")
    }
    return nil
}
/// Measures one row of the table; `goal` nil for rows outside the targets.
func measureRow(_ baseShape: Shape, _ pass: Pass, goal: Double?) {
    var shape = baseShape
    if pass == .evaluation { shape.batch = options.evalBatch }
    var own = ["--single", pass.rawValue, "--seconds", "\(options.seconds)", "--threads", "\(options.threads)"] + shape.ownArguments
    if let k = options.gradientSteps { own += ["--gradient-steps", "\(k)"] }
    var mine: [String: Any]?, peer: [String: Any]?, compiled: [String: Any]?
    var peerArguments = ["-c", peerWrapper, options.peerScript, "--threads", "\(options.threads)", "--seconds", "\(options.seconds)"]
        + shape.arguments + (pass == .evaluation ? ["--eval"] : [])
    // Addition rows: loop's first measurement writes its initial weights and batch, and the peer
    // computes on those, so that both sides' step-0 results can be compared.
    var exported: URL?
    if shape.addition != nil && peerAvailable {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recurrentdepth-bench-\(getpid())-\(shape.d)-\(pass.rawValue)")
        exported = folder
        peerArguments += ["--span", "\(shape.addition!.answerTokens)", "--weights", folder.path]
    }
    defer { if let exported { try? FileManager.default.removeItem(at: exported) } }
    for run in 0..<options.repeats {
        let export = run == 0 ? exported.map { ["--export", $0.path] } ?? [] : []
        mine = best(mine, runJSON(me, own + export, environment: ["TENSORKIT_THREADS": "\(options.threads)"]))
        if peerAvailable {
            peer = best(peer, runJSON(options.peerPython, peerArguments, environment: ["OMP_NUM_THREADS": "\(options.threads)"]))
        }
        if compiledPeer {
            compiled = best(compiled, runJSON(options.peerPython, peerArguments + ["--compile"],
                                              environment: ["OMP_NUM_THREADS": "\(options.threads)"]))
        }
    }
    let ms = number(mine, "ms_per_step"), peerMS = number(peer, "ms_per_step")
    let ratio = (ms != nil && peerMS != nil) ? peerMS! / ms! : nil
    let compiledRatio = number(compiled, "ms_per_step").flatMap { c in ms.map { c / $0 } }
    var verdict = goal.map { goal in ratio.map { $0 >= goal ? "≥ \(goal)× met" : "≥ \(goal)× not met" } ?? "≥ \(goal)×" } ?? "no target"
    if let goal, let ratio, ratio < goal { missed.append("\(pass.rawValue) \(shape.label): \(text(ratio, 2))× (target \(goal)×)") }
    if let mb = number(mine, "peak_mb"), let peerMB = number(peer, "peak_mb") {
        verdict += mb <= peerMB ? "; memory ≤ PyTorch" : "; memory above PyTorch"
        if mb > peerMB && goal != nil { missed.append("\(pass.rawValue) \(shape.label): peak \(text(mb, 0)) MB above PyTorch's \(text(peerMB, 0)) MB") }
    }
    if exported != nil, let check = stepZeroCheck(mine, peer) {
        verdict += "; " + check.text
        if !check.agrees { disagreements.append("\(pass.rawValue) \(shape.label): \(check.text)") }
    }
    let allocations = "\(text(number(mine, "new_buffers_per_step"), 1)) / \(text(number(mine, "allocator_calls_per_step"), 0))"
    print("| \(shape.label) | \(pass.rawValue) | \(text(ms, 2)) | \(text(ms.map { 1000 / $0 })) | \(text(number(mine, "peak_mb"), 0)) | \(allocations) "
          + "| \(text(peerMS, 2)) | \(text(peerMS.map { 1000 / $0 })) | \(text(number(peer, "peak_mb"), 0)) | \(ratio.map { text($0, 2) + "×" } ?? "—") | \(verdict) |"
          + (compiledPeer ? " \(text(number(compiled, "ms_per_step"), 2)) | \(compiledRatio.map { text($0, 2) + "×" } ?? "—") |" : ""))
    if mine == nil { missed.append("\(pass.rawValue) \(shape.label): loop's measurement failed") }
    if peerAvailable && peer == nil { missed.append("\(pass.rawValue) \(shape.label): PyTorch's measurement failed") }
    if compiledPeer && compiled == nil { compiledFailures.append("\(pass.rawValue) \(shape.label)") }
}
/// Whether `--filter` (if given) selects the shape.
func selected(_ shape: Shape) -> Bool { options.filter.map { shape.label.contains($0) } ?? true }
for shape in peerShapes where selected(shape) {
    for pass in options.passes { measureRow(shape, pass, goal: target(shape, pass)) }
}
let padded = paddedShapes.filter(selected)
if !padded.isEmpty {
    print("| padded batches (no target: the peer computes every padded position, as the reference does) | | | | | | | | | | |"
          + (compiledPeer ? " | |" : ""))
    for shape in padded {
        for pass in options.passes { measureRow(shape, pass, goal: nil) }
    }
}
let spans = spanShapes.filter(selected)
if !spans.isEmpty {
    print("| answers of several tokens (no target: addition, teacher-forced, loss over the answer's tokens; the peer on loop's weights and batch) | | | | | | | | | | |"
          + (compiledPeer ? " | |" : ""))
    for shape in spans {
        for pass in options.passes { measureRow(shape, pass, goal: nil) }
    }
}
if !disagreements.isEmpty {
    print("")
    print("loop and PyTorch disagree at step 0:\n" + disagreements.map { "- " + $0 }.joined(separator: "\n"))
}
if !compiledFailures.isEmpty {
    print("")
    print("The compiled peer failed (does the peer script take --compile, and is a C++ compiler installed?) at:\n"
          + compiledFailures.map { "- " + $0 }.joined(separator: "\n"))
}
if peerAvailable {
    print("")
    let targeted = peerShapes.contains(where: selected)
    if targeted || !missed.isEmpty {
        print(missed.isEmpty ? "Every target met." : "Targets not met:\n" + missed.map { "- " + $0 }.joined(separator: "\n"))
    }
}
if options.passes.contains(.training) && selected(peerShapes[2]) {
    print("")
    threadScaling()
}
