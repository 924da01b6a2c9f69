// tensorkit-bench: GEMM throughput next to numpy's OpenBLAS, printed as a Markdown table.
//
//   swift run -c release tensorkit-bench [--threads N] [--quick] [--filter SUBSTRING] [--no-numpy] [--ceiling]

import Foundation
import TensorKit

// MARK: - Options

var threads = 2
var quick = false
var filter: String? = nil
var numpyWanted = true
var ceilingOnly = false
var argi = 1
/// A bad command line: says what was wrong on standard error and exits with status 2.
func usageError(_ message: String) -> Never {
    FileHandle.standardError.write("tensorkit-bench: \(message) (see --help)\n".data(using: .utf8)!)
    exit(2)
}
let argv = CommandLine.arguments
while argi < argv.count {
    switch argv[argi] {
    case "--threads":
        argi += 1
        guard argi < argv.count, let t = Int(argv[argi]), t > 0 else {
            usageError("--threads needs a positive integer")
        }
        threads = t
    case "--quick":
        quick = true
    case "--filter":
        argi += 1
        guard argi < argv.count else { usageError("--filter needs a substring of the shape label") }
        filter = argv[argi]
    case "--no-numpy":
        numpyWanted = false
    case "--ceiling":
        ceilingOnly = true
    case "-h", "--help":
        print("""
        usage: tensorkit-bench [--threads N] [--quick] [--filter SUBSTRING] [--no-numpy] [--ceiling]
        GEMM GFLOP/s next to numpy's (OpenBLAS) on square, training and attention shapes, then the
        micro-kernel ceiling: the AVX-512 micro-kernel alone on L1-resident panels, on 1 and on N
        threads, the most any product can reach here. --ceiling prints only the ceiling.
        """)
        exit(0)
    default:
        usageError("unknown argument \(argv[argi])")
    }
    argi += 1
}

let minSeconds = quick ? 0.05 : 0.2
let repetitions = 3
// Alternating rounds of TensorKit and numpy; each figure is the best over all rounds.
let rounds = quick ? 1 : 2

// MARK: - Cases

/// One benchmark shape; `batch == 1` is a plain sgemm.
struct Shape {
    var label: String
    var batch = 1
    var transA = false, transB = false
    var m: Int, n: Int, k: Int
    var flops: Double { 2 * Double(batch) * Double(m) * Double(n) * Double(k) }
}

var shapes: [Shape] = []
for s in quick ? [64, 256, 512, 1024] : [64, 128, 256, 512, 768, 1024] {
    shapes.append(Shape(label: "\(s)³", m: s, n: s, k: s))
}
shapes.append(Shape(label: "Y=X·W 768×128·128×512", m: 768, n: 512, k: 128))
shapes.append(Shape(label: "dX=dY·Wᵀ 768×512·(128×512)ᵀ", transB: true, m: 768, n: 128, k: 512))
shapes.append(Shape(label: "dW=Xᵀ·dY (768×128)ᵀ·768×512", transA: true, m: 128, n: 512, k: 768))
if !quick {
    shapes.append(Shape(label: "Y=X·W 6144×768·768×768", m: 6144, n: 768, k: 768))
    shapes.append(Shape(label: "dX=dY·Wᵀ 6144×3072·(768×3072)ᵀ", transB: true, m: 6144, n: 768, k: 3072))
    shapes.append(Shape(label: "dW=Xᵀ·dY (6144×768)ᵀ·6144×3072", transA: true, m: 768, n: 3072, k: 6144))
}
for t in quick ? [4, 25, 50] : [4, 12, 25, 50] {
    for d in quick ? [16, 64] : [16, 32, 64] {
        shapes.append(Shape(label: "attn q·kᵀ 512×[\(t)×\(d)]·[\(t)×\(d)]ᵀ", batch: 512, transB: true, m: t, n: t, k: d))
        shapes.append(Shape(label: "attn p·v 512×[\(t)×\(t)]·[\(t)×\(d)]", batch: 512, m: t, n: d, k: t))
    }
}

