import Foundation
import KnowledgeGraph
import TensorKit
import RecurrentDepth
import Halting

// halting-bench: does adaptive halting really save compute?
//
// Trains a small recurrent-depth model with the reference's dynamic recurrence (r ~ Poisson(4)
// clamped to [2, 8]) until it has memorized a small permutation graph, then evaluates its training
// set (the facts it knows, where halting can stop early) three ways, timed:
//   fixed     every example runs max_iters steps (RecurrentDepth's FixedRecurrenceEvaluator);
//   adaptive  entropy-kl-length at max_iters, stopped examples dropped from the working batch;
//   whole     the same policy, the whole batch computed until every example stops (the reference).
// Target: adaptive / fixed ≤ mean iterations / max_iters + 0.1.
//
//   swift run -c release halting-bench [--steps N] [--max-len T] [--batch B] [--runs N] [--out DIR] [--quick]

var arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]) else { return fallback }
    return v
}
let quick = arguments.contains("--quick")
let steps = option("--steps", quick ? 600 : 1200)
let maxLength = option("--max-len", 16)
let batchSize = option("--batch", 1024)
let runs = option("--runs", quick ? 1 : 3)
let maxIterations = 8
let outFolder = arguments.firstIndex(of: "--out").flatMap { $0 + 1 < arguments.count ? URL(fileURLWithPath: arguments[$0 + 1]) : nil }

func now() -> Double { Date().timeIntervalSince1970 }
func f(_ x: Double, _ d: Int = 2) -> String { String(format: "%.\(d)f", x) }

// Data: 40 entities, 6 relations, 2-hop chains (the graph of KnowledgeGraph's `.small` preset, one depth).
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("halting-bench-\(UInt64.random(in: 0 ... .max))")
defer { try? FileManager.default.removeItem(at: scratch) }
let parameters = DepthExtrapolationGenerator.Parameters(entities: 40, relations: 6, minHops: 2, maxHops: 2,
                                                        trainChainsPerHop: quick ? 400 : 1250, testChainsPerHop: 150,
                                                        atomicSampleInTest: 240, trainSampleInTest: 150, smallTestPerType: 10, seed: 1)
try DepthExtrapolationGenerator(parameters: parameters).write(to: scratch.appendingPathComponent("data"))
let dataset = try Dataset.load(from: scratch.appendingPathComponent("data"))
let train = try dataset.split("train")
print("data: \(train.count) training items (\(train.types.joined(separator: ", "))), max_len \(maxLength)")

// Model and training: d 64, 2 layers, 4 heads, learned positions, no dropout; dynamic recurrence.
var generator = RandomGenerator(seed: 3)
let model = try RecurrentGPT2(config: ModelConfig(vocabSize: dataset.vocabulary.count, embeddingSize: 64, layers: 2, heads: 4,
                                                  positions: maxLength, recurrence: 4), generator: &generator)
var config = TrainingConfig()
config.learningRate = 3e-3
config.warmupSteps = 50
config.weightDecay = 0.01
config.batchSize = 64
config.padding = .fixed(maxLength)
config.predictionPosition = .lastToken
config.maxSteps = steps
config.evaluateEveryEpochs = 1_000_000
config.logEverySteps = 500
config.seed = 1
let schedule = DynamicRecurrence()
let trainer = try Trainer(model: model, dataset: dataset, config: config, schedule: schedule,
                          evaluator: try referenceTrainingEvaluator(for: schedule), runFolder: scratch.appendingPathComponent("run"))
trainer.onProgress = { p in if p.step % 500 == 0 { print("  step \(p.step): loss \(f(Double(p.loss), 4)), r \(p.recurrence)") } }
let trainStart = now()
_ = try trainer.run()
print("trained \(steps) steps (\(schedule.name)) in \(f(now() - trainStart, 1)) s")

// Evaluation of the training set, per type, three ways.
let policy = LengthAwareEntropyKLHalting(maxIterations: maxIterations)
let evaluators: [(String, Evaluator)] = [
    ("fixed", FixedRecurrenceEvaluator(recurrence: maxIterations)),
    ("adaptive", try AdaptiveEvaluator(policy: policy)),
    ("whole", try AdaptiveEvaluator(policy: policy, dropsHaltedExamples: false)),
]
var best: [String: Double] = [:]
var reports: [String: HaltingReport] = [:]
for run in 0..<runs {
    for (name, evaluator) in evaluators {
        let start = now()
        let report = try evaluateHalting(model, split: train, evaluator: evaluator, batchSize: batchSize, padding: .fixed(maxLength),
                                         predictionPosition: .lastToken)
        let elapsed = now() - start
        best[name] = min(best[name] ?? .infinity, elapsed)
        reports[name] = report
        print("  run \(run + 1) \(name): \(f(elapsed, 3)) s")
    }
}
let adaptive = reports["adaptive"]!, fixed = reports["fixed"]!
let count = adaptive.results.reduce(0) { $0 + $1.count }
let meanIterations = adaptive.results.reduce(0.0) { $0 + $1.meanIterations * Double($1.count) } / Double(count)
print("\nfixed r=\(maxIterations):")
print(fixed.table())
print("\nadaptive \(policy.summary) (seq_len \(maxLength): threshold \(policy.threshold(sequenceLength: maxLength))):")
print(adaptive.table())
if let drivers = adaptive.results.first?.drivers { print("halt drivers (\(adaptive.results[0].type)): \(drivers.map { "\($0.key.rawValue) \($0.value)" }.sorted())") }

let ratio = best["adaptive"]! / best["fixed"]!
let target = meanIterations / Double(maxIterations) + 0.1
print("""

| evaluation (\(count) examples, batch \(batchSize), T \(maxLength)) | best of \(runs) (s) | ratio to fixed |
|---|---:|---:|
| fixed r = \(maxIterations) | \(f(best["fixed"]!, 3)) | 1.00 |
| adaptive, stopped examples dropped | \(f(best["adaptive"]!, 3)) | \(f(ratio)) |
| adaptive, whole batch until all stop (reference) | \(f(best["whole"]!, 3)) | \(f(best["whole"]! / best["fixed"]!)) |

mean iterations \(f(meanIterations)) of \(maxIterations); target ratio ≤ \(f(meanIterations)) / \(maxIterations) + 0.1 = \(f(target)); \
measured \(f(ratio)): \(ratio <= target ? "met" : "NOT met")
""")

// The sweep, one pass per batch.
let sweepStart = now()
let sweep = try RecurrenceSweep(recurrences: 1...maxIterations).evaluate(model, split: train, batchSize: batchSize, padding: .fixed(maxLength),
                                                                       predictionPosition: .lastToken)
print("\nrecurrence sweep 1...\(maxIterations) in one pass per batch (\(f(now() - sweepStart, 3)) s):")
print(sweep.table())

if let outFolder {
    try FileManager.default.createDirectory(at: outFolder, withIntermediateDirectories: true)
    try adaptive.write(to: outFolder.appendingPathComponent("halting.json"))
    try fixed.write(to: outFolder.appendingPathComponent("fixed.json"))
    try sweep.write(to: outFolder.appendingPathComponent("sweep.json"))
    print("wrote halting.json, fixed.json, sweep.json to \(outFolder.path)")
}
