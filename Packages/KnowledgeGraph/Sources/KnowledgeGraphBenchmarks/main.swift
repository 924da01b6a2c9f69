// knowledgegraph-bench: generating the reference-size depth-extrapolation dataset and loading its
// train.json, in Swift and in plain Python, side by side, printed as a Markdown table.
//
//   swift run -c release knowledgegraph-bench [--quick] [--runs N] [--no-python] [--keep DIRECTORY]

import Foundation
import KnowledgeGraph

// MARK: - Options

var quick = false
var runs = 2
var pythonWanted = true
var keepDirectory: String? = nil
var argi = 1
let argv = CommandLine.arguments
while argi < argv.count {
    switch argv[argi] {
    case "--quick": quick = true
    case "--runs":
        argi += 1
        guard argi < argv.count, let n = Int(argv[argi]), n > 0 else { fatalError("--runs needs a positive integer") }
        runs = n
    case "--no-python": pythonWanted = false
    case "--keep":
        argi += 1
        guard argi < argv.count else { fatalError("--keep needs a directory") }
        keepDirectory = argv[argi]
    case "-h", "--help":
        print("usage: knowledgegraph-bench [--quick] [--runs N] [--no-python] [--keep DIRECTORY]")
        exit(0)
    default:
        fatalError("unknown argument \(argv[argi])")
    }
    argi += 1
}

// The reference's dataset; --quick keeps its shape but stops at 10 hops.
let parameters = DepthExtrapolationGenerator.Parameters(maxHops: quick ? 10 : 40)
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let scripts = packageRoot.appendingPathComponent("Benchmarks")
let work = URL(fileURLWithPath: keepDirectory ?? NSTemporaryDirectory()).appendingPathComponent("knowledgegraph-bench-\(getpid())")
let swiftDirectory = work.appendingPathComponent("swift"), pythonDirectory = work.appendingPathComponent("python")
defer { if keepDirectory == nil { try? FileManager.default.removeItem(at: work) } }

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Runs a Python script and returns its output lines; the script reports its own timing.
func python(_ script: String, _ arguments: [String]) -> [String] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", scripts.appendingPathComponent(script).path] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    do { try process.run() } catch { fatalError("cannot run python3: \(error)") }
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { fatalError("\(script) failed with status \(process.terminationStatus)") }
    return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
}

func reportedSeconds(_ lines: [String]) -> Double {
    guard let line = lines.last(where: { $0.hasPrefix("seconds ") }), let s = Double(line.dropFirst(8)) else {
        fatalError("no timing in the script's output: \(lines)")
    }
    return s
}

func checksum(_ split: Split) -> String {
    let tokens = split.examples.reduce(0) { $0 + $1.inputIDs.count }
    let labels = split.examples.reduce(0) { $0 + Int($1.label) }
    return "\(split.count) \(tokens) \(labels)"
}

print("KnowledgeGraph \(KnowledgeGraphVersion.current): depth-extrapolation dataset, \(parameters.entities) entities, "
      + "\(parameters.relations) relations, hops \(parameters.minHops)…\(parameters.maxHops), "
      + "\(parameters.trainChainsPerHop) train + \(parameters.testChainsPerHop) test chains per hop; best of \(runs) runs")

// MARK: - Generation (generate + write every file)

var swiftGenerate = Double.infinity, swiftWrite = Double.infinity, swiftGenerateAndWrite = Double.infinity
var pythonGenerate = Double.infinity
for _ in 0..<runs {
    var dataset: GeneratedDataset? = nil
    let g = try seconds { dataset = try DepthExtrapolationGenerator(parameters: parameters).generate() }
    let w = try seconds { try dataset!.write(to: swiftDirectory) }
    swiftGenerate = min(swiftGenerate, g)
    swiftWrite = min(swiftWrite, w)
    swiftGenerateAndWrite = min(swiftGenerateAndWrite, g + w)
    if pythonWanted {
        let lines = python("generate_extrapolation.py", ["--out", pythonDirectory.path, "--max-hops", "\(parameters.maxHops)"])
        pythonGenerate = min(pythonGenerate, reportedSeconds(lines))
    }
}

// MARK: - Loading train.json (parse + tokenize + labels)

var swiftLoad = Double.infinity, pythonLoad = Double.infinity
var swiftChecksum = "", pythonChecksum = ""
let trainURL = swiftDirectory.appendingPathComponent("train.json")
let trainBytes = (try? FileManager.default.attributesOfItem(atPath: trainURL.path)[.size] as? Int) ?? 0
for _ in 0..<max(runs, 3) {
    var split: Split? = nil
    let t = try seconds {
        let dataset = try Dataset.load(from: swiftDirectory)
        split = try dataset.split("train")
    }
    swiftLoad = min(swiftLoad, t)
    swiftChecksum = checksum(split!)
    if pythonWanted {
        let lines = python("load_tokenize.py", [trainURL.path, swiftDirectory.appendingPathComponent("vocab.json").path])
        pythonLoad = min(pythonLoad, reportedSeconds(lines))
        pythonChecksum = String(lines.first(where: { $0.hasPrefix("checksum ") })!.dropFirst(9))
    }
}
if pythonWanted && swiftChecksum != pythonChecksum {
    fatalError("Swift and Python read train.json differently: \(swiftChecksum) vs \(pythonChecksum)")
}

// The Python generator's files load with the Swift reader (the format is the same).
if pythonWanted {
    let fromPython = try Dataset.load(from: pythonDirectory)
    let train = try fromPython.split("train"), test = try fromPython.split("test")
    print("Python-written dataset read back: train \(train.count) items, test \(test.count) items, types \(test.types.count)")
}

// MARK: - Report

func format(_ s: Double) -> String { s.isFinite ? String(format: "%.2f", s) : "—" }
func ratio(_ a: Double, _ b: Double) -> String { a.isFinite && b.isFinite ? String(format: "%.3f", a / b) : "—" }
print("train.json: \(String(format: "%.1f", Double(trainBytes) / 1e6)) MB, checksum (items, input tokens, sum of labels) \(swiftChecksum)"
      + (pythonWanted ? (swiftChecksum == pythonChecksum ? ", same in Python" : "") : ""))
print("")
print("| task | Swift s | Python s | Swift/Python |")
print("|---|---:|---:|---:|")
print("| generate + write all files | \(format(swiftGenerateAndWrite)) | \(format(pythonGenerate)) | \(ratio(swiftGenerateAndWrite, pythonGenerate)) |")
print("| … of which generate | \(format(swiftGenerate)) | | |")
print("| … of which write | \(format(swiftWrite)) | | |")
print("| load + tokenize train.json | \(format(swiftLoad)) | \(format(pythonLoad)) | \(ratio(swiftLoad, pythonLoad)) |")