if let f = filter { shapes = shapes.filter { $0.label.contains(f) } }

// MARK: - TensorKit timings

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

/// Best of `repetitions` timings, each looping the operation for at least `minSeconds` (after warmup).
func bestSeconds(_ op: () -> Void) -> Double {
    for _ in 0..<3 { op() }
    var best = Double.infinity
    for _ in 0..<repetitions {
        var iterations = 0
        let start = now()
        var elapsed = 0.0
        repeat {
            op()
            iterations += 1
            elapsed = now() - start
        } while elapsed < minSeconds
        best = min(best, elapsed / Double(iterations))
    }
    return best
}

let pool = ThreadPool(threads: threads)

func measure(_ s: Shape) -> Double {
    let sizeA = s.m * s.k, sizeB = s.k * s.n, sizeC = s.m * s.n
    var seed: UInt32 = 12345
    func fill(_ n: Int) -> [Float] {
        (0..<n).map { _ in
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return Float(seed >> 8) / Float(1 << 24) - 0.5
        }
    }
    let a = fill(sizeA * s.batch), b = fill(sizeB * s.batch)
    var c = [Float](repeating: 0, count: sizeC * s.batch)
    let lda = s.transA ? s.m : s.k, ldb = s.transB ? s.k : s.n
    let seconds = a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                bestSeconds {
                    if s.batch == 1 {
                        GEMM.sgemm(transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: 1,
                                   a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb,
                                   beta: 0, c: pc.baseAddress!, ldc: s.n, pool: pool)
                    } else {
                        GEMM.sgemmBatched(batch: s.batch, transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k,
                                          alpha: 1, a: pa.baseAddress!, lda: lda, strideA: sizeA,
                                          b: pb.baseAddress!, ldb: ldb, strideB: sizeB,
                                          beta: 0, c: pc.baseAddress!, ldc: s.n, strideC: sizeC, pool: pool)
                    }
                }
            }
        }
    }
    return s.flops / seconds / 1e9
}

// MARK: - numpy timings

/// A persistent python3 process timing the same shapes with numpy (OpenBLAS at the same thread
/// count), one request per line, so the two libraries are measured interleaved: this machine's
/// neighbours come and go, and alternating keeps the ratio fair.
final class NumpyRunner {
    static let script = """
    import sys, time
    try:
        import numpy as np
    except ImportError:
        print("NO_NUMPY", flush=True); sys.exit(0)
    min_s, reps = float(sys.argv[1]), int(sys.argv[2])
    rng = np.random.default_rng(0)
    print("READY", flush=True)
    for line in sys.stdin:
        batch, ta, tb, m, n, k = map(int, line.split())
        def mat(rows, cols, t):
            shape = (batch, cols, rows) if t else (batch, rows, cols)
            x = rng.standard_normal(shape, dtype=np.float32)
            x = x.transpose(0, 2, 1) if t else x
            return x[0] if batch == 1 else x
        a, b = mat(m, k, ta), mat(k, n, tb)
        out = np.empty((m, n) if batch == 1 else (batch, m, n), dtype=np.float32)
        f = lambda: np.matmul(a, b, out=out)
        for _ in range(3): f()
        best = float("inf")
        for _ in range(reps):
            it, t0 = 0, time.perf_counter()
            while True:
                f(); it += 1
                el = time.perf_counter() - t0
                if el >= min_s: break
            best = min(best, el / it)
        print(2.0 * batch * m * n * k / best / 1e9, flush=True)
    """

    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private var pending = Data()
    private let scriptURL: URL

