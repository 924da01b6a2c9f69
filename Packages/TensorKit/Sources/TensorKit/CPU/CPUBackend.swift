/// The default backend: 16-lane SIMD kernels, compiled for AVX2 + FMA by default (x86-64 builds
/// target Haswell); the GEMM switches to its AVX-512 micro-kernel at run time where the processor
/// has AVX-512F. Work is spread over the cores by a persistent `ThreadPool`. Every kernel splits
/// work so that each output element is computed in the same order whatever the thread count:
/// results are bitwise identical with 1 and with many threads.
public final class CPUBackend: Backend {
    public static let shared = CPUBackend(pool: .shared)

    /// nil runs everything on the calling thread.
    public let pool: ThreadPool?
    public init(pool: ThreadPool?) { self.pool = pool }
    /// A backend with its own pool of `threads` threads (1 = single-threaded).
    public convenience init(threads: Int) { self.init(pool: threads > 1 ? ThreadPool(threads: threads) : nil) }

    public var name: String { "cpu" }
    public var threadCount: Int { pool?.threadCount ?? 1 }

    /// Runs `body` over `0..<total` in contiguous pieces, one per thread when there is at least
    /// `grain` work per piece; piece boundaries are multiples of `align` so vector loops stay whole.
    @inline(__always)
    func parallelRanges(_ total: Int, grain: Int, align: Int = 1, _ body: (Range<Int>) -> Void) {
        let threads = pool?.availableThreads ?? 1
        guard let pool, threads > 1, total >= 2 * grain else {
            if total > 0 { body(0..<total) }
            return
        }
        let pieces = Swift.min(threads, total / grain)
        var size = (total + pieces - 1) / pieces
        size = (size + align - 1) / align * align
        pool.parallelFor(pieces) { p in
            let start = p * size
            if start < total { body(start..<Swift.min(total, start + size)) }
        }
    }

    public func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                   beta: beta, c: c, ldc: ldc, pool: pool)
    }

    public func linear(m: Int, n: Int, k: Int, x: UnsafePointer<Float>, w: UnsafePointer<Float>, transposeW: Bool,
                       bias: UnsafePointer<Float>, activation: Activation, geluDerivative: UnsafeMutablePointer<Float>?,
                       residual: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>) {
        GEMM.sgemm(transA: false, transB: transposeW, m: m, n: n, k: k, a: x, lda: k, b: w, ldb: transposeW ? k : n,
                   c: out, ldc: n, bias: bias, activation: activation, geluDerivative: geluDerivative, residual: residual,
                   pool: pool)
    }

    public func matmulMultiplied(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, bTransposed b: UnsafePointer<Float>,
                                 multiplier: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        GEMM.sgemm(transA: false, transB: true, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, c: out, ldc: n, bias: nil,
                   activation: .identity, geluDerivative: nil, multiplier: multiplier, pool: pool)
    }

    public func gemmBatched(batch: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, strideA: Int,
                            b: UnsafePointer<Float>, ldb: Int, strideB: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int) {
        if batch == 1 {
            gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                 beta: beta, c: c, ldc: ldc)
            return
        }
        GEMM.sgemmBatched(batch: batch, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                          a: a, lda: lda, strideA: strideA, b: b, ldb: ldb, strideB: strideB,
                          beta: beta, c: c, ldc: ldc, strideC: strideC, pool: pool)
    }
}
