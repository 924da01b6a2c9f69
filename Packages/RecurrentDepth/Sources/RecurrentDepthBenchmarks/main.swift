// Training-step benchmark: loop's recurrent-depth GPT-2 against the PyTorch peer, same shapes,
// same thread count, in the same run. Each measurement runs in its own process so that its peak
// resident memory is its own.
import Foundation
import TensorKit
import RecurrentDepth

struct Shape: Codable {
    var d: Int, layers: Int, heads: Int, r: Int, batch: Int, seq: Int, vocab: Int
    /// Right-padded inputs whose real lengths are drawn from this range, the answer read at the
    /// last position (an extrapolation batch padded to `max_len`); nil: every position a token.
    var lengths: ClosedRange<Int>? = nil
    var label: String {
        "d \(d), \(layers) layers, r \(r), batch \(batch), seq \(seq), vocab \(vocab)"
            + (lengths.map { ", inputs of \($0.lowerBound)–\($0.upperBound) tokens padded to \(seq)" } ?? "")
    }
    /// The peer's arguments (it has no padding: it computes every position, as the reference does).
    var arguments: [String] {
        ["--d", "\(d)", "--layers", "\(layers)", "--heads", "\(heads)", "--r", "\(r)", "--batch", "\(batch)", "--seq", "\(seq)", "--vocab", "\(vocab)"]
    }
    /// loop's arguments: the peer's, and the padded lengths.
    var ownArguments: [String] { arguments + (lengths.map { ["--lengths", "\($0.lowerBound)-\($0.upperBound)"] } ?? []) }
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
            --peer-python (default \(o.peerPython)) and --peer-script (default \(o.peerScript)) name the peer;
            Last, thread scaling: loop's training step on d 128, 4 layers, seq 12 at 1 thread and at more up to
            --threads, its speed-up over 1 thread, and a hash of the parameters after the warm-up steps, which must
            be the same at every thread count (--scaling: only this table).
            --training / --eval time one pass only; --gradient-steps K backpropagates through the last K steps;
            --compiled-peer also times the peer under torch.compile (its first steps compile, which takes
              minutes in all) and adds its ms/step and loop's ratio to it; the targets stay against eager PyTorch;
            --lengths A-B (with --single) pads inputs of A to B tokens to --seq, the answer at the last position;
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
    if isSingle { o.single = shape }
    return o
}

func peakResidentMB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// Runs steps of `pass` on random data for `seconds` after a warm-up, and prints one JSON line:
/// time per step, peak memory, and per-step allocations over the timed steps.
func measure(_ s: Shape, pass: Pass, options: Options) throws {
    var generator = RandomGenerator(seed: 0)
    let config = ModelConfig(vocabSize: s.vocab, embeddingSize: s.d, layers: s.layers, heads: s.heads, positions: max(s.seq, 8),
                             positionalEmbedding: .none, recurrence: s.r)
    let model = try RecurrentGPT2(config: config, generator: &generator)
    let optimizer = AdamW(parameters: model.parameters, learningRate: 1e-4, weightDecay: 0.1)
    var ids = IDTensor(shape: [s.batch, s.seq], ids: (0..<(s.batch * s.seq)).map { _ in Int32(1 + generator.nextInt(below: s.vocab - 1)) })
    let targets = IDTensor(shape: [s.batch], ids: (0..<s.batch).map { _ in Int32(1 + generator.nextInt(below: s.vocab - 1)) })
    let mask = Tensor.ones([s.batch, s.seq])
    if let lengths = s.lengths {
        for b in 0..<s.batch {
            let n = lengths.lowerBound + generator.nextInt(below: lengths.count)
            for j in n..<s.seq { ids.ids[b * s.seq + j] = 0; mask.pointer[b * s.seq + j] = 0 }
        }
    }
    let input = ModelInput(ids: ids, mask: mask, positions: Array(repeating: s.seq - 1, count: s.batch))
    func step() throws {
        switch pass {
        case .training:
            // As the trainer computes it: the batch in slices side by side, each on its share of the threads.
            optimizer.zeroGrad()
            _ = try model.addLossGradient(input, labels: targets, recurrence: s.r, labelSmoothing: 0.1,
                                          gradientSteps: options.gradientSteps)
            optimizer.step()
        case .evaluation:
            _ = try withoutGrad { try model.monitoredLogits(input, recurrence: s.r).argmax(axis: -1) }
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
    print(#"{"ms_per_step": \#(ms), "median_ms_per_step": \#(median), "peak_mb": \#(peakResidentMB()), "new_buffers_per_step": \#(buffers), "allocator_calls_per_step": \#(calls.map { "\($0)" } ?? "null"), "parameters_hash": \#(hash)}"#)
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
var missed: [String] = [], compiledFailures: [String] = []
/// Measures one row of the table; `goal` nil for rows outside the targets.
func measureRow(_ baseShape: Shape, _ pass: Pass, goal: Double?) {
    var shape = baseShape
    if pass == .evaluation { shape.batch = options.evalBatch }
    var own = ["--single", pass.rawValue, "--seconds", "\(options.seconds)", "--threads", "\(options.threads)"] + shape.ownArguments
    if let k = options.gradientSteps { own += ["--gradient-steps", "\(k)"] }
    var mine: [String: Any]?, peer: [String: Any]?, compiled: [String: Any]?
    let peerArguments = ["-c", peerWrapper, options.peerScript, "--threads", "\(options.threads)", "--seconds", "\(options.seconds)"]
        + shape.arguments + (pass == .evaluation ? ["--eval"] : [])
    for _ in 0..<options.repeats {
        mine = best(mine, runJSON(me, own, environment: ["TENSORKIT_THREADS": "\(options.threads)"]))
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