    init?() {
        scriptURL = FileManager.default.temporaryDirectory.appendingPathComponent("tensorkit-bench-\(getpid()).py")
        do { try NumpyRunner.script.write(to: scriptURL, atomically: true, encoding: .utf8) } catch { return nil }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scriptURL.path, String(minSeconds), String(repetitions)]
        var env = ProcessInfo.processInfo.environment
        for key in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"] { env[key] = String(threads) }
        process.environment = env
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            try? FileManager.default.removeItem(at: scriptURL)
            return nil
        }
        guard readLine() == "READY" else {
            close()
            return nil
        }
    }

    private func readLine() -> String? {
        while true {
            if let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<nl], as: UTF8.self)
                pending = Data(pending[(nl + 1)...])
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            pending.append(chunk)
        }
    }

    func measure(_ s: Shape) -> Double? {
        let line = "\(s.batch) \(s.transA ? 1 : 0) \(s.transB ? 1 : 0) \(s.m) \(s.n) \(s.k)\n"
        input.fileHandleForWriting.write(line.data(using: .utf8)!)
        return readLine().flatMap(Double.init)
    }

    func close() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: scriptURL)
    }
}

// MARK: - Report

/// Prints the micro-kernel ceiling on 1 thread and on all of them.
func printCeiling() {
    let seconds = quick ? 0.2 : 1.0
    guard let one = kernelCeiling(threads: 1, pool: pool, seconds: seconds),
          let all = kernelCeiling(threads: threads, pool: pool, seconds: seconds) else {
        print("micro-kernel ceiling: measured for the AVX-512 kernel only, and this processor has no AVX-512F")
        return
    }
    print(String(format: "micro-kernel ceiling (AVX-512 6×16 tile, depth 256, panels in L1): %.1f GFLOP/s on 1 thread, %.1f on %d",
                 one, all, threads))
}
if ceilingOnly {
    printCeiling()
    exit(0)
}

print("TensorKit GEMM benchmark: \(threads) thread(s)\(quick ? ", quick run" : ""); best of \(rounds)×\(repetitions) runs of ≥ \(minSeconds) s each")
let numpy = numpyWanted ? NumpyRunner() : nil
if !numpyWanted {
    print("numpy comparison skipped (--no-numpy).")
} else if numpy == nil {
    print("python3 with numpy not available: TensorKit figures only.")
} else {
    print("numpy: np.matmul, OpenBLAS with OPENBLAS_NUM_THREADS=\(threads), measured interleaved with TensorKit")
}
print("")
print("| shape | TensorKit GFLOP/s | numpy GFLOP/s | ratio |")
print("|---|---:|---:|---:|")
for s in shapes {
    var mine = 0.0
    var np: Double? = nil
    for _ in 0..<rounds {
        mine = max(mine, measure(s))
        if let runner = numpy, let v = runner.measure(s) { np = max(np ?? 0, v) }
    }
    let ours = String(format: "%.1f", mine)
    if let np {
        print("| \(s.label) | \(ours) | \(String(format: "%.1f", np)) | \(String(format: "%.2f", mine / np)) |")
    } else {
        print("| \(s.label) | \(ours) | – | – |")
    }
}
numpy?.close()

// Fork-join cost of an (almost) empty job split over all threads, against Dispatch.
if filter == nil {
    let sink = UnsafeMutablePointer<Int>.allocate(capacity: 64 * 16)
    sink.initialize(repeating: 0, count: 64 * 16)
    let poolSeconds = bestSeconds {
        for _ in 0..<1000 { pool.parallelFor(threads) { i in sink[i &* 16] &+= 1 } }
    }
    let dispatchSeconds = bestSeconds {
        for _ in 0..<1000 { DispatchQueue.concurrentPerform(iterations: threads) { i in sink[i &* 16] &+= 1 } }
    }
    sink.deallocate()
    print("")
    print(String(format: "parallelFor(%d) with a trivial body: %.2f µs per call (DispatchQueue.concurrentPerform: %.2f µs)",
                 threads, poolSeconds * 1e3, dispatchSeconds * 1e3))
}
print("")
printCeiling()
