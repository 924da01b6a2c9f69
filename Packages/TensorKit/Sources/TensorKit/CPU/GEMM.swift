import Foundation
import Synchronization
import TensorKitAVX512
import TensorKitVectorMath

#if TENSORKIT_NO_CPU_HINTS
// ThreadSanitizer builds: the compiler cannot instrument LLVM's prefetch intrinsic (it aborts),
// and a prefetch changes no result, so `Scripts/sanitize thread` compiles it away.
@inline(__always) private func llvmPrefetch(_ address: UnsafeRawPointer, _ write: Int32, _ locality: Int32, _ dataCache: Int32) {}
#else
// LLVM's prefetch intrinsic (Swift has no prefetch API); lowers to prefetcht0/prefetchw.
@_silgen_name("llvm.prefetch.p0")
private func llvmPrefetch(_ address: UnsafeRawPointer, _ write: Int32, _ locality: Int32, _ dataCache: Int32)
#endif

/// Single-precision matrix multiply for the CPU backend.
///
/// Large problems follow Goto/BLIS: B is packed into KC×16 column panels, A into 6×KC row
/// panels, and a 6×16 register micro-kernel (12 eight-lane accumulators, which fit the 16 vector
/// registers of AVX2 and leave room for two B vectors and one broadcast) runs over them; where the
/// processor has AVX-512, TensorKitAVX512's kernel runs over the same panels instead. Both
/// kernels read A straight from memory instead of packing it when C is at most 512 columns wide
/// (a transposed A only while its stored rows are at most 512 floats).
/// Small problems and batched attention-sized problems skip packing and read the operands in place.
/// A product with a long depth against a small C (a weight gradient) runs as two halves of k, one
/// task each, summed after (`packedDepthHalves`).
///
/// Threads split output blocks (and the depth halves above, which one thread runs one after the
/// other); every element is reduced over k in the same fixed order whatever the thread count, so
/// results are bitwise identical for 1 and N threads.
public enum GEMM {
    /// C[m×n] = alpha · op(A) · op(B) + beta · C, all row-major; op(X) = Xᵀ when trans is true.
    /// A is m×k (or k×m stored when transA), B is k×n (or n×k stored when transB).
    /// beta == 0 means C is overwritten (never read, so NaN garbage in C does not propagate).
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, pool: ThreadPool? = .shared) {
        precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size")
        precondition(ldc >= n && lda >= (transA ? m : k) && ldb >= (transB ? k : n), "sgemm: leading dimension too small")
        if m == 0 || n == 0 { return }
        if k == 0 || alpha == 0 {
            scale(m: m, n: n, beta: beta, c: c, ldc: ldc)
            return
        }
        let p = Problem(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                        b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        if m &* n &* k <= directWorkLimit {
            direct(p)
        } else {
            packed(p, pool: pool)
        }
    }

    /// C = residual + act(op(A)·op(B) + bias) ⊙ multiplier with bias `[n]` added to every row
    /// and, for `.gelu` with `geluDerivative` given, GELU′ of the pre-activation written there
    /// (what the backward pass multiplies by; `geluDerivative`, `multiplier` and `residual`, when
    /// given, have C's layout; a missing bias or multiplier is skipped, not applied as 0 or 1): a
    /// linear layer and its residual connection, or a gradient and the derivative it goes
    /// through, in one pass over C. The epilogue runs on each register tile right after its last k block instead of in separate passes over the whole
    /// output: on the AVX2 kernel's accumulators for full-width tiles (C is stored once, finished),
    /// on the just-stored tile, in L1, otherwise.
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?,
                             activation: Activation, geluDerivative: UnsafeMutablePointer<Float>?,
                             multiplier: UnsafePointer<Float>? = nil, residual: UnsafePointer<Float>? = nil,
                             pool: ThreadPool? = .shared) {
        precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size")
        precondition(ldc >= n && lda >= (transA ? m : k) && ldb >= (transB ? k : n), "sgemm: leading dimension too small")
        if m == 0 || n == 0 { return }
        var p = Problem(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a, lda: lda,
                        b: b, ldb: ldb, beta: 0, c: c, ldc: ldc)
        p.epilogue = Epilogue(bias: bias, gelu: activation == .gelu, derivative: geluDerivative, multiplier: multiplier,
                              residual: residual)
        if k == 0 || m &* n &* k <= directWorkLimit {
            if k == 0 { scale(m: m, n: n, beta: 0, c: c, ldc: ldc) } else { direct(p) }
            for i in 0..<m { p.epilogue!.apply(c + i &* ldc, ldc, rows: 1, row0: i, col0: 0, cols: n) }
        } else {
            packed(p, pool: pool)
        }
    }

    /// The same for `batch` independent problems at element strides strideA/strideB/strideC
    /// (attention-shaped: batch = B·heads, m,n,k from 4 to 64) — must be fast for tiny matrices:
    /// no packing overhead that dominates, parallelize across the batch, not inside one matrix.
    public static func sgemmBatched(batch: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                                    a: UnsafePointer<Float>, lda: Int, strideA: Int, b: UnsafePointer<Float>, ldb: Int, strideB: Int,
                                    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int, pool: ThreadPool? = .shared) {
        precondition(batch >= 0 && m >= 0 && n >= 0 && k >= 0, "sgemmBatched: negative size")
        precondition(ldc >= n && lda >= (transA ? m : k) && ldb >= (transB ? k : n), "sgemmBatched: leading dimension too small")
        if batch == 0 || m == 0 || n == 0 { return }
        if k == 0 || alpha == 0 {
            for i in 0..<batch { scale(m: m, n: n, beta: beta, c: c + i &* strideC, ldc: ldc) }
            return
        }
        let work = m &* n &* k
        let threads = pool?.availableThreads ?? 1
        let first = Problem(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                            b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        // One matrix of the batch on the calling thread: unpacked while that is cheaper.
        let one = { (i: Int) in
            var p = first
            p.a = a + i &* strideA
            p.b = b + i &* strideB
            p.c = c + i &* strideC
            if work <= batchedDirectWorkLimit { direct(p) } else { packed(p, pool: nil) }
        }
        if threads == 1 || batch &* work < batchSerialWorkLimit {
            for i in 0..<batch { one(i) }
            return
        }
        // Big matrices and too few of them to share out evenly: thread inside each matrix.
        if work > batchedDirectWorkLimit && batch < 4 &* threads {
            for i in 0..<batch {
                var p = first
                p.a = a + i &* strideA
                p.b = b + i &* strideB
                p.c = c + i &* strideC
                packed(p, pool: pool)
            }
            return
        }
        // A few contiguous chunks per thread: one atomic claim per chunk, and room to rebalance.
        let chunks = min(batch, threads &* 4)
        pool!.parallelFor(chunks) { chunk in
            let lo = batch &* chunk / chunks, hi = batch &* (chunk &+ 1) / chunks
            for i in lo..<hi { one(i) }
        }
    }
}

// MARK: - Tuning

extension GEMM {
    /// Register tile rows (A broadcasts).
    static let mr = 6
    /// Register tile columns (two 8-lane vectors of B).
    static let nr = 16
    /// Depth of a packed block: a 16-wide B micro-panel (KC·64 bytes) stays in the 32 KiB L1.
    static let kcMax = 256
    /// Rows of A packed at once (MC·KC·4 bytes ≈ 150 KiB, well inside the 512 KiB L2).
    static let mcMax = 144
    /// Columns of B packed at once (KC·NC·4 bytes = 4 MiB, in the shared L3).
    static let ncMax = 4096
    /// At or below this m·n·k sgemm skips packing (and threads).
    static let directWorkLimit = 32 * 32 * 32
    /// The same for one matrix of a batch, which runs on one thread anyway: the unpacked kernel
    /// keeps up with the packed one up to about 64³ here.
    static let batchedDirectWorkLimit = 64 * 64 * 64
    /// Row chunks per thread (at most) when B is shared: enough to even out threads that run at
    /// different speeds. Chunks no thinner than a row block (`minChunkRows`) stream B no more often
    /// than big ones do, since B is streamed once per row block anyway. Measured at evaluation,
    /// d 768: with 4 chunks per thread the calling thread waited for the other 3.7% of the time,
    /// with 16 1.8%; training at d 128 (16 chunks of 96 rows) did not change.
    static let chunksPerThread = 16
    /// Fewest rows in a chunk (unless every thread would not get one): each chunk streams all of
    /// the packed B once per row block, so thin chunks re-read B from L3 more often.
    static let minChunkRows = 96
    /// Largest packed B (floats) shared by all tasks; bigger problems pack B per task.
    static let sharedPackLimit = 4 << 20
    /// Below this m·n·k a second thread costs more than it saves.
    static let parallelWorkLimit = 64 * 64 * 64
    /// Below this total m·n·k a batch runs on the calling thread.
    static let batchSerialWorkLimit = 24 * 24 * 24
    /// The micro-kernel of packed problems. `.avx512` (same panels, one 16-lane accumulator per
    /// row) is the default where the processor has AVX-512F, unless `TENSORKIT_ISA=avx2`. Both give
    /// bitwise-equal results. Set it only between operations, never on a processor without AVX-512.
    public enum Kernel: String, Sendable { case avx2, avx512 }

    nonisolated(unsafe) public static var kernel: Kernel = {
        CPUFeatures.hasAVX512F && ProcessInfo.processInfo.environment["TENSORKIT_ISA"]?.lowercased() != "avx2" ? .avx512 : .avx2
    }() {
        willSet { precondition(newValue == .avx2 || CPUFeatures.hasAVX512F, "GEMM.kernel: this processor has no AVX-512F") }
    }

    static var useAVX512: Bool { kernel == .avx512 }
}

// MARK: - Problem description

extension GEMM {
    /// One sgemm call's arguments, bundled so helpers take one value.
    struct Problem {
        var transA: Bool, transB: Bool
        var m: Int, n: Int, k: Int
        var alpha: Float
        var a: UnsafePointer<Float>, lda: Int
        var b: UnsafePointer<Float>, ldb: Int
        var beta: Float
        var c: UnsafeMutablePointer<Float>, ldc: Int
        /// Applied to each finished tile of C (packed path) or to all of C (direct path).
        var epilogue: Epilogue? = nil
    }

    /// Bias, GELU (keeping its derivative), a multiplier and a residual, each when given, in that
    /// order, applied to finished tiles of C; `derivative`, `multiplier` and `residual` have C's layout.
    struct Epilogue {
        var bias: UnsafePointer<Float>?
        var gelu: Bool
        var derivative: UnsafeMutablePointer<Float>?
        var multiplier: UnsafePointer<Float>?
        var residual: UnsafePointer<Float>?

        /// Starts fetching the tile's rows of `derivative` (to write) and `multiplier` (to read)
        /// before the kernel runs: they are cold (kept for, or from, the other pass), and the tile's
        /// FMAs hide misses the epilogue would otherwise wait for. d 128 / 4-layer training step:
        /// 0.984 of the time without (the forward's GELU′), 0.957 with `Tensor.feedForward`'s
        /// backward multiplying by GELU′ in the epilogue.
        @inline(__always)
        func prefetch(rows: Int, row0: Int, col0: Int, ldc: Int) {
            if let derivative {
                for i in 0..<rows { llvmPrefetch(UnsafeRawPointer(derivative + ((row0 &+ i) &* ldc &+ col0)), 1, 3, 1) }
            }
            if let multiplier {
                for i in 0..<rows { llvmPrefetch(UnsafeRawPointer(multiplier + ((row0 &+ i) &* ldc &+ col0)), 0, 3, 1) }
            }
        }

        /// Rows `row0..<row0+rows`, columns `col0..<col0+cols` of C, starting at `c`.
        @inline(__always)
        func apply(_ c: UnsafeMutablePointer<Float>, _ ldc: Int, rows: Int, row0: Int, col0: Int, cols: Int) {
            if cols == 16 { return applyFull(c, ldc, rows: rows, row0: row0, col0: col0) }
            for i in 0..<rows {
                let row = c + i &* ldc
                let derivativeRow = derivative.map { $0 + ((row0 &+ i) &* ldc &+ col0) }
                var j = 0
                while j < cols {
                    let n = min(16, cols &- j)
                    var x = n == 16 ? load16(row + j) : loadPartial(UnsafePointer(row + j), n)
                    if let bias { x = x + (n == 16 ? load16(bias + (col0 &+ j)) : loadPartial(bias + (col0 &+ j), n)) }
                    var y = x
                    if gelu {
                        if let derivativeRow {
                            let (value, slope) = geluWithDerivative16(x)
                            if n == 16 { store16(slope, derivativeRow + j) } else { storePartial(slope, derivativeRow + j, n) }
                            y = value
                        } else {
                            y = gelu16(x)
                        }
                    }
                    if let multiplier {
                        let f = multiplier + ((row0 &+ i) &* ldc &+ col0 &+ j)
                        y = y * (n == 16 ? load16(f) : loadPartial(f, n))
                    }
                    if let residual {
                        let r = residual + ((row0 &+ i) &* ldc &+ col0 &+ j)
                        y = (n == 16 ? load16(r) : loadPartial(r, n)) + y
                    }
                    if n == 16 { store16(y, row + j) } else { storePartial(y, row + j, n) }
                    j &+= 16
                }
            }
        }

        /// Row `row` of C at columns `col..<col+16` (at `c`) from its accumulators: the same
        /// operations, lane for lane, as `updateRow` and then `apply`, without storing C between them.
        @_transparent
        func finishRow(_ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ acc0: GEMM.V8, _ acc1: GEMM.V8,
                       _ alpha: Float, _ beta: Float, row: Int, col: Int) {
            finish8(c, ldc, acc0, alpha, beta, row: row, col: col)
            finish8(c + 8, ldc, acc1, alpha, beta, row: row, col: col &+ 8)
        }

        @_transparent
        func finish8(_ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ acc: GEMM.V8, _ alpha: Float, _ beta: Float,
                     row: Int, col: Int) {
            let at = row &* ldc &+ col
            var y = GEMM.updated8(c, acc, alpha, beta)
            if let bias { y = y + GEMM.load8(bias + col) }
            y = linearEpilogue(y, gelu: gelu, derivative: derivative.map { $0 + at },
                               multiplier: multiplier.map { $0 + at }, residual: residual.map { $0 + at })
            GEMM.store8(c, y)
        }

        /// A full 16-column tile already stored in C: each row through `finishRow` as if its
        /// accumulators were C itself (α = 1, β = 0 leaves them exact), so the stored and the
        /// register paths share one copy of the epilogue.
        @inline(__always)
        func applyFull(_ c: UnsafeMutablePointer<Float>, _ ldc: Int, rows: Int, row0: Int, col0: Int) {
            for i in 0..<rows {
                let row = c + i &* ldc
                finishRow(row, ldc, GEMM.load8(row), GEMM.load8(row + 8), 1, 0, row: row0 &+ i, col: col0)
            }
        }
    }

    /// C = beta·C, with beta == 0 writing zeros without reading C.
    static func scale(m: Int, n: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if beta == 1 { return }
        for i in 0..<m {
            let row = c + i &* ldc
            if beta == 0 {
                row.update(repeating: 0, count: n)
            } else {
                for j in 0..<n { row[j] = row[j] * beta }
            }
        }
    }
}

// MARK: - Output update (shared by every kernel so all paths round alike)

extension GEMM {
    typealias V8 = SIMD8<Float>

    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> V8 {
        UnsafeRawPointer(p).loadUnaligned(as: V8.self)
    }

    @inline(__always)
    static func store8(_ p: UnsafeMutablePointer<Float>, _ v: V8) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V8.self)
    }

    /// alpha·acc + beta·c. beta == 0: alpha·acc (c unread); beta == 1: fma(acc, alpha, c).
    @inline(__always)
    static func updated8(_ c: UnsafeMutablePointer<Float>, _ acc: V8, _ alpha: Float, _ beta: Float) -> V8 {
        if beta == 0 { return acc * alpha }
        if beta == 1 { return load8(c).addingProduct(acc, alpha) }
        return (acc * alpha).addingProduct(load8(c), beta)
    }

    /// c ← alpha·acc + beta·c.
    @inline(__always)
    static func update8(_ c: UnsafeMutablePointer<Float>, _ acc: V8, _ alpha: Float, _ beta: Float) {
        store8(c, updated8(c, acc, alpha, beta))
    }

    /// Scalar twin of `update8`, lane for lane the same operations.
    @inline(__always)
    static func update1(_ c: UnsafeMutablePointer<Float>, _ acc: Float, _ alpha: Float, _ beta: Float) {
        if beta == 0 {
            c.pointee = acc * alpha
        } else if beta == 1 {
            c.pointee = c.pointee.addingProduct(acc, alpha)
        } else {
            c.pointee = (acc * alpha).addingProduct(c.pointee, beta)
        }
    }

    /// Writes the first `cols` lanes of a 16-wide row (v0 | v1).
    @inline(__always)
    static func updateRow(_ c: UnsafeMutablePointer<Float>, _ v0: V8, _ v1: V8, cols: Int,
                          _ alpha: Float, _ beta: Float) {
        if cols == 16 {
            update8(c, v0, alpha, beta)
            update8(c + 8, v1, alpha, beta)
            return
        }
        var lo = cols
        if cols >= 8 {
            update8(c, v0, alpha, beta)
            lo = cols &- 8
            for j in 0..<lo { update1(c + (8 &+ j), v1[j], alpha, beta) }
        } else {
            for j in 0..<lo { update1(c + j, v0[j], alpha, beta) }
        }
    }
}

// MARK: - Transpose

extension GEMM {
    @inline(__always)
    static func deinterleave(_ a: V8, _ b: V8) -> (V8, V8) {
        let v = SIMD16(lowHalf: a, highHalf: b)
        return (v.evenHalf, v.oddHalf)
    }

    /// dst[q·ldd + j] = src[j·lds + q] for j < rows, q < cols. Full 8×8 blocks go through
    /// registers: three even/odd de-interleave rounds rotate the 6 index bits (row, column)
    /// by three, which is a transpose (48 shuffles per block instead of 64 scalar moves).
    static func transpose(_ src: UnsafePointer<Float>, _ lds: Int, rows: Int, cols: Int,
                          _ dst: UnsafeMutablePointer<Float>, _ ldd: Int) {
        let rows8 = rows & ~7, cols8 = cols & ~7
        var j = 0
        while j < rows8 {
            var q = 0
            while q < cols8 {
                let s = src + (j &* lds &+ q)
                var r0 = load8(s), r1 = load8(s + lds), r2 = load8(s + 2 &* lds), r3 = load8(s + 3 &* lds)
                var r4 = load8(s + 4 &* lds), r5 = load8(s + 5 &* lds), r6 = load8(s + 6 &* lds), r7 = load8(s + 7 &* lds)
                for _ in 0..<3 {
                    let (n0, n4) = deinterleave(r0, r1), (n1, n5) = deinterleave(r2, r3)
                    let (n2, n6) = deinterleave(r4, r5), (n3, n7) = deinterleave(r6, r7)
                    r0 = n0; r1 = n1; r2 = n2; r3 = n3; r4 = n4; r5 = n5; r6 = n6; r7 = n7
                }
                let d = dst + (q &* ldd &+ j)
                store8(d, r0); store8(d + ldd, r1); store8(d + 2 &* ldd, r2); store8(d + 3 &* ldd, r3)
                store8(d + 4 &* ldd, r4); store8(d + 5 &* ldd, r5); store8(d + 6 &* ldd, r6); store8(d + 7 &* ldd, r7)
                q &+= 8
            }
            // Ragged columns of this 8-row band.
            for jj in j..<(j &+ 8) {
                let s = src + jj &* lds
                for qq in cols8..<cols { dst[qq &* ldd &+ jj] = s[qq] }
            }
            j &+= 8
        }
        for jj in rows8..<rows {
            let s = src + jj &* lds
            for qq in 0..<cols { dst[qq &* ldd &+ jj] = s[qq] }
        }
    }
}

// MARK: - Packed path

extension GEMM {
    /// 64-byte aligned packing buffers, grown on demand and reused across calls.
    final class Workspace {
        var a: UnsafeMutablePointer<Float>
        var aCapacity = 0
        var b: UnsafeMutablePointer<Float>
        var bCapacity = 0
        /// A partial C (the second half of a depth-split product).
        var c: UnsafeMutablePointer<Float>
        var cCapacity = 0

        init() {
            a = Workspace.allocate(16)
            aCapacity = 16
            b = Workspace.allocate(16)
            bCapacity = 16
            c = Workspace.allocate(16)
            cCapacity = 16
        }

        deinit {
            a.deallocate()
            b.deallocate()
            c.deallocate()
        }

        func reserve(c need: Int) {
            if need > cCapacity {
                c.deallocate()
                c = Workspace.allocate(need)
                cCapacity = need
            }
        }

        static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
            UnsafeMutableRawPointer.allocate(byteCount: count &* 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: count)
        }

        func reserve(a need: Int, b needB: Int) {
            if need > aCapacity {
                a.deallocate()
                a = Workspace.allocate(need)
                aCapacity = need
            }
            if needB > bCapacity {
                b.deallocate()
                b = Workspace.allocate(needB)
                bCapacity = needB
            }
        }
    }

    /// Idle workspaces; a call checks out one per task, so concurrent callers never share one.
    private static let idleWorkspaces = Locked<[Workspace]>([])

    static func checkOutWorkspace() -> Workspace {
        idleWorkspaces.withLock { $0.popLast() } ?? Workspace()
    }

    static func checkIn(_ w: Workspace) {
        idleWorkspaces.withLock { $0.append(w) }
    }

    /// Whether a product is computed as two halves of its depth, summed (see `packedDepthHalves`):
    /// when k is long against a small C, as in weight gradients (d_in × d_out summed over every
    /// token). Decided by the shape alone, so 1 and N threads give the same bits.
    @inline(__always)
    static func splitsDepth(_ p: Problem) -> Bool {
        depthSplit && p.epilogue == nil && p.k >= depthSplitMinimum && p.k >= 2 &* max(p.m, p.n)
    }

    /// Whether long-depth products run as two summed halves (the default). Unlike the other
    /// switches this changes the rounding (a different summation order), not the accuracy; it is
    /// there to compare and time the two. Set it only between operations.
    nonisolated(unsafe) public static var depthSplit = true
    static let depthSplitMinimum = 512

    /// C = (β·C + α·A₀B₀) + α·A₁B₁ over the two halves of k, one task each: each half packs its
    /// own operands and nothing is shared, so neither thread waits for the other or reads panels
    /// from the other core's cache (a row split of so small a C left two chunks, shared B panels
    /// and a kernel slowed by cross-core reads); the second half goes to a scratch C, added after.
    static func packedDepthHalves(_ p: Problem, pool: ThreadPool?) {
        let half = (p.k / 2 &+ 3) & ~3
        var first = p
        first.k = half
        var second = p
        second.k = p.k &- half
        second.beta = 0
        second.a = p.transA ? p.a + half &* p.lda : p.a + half
        second.b = p.transB ? p.b + half : p.b + half &* p.ldb
        let partial = checkOutWorkspace()
        partial.reserve(c: p.m &* p.n)
        second.c = partial.c
        second.ldc = p.n
        let run = { (q: Problem) in
            let w = checkOutWorkspace()
            macro(q, kc: depthBlock(q.k), rows: 0..<q.m, cols: 0..<q.n, w)
            checkIn(w)
        }
        if let pool, pool.availableThreads > 1 {
            pool.parallelFor(2) { $0 == 0 ? run(first) : run(second) }
        } else {
            run(first)
            run(second)
        }
        let n8 = p.n & ~7
        for i in 0..<p.m {
            let row = p.c + i &* p.ldc, add = UnsafePointer(partial.c + i &* p.n)
            var j = 0
            while j < n8 {
                store8(row + j, load8(row + j) + load8(add + j))
                j &+= 8
            }
            while j < p.n {
                row[j] = row[j] + add[j]
                j &+= 1
            }
        }
        checkIn(partial)
    }

    /// The depth of a packed block: equal k blocks (rounded to 4) of at most `kcMax` rather than
    /// full blocks and a sliver; depends on k only.
    static func depthBlock(_ k: Int) -> Int {
        let kBlocks = (k &+ kcMax &- 1) / kcMax
        return min(k, ((k &+ kBlocks &- 1) / kBlocks &+ 3) & ~3)
    }

    static func packed(_ p: Problem, pool: ThreadPool?) {
        if splitsDepth(p) { return packedDepthHalves(p, pool: pool) }
        let mPanels = (p.m &+ mr &- 1) / mr
        let nPanels = (p.n &+ nr &- 1) / nr
        // Split the wider side of C: each task then packs all of the smaller operand.
        let splitN = nPanels &* nr >= mPanels &* mr
        var tasks = pool?.availableThreads ?? 1
        if p.m &* p.n &* p.k < parallelWorkLimit { tasks = 1 }
        let nPadded = nPanels &* nr
        let shareB = tasks > 1 && mPanels >= 2 &* tasks && p.k &* nPadded <= sharedPackLimit
        if !shareB { tasks = min(tasks, splitN ? nPanels : mPanels) }

        let kc = depthBlock(p.k)

        if tasks == 1 {
            let w = checkOutWorkspace()
            macro(p, kc: kc, rows: 0..<p.m, cols: 0..<p.n, w)
            checkIn(w)
            return
        }
        if shareB {
            // Row split with one shared packed B: each panel is packed once, by whichever task
            // reaches it first, instead of once per task. Several row chunks per thread, claimed
            // as threads come free, so a thread slowed by its neighbours does not leave the other
            // spinning at the end.
            let shared = checkOutWorkspace()
            let kBlockCount = (p.k &+ kc &- 1) / kc
            // k block after k block, each nPanels panels `bPanelStride` apart.
            shared.reserve(a: 0, b: p.k &* nPadded &+ kBlockCount &* nPanels &* bPanelPad)
            let flags = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: kBlockCount &* nPanels)
            for i in 0..<(kBlockCount &* nPanels) { (flags + i).initialize(to: Atomic(0)) }
            let chunks = min(mPanels, tasks &* max(1, min(chunksPerThread, p.m / (minChunkRows &* tasks))))
            pool!.parallelFor(chunks) { chunk in
                let lo = mPanels &* chunk / chunks, hi = mPanels &* (chunk &+ 1) / chunks
                let w = checkOutWorkspace()
                macroShared(p, kc: kc, rows: (lo &* mr)..<min(hi &* mr, p.m), w, sharedB: shared.b,
                            flags: flags, firstPanel: nPanels &* (chunk % tasks) / tasks)
                checkIn(w)
            }
            flags.deinitialize(count: kBlockCount &* nPanels)
            flags.deallocate()
            checkIn(shared)
            return
        }
        var spaces: [Workspace] = []
        for _ in 0..<tasks { spaces.append(checkOutWorkspace()) }
        spaces.withUnsafeBufferPointer { ws in
            pool!.parallelFor(tasks) { t in
                let panels = splitN ? nPanels : mPanels
                let lo = panels &* t / tasks, hi = panels &* (t &+ 1) / tasks
                if splitN {
                    macro(p, kc: kc, rows: 0..<p.m, cols: (lo &* nr)..<min(hi &* nr, p.n), ws[t])
                } else {
                    macro(p, kc: kc, rows: (lo &* mr)..<min(hi &* mr, p.m), cols: 0..<p.n, ws[t])
                }
            }
        }
        for w in spaces { checkIn(w) }
    }

    /// One task's share of C: the BLIS loops jc → pc (pack B) → ic (pack A) → jr → ir.
    static func macro(_ p: Problem, kc kcBlock: Int, rows: Range<Int>, cols: Range<Int>, _ w: Workspace) {
        let mc = min(mcMax, (rows.count &+ mr &- 1) / mr &* mr)
        let nc = min(ncMax, (cols.count &+ nr &- 1) / nr &* nr)
        w.reserve(a: mc / mr &* aPanelStride(kcBlock), b: nc / nr &* bPanelStride(kcBlock))
        let ap = w.a, bp = w.b
        let k = p.k, ldc = p.ldc, alpha = p.alpha
        let wide = useAVX512, epilogue = p.epilogue
        let inPlace = readsAInPlace(p)

        var jc = cols.lowerBound
        while jc < cols.upperBound {
            let ncur = min(nc, cols.upperBound &- jc)
            var pc = 0
            while pc < k {
                let kcur = min(kcBlock, k &- pc)
                packB(p, bp, k0: pc, kc: kcur, j0: jc, nc: ncur)
                let beta: Float = pc == 0 ? p.beta : 1
                var ic = rows.lowerBound
                while ic < rows.upperBound {
                    let mcur = min(mc, rows.upperBound &- ic)
                    let block = prepareA(p, ap, i0: ic, mc: mcur, k0: pc, kc: kcur, inPlace: inPlace)
                    var jr = 0
                    while jr < ncur {
                        let ncols = min(nr, ncur &- jr)
                        let bpanel = bp + jr / nr &* bPanelStride(kcur)
                        let cblock = p.c + (ic &* ldc &+ jc &+ jr)
                        tileColumn(wide: wide, epilogue: pc &+ kcur == k ? epilogue : nil, kc: kcur, block, bpanel,
                                   cblock, ldc, alpha, beta, rows: mcur, row0: ic, col0: jc &+ jr, cols: ncols)
                        jr &+= nr
                    }
                    ic &+= mcur
                }
                pc &+= kcur
            }
            jc &+= ncur
        }
    }

    /// One task's rows of C against a B packed once for all tasks (all of k and n, no jc loop).
    /// Panel (k block, jr) is claimed with a CAS on its flag (0 free, 1 packing, 2 ready); a task
    /// only ever waits for a panel another task is packing at that moment, so it cannot deadlock
    /// even when the pool runs the tasks one after another. Tasks start at different panels so
    /// they pack disjoint halves instead of queueing behind each other.
    static func macroShared(_ p: Problem, kc kcBlock: Int, rows: Range<Int>, _ w: Workspace,
                            sharedB: UnsafeMutablePointer<Float>, flags: UnsafeMutablePointer<Atomic<Int>>,
                            firstPanel: Int) {
        // Equal row blocks of at most mcMax rather than full blocks and a sliver.
        let mBlocks = (rows.count &+ mcMax &- 1) / mcMax
        let mc = ((rows.count &+ mBlocks &- 1) / mBlocks &+ mr &- 1) / mr &* mr
        w.reserve(a: mc / mr &* aPanelStride(kcBlock), b: 0)
        let ap = w.a
        let k = p.k, n = p.n, ldc = p.ldc, alpha = p.alpha
        let wide = useAVX512, epilogue = p.epilogue
        let inPlace = readsAInPlace(p)
        let nPanels = (n &+ nr &- 1) / nr
        let nPadded = nPanels &* nr
        var pc = 0
        var kBlock = 0
        while pc < k {
            let kcur = min(kcBlock, k &- pc)
            let bBlock = sharedB + (pc &* nPadded &+ kBlock &* nPanels &* bPanelPad)
            let blockFlags = flags + kBlock &* nPanels
            let beta: Float = pc == 0 ? p.beta : 1
            var ic = rows.lowerBound
            while ic < rows.upperBound {
                let mcur = min(mc, rows.upperBound &- ic)
                let block = prepareA(p, ap, i0: ic, mc: mcur, k0: pc, kc: kcur, inPlace: inPlace)
                for step in 0..<nPanels {
                    var panel = firstPanel &+ step
                    if panel >= nPanels { panel &-= nPanels }
                    let jr = panel &* nr
                    let bpanel = bBlock + panel &* bPanelStride(kcur)
                    let flag = blockFlags + panel
                    if flag.pointee.load(ordering: .acquiring) != 2 {
                        if flag.pointee.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged {
                            packB(p, bpanel, k0: pc, kc: kcur, j0: jr, nc: min(nr, n &- jr))
                            flag.pointee.store(2, ordering: .releasing)
                        } else {
                            while flag.pointee.load(ordering: .acquiring) != 2 {}
                        }
                    }
                    let ncols = min(nr, n &- jr)
                    let cblock = p.c + (ic &* ldc &+ jr)
                    tileColumn(wide: wide, epilogue: pc &+ kcur == k ? epilogue : nil, kc: kcur, block, bpanel,
                               cblock, ldc, alpha, beta, rows: mcur, row0: ic, col0: jr, cols: ncols)
                }
                ic &+= mcur
            }
            pc &+= kcur
            kBlock &+= 1
        }
    }

    /// One block of op(A) as the micro-kernel reads it: packed into 6-row panels, or (A not
    /// transposed) straight from A's rows, which saves copying A; a ragged last tile
    /// is then packed alone, so that no read runs past A's last row.
    struct ABlock {
        /// The packed panels; in place, the packed ragged tile (if any).
        var packed: UnsafePointer<Float>
        /// op(A)[i0, k0] when the block is read in place.
        var rows: UnsafePointer<Float>?
        /// In place, floats from one row of op(A) to the next and from one depth to the next:
        /// (lda, 1) for a row-major A, (1, lda) for a transposed one.
        var rowStride: Int
        var depthStride: Int
    }

    /// The kernels read a row-major A in place when C is narrow: a copy of A is saved, which is
    /// worth most when few column panels share it. Measured on Zen 3 with the AVX2 kernel (M
    /// 512–4096), in place was 2–11% faster for n ≤ 512, even at 256, and 1–6% slower for
    /// n ≥ 768, where each packed block serves 48+ panels and six scattered rows cost more TLB and
    /// cache misses than one contiguous panel. On Zen 4 the AVX-512 kernel in place made the
    /// d 128 training step 3% faster.
    ///
    /// A transposed A (a weight gradient xᵀ·g) is read in place too while its stored rows are at
    /// most 512 floats: a tile then reads six adjacent floats at each depth, lda apart. The packed
    /// copy it saves is of cold activations; d 128 / 4-layer training steps took 0.984–0.987 of
    /// the packed time (lda 128 and 512), d 64 0.983; at lda 1024 (d 256's MLP) the step was 8%
    /// slower: depths 4 KiB apart all land on one L1 set.
    @inline(__always)
    static func readsAInPlace(_ p: Problem) -> Bool {
        guard aInPlace && p.n <= inPlaceAMaxColumns else { return false }
        return !p.transA || p.lda <= inPlaceTransposedAMaxStride
    }

    static let inPlaceTransposedAMaxStride = 512

    static let inPlaceAMaxColumns = 512

    /// Whether the AVX2 kernel runs the epilogue of a full-width tile on its accumulators, storing
    /// C once (the default), or stores C and runs the epilogue over it. Both give bitwise-equal
    /// results; the switch is there to compare and time the two. Set it only between operations.
    nonisolated(unsafe) public static var fusedEpilogue = true

    /// Whether the kernels read A in place (the default; see `readsAInPlace`) or pack it. Both give
    /// bitwise-equal results; the switch is there to compare and time the two. Set it only
    /// between operations.
    nonisolated(unsafe) public static var aInPlace = true

    static func prepareA(_ p: Problem, _ buffer: UnsafeMutablePointer<Float>, i0: Int, mc: Int, k0: Int, kc: Int,
                         inPlace: Bool) -> ABlock {
        guard inPlace else {
            packA(p, buffer, i0: i0, mc: mc, k0: k0, kc: kc)
            return ABlock(packed: buffer, rows: nil, rowStride: 0, depthStride: 0)
        }
        let full = mc / mr &* mr
        if full < mc { packA(p, buffer, i0: i0 &+ full, mc: mc &- full, k0: k0, kc: kc) }
        if p.transA { return ABlock(packed: buffer, rows: p.a + (k0 &* p.lda &+ i0), rowStride: 1, depthStride: p.lda) }
        return ABlock(packed: buffer, rows: p.a + (i0 &* p.lda &+ k0), rowStride: p.lda, depthStride: 1)
    }

    /// One column of register tiles: the `rows` rows of an A block (6 at a time) against one
    /// packed B panel, into C at `c` (row `row0`, column `col0` of the whole C); then the epilogue,
    /// when this was the last k block, on each tile while it is in L1.
    @inline(__always)
    static func tileColumn(wide: Bool, epilogue: Epilogue?, kc kcur: Int, _ a: ABlock,
                           _ bpanel: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
                           _ alpha: Float, _ beta: Float, rows mcur: Int, row0: Int, col0: Int, cols ncols: Int) {
        let aStride = aPanelStride(kcur)
        var ir = 0
        while ir < mcur {
            let tileRows = min(mr, mcur &- ir)
            let ct = c + ir &* ldc
            // Where the kernel reads this tile's A: six rows in place, or a packed panel (the
            // ragged last tile of an in-place block is the buffer's only panel).
            let tileA: UnsafePointer<Float>, rowStride: Int, depthStride: Int
            if let rowsA = a.rows, tileRows == mr {
                (tileA, rowStride, depthStride) = (rowsA + ir &* a.rowStride, a.rowStride, a.depthStride)
            } else {
                (tileA, rowStride, depthStride) = (a.rows == nil ? a.packed + ir / mr &* aStride : a.packed, 1, mr)
            }
            if let epilogue { epilogue.prefetch(rows: tileRows, row0: row0 &+ ir, col0: col0, ldc: ldc) }
            if wide {
                avx512Kernel6x16(kcur, tileA, rowStride: rowStride, depthStride: depthStride, bpanel, ct, ldc, alpha, beta,
                                 rows: tileRows, cols: ncols)
                if let epilogue, ncols == nr {
                    // On 16 lanes: half the instructions per element of the 8-lane epilogue (GELU 36% faster).
                    let at = (row0 &+ ir) &* ldc &+ col0
                    avx512Epilogue(ct, ldc, rows: tileRows, bias: epilogue.bias.map { $0 + col0 }, gelu: epilogue.gelu,
                                   derivative: epilogue.derivative.map { $0 + at }, multiplier: epilogue.multiplier.map { $0 + at },
                                   residual: epilogue.residual.map { $0 + at })
                } else {
                    epilogue?.apply(ct, ldc, rows: tileRows, row0: row0 &+ ir, col0: col0, cols: ncols)
                }
            } else {
                kernel6x16(kcur, tileA, rowStride: rowStride, depthStride: depthStride, bpanel, ct, ldc, alpha, beta,
                           rows: tileRows, cols: ncols, epilogue: epilogue, row0: row0 &+ ir, col0: col0)
            }
            ir &+= mr
        }
    }

    /// Floats from one packed A panel to the next: kc×6 and one cache line more. Without the line,
    /// at kc 256 the panels start 6 KiB apart, every other one on the same two L1 sets, and
    /// packing a transposed A (8 lanes into each of 20+ panels in turn) missed L1 on every store.
    @inline(__always)
    static func aPanelStride(_ kc: Int) -> Int { kc &* mr &+ aPanelPad }
    static let aPanelPad = 16

    /// Floats from one packed B panel to the next: kc×16 and one cache line more. Without the
    /// line, at kc 256 the panels start 16 KiB apart, all on one L1 set, and packing B row by row
    /// across them (a line into each panel in turn) missed L1 on every store past the 8th panel.
    @inline(__always)
    static func bPanelStride(_ kc: Int) -> Int { kc &* nr &+ bPanelPad }
    static let bPanelPad = 16

    /// Packs op(A)[i0..<i0+mc, k0..<k0+kc] as 6-row panels, each kc×6 (zero-padded rows), `aPanelStride` apart.
    static func packA(_ p: Problem, _ dst: UnsafeMutablePointer<Float>, i0: Int, mc: Int, k0: Int, kc: Int) {
        let lda = p.lda
        var ir = 0
        if p.transA {
            // A stored k×m: depth index q's values for all rows are adjacent. Read each stored row
            // once, front to back, and copy 8 lanes into every full panel whose read stays inside
            // the row: lanes 6 and 7 spill into slot q+1, which is written after. The last q
            // (whose spill would hit the next panel) is copied 6 at a time.
            let widePanels = min(mc / mr, max(0, (p.m &- i0 &- 2) / mr))
            if widePanels > 0 {
                let panelStride = aPanelStride(kc)
                for q in 0..<(kc &- 1) {
                    let s = p.a + ((k0 &+ q) &* lda &+ i0)
                    var d = dst + q &* mr
                    for j in 0..<widePanels {
                        store8(d, load8(s + j &* mr))
                        d += panelStride
                    }
                }
                let s = p.a + ((k0 &+ kc &- 1) &* lda &+ i0)
                for j in 0..<widePanels {
                    let d = dst + (j &* panelStride &+ (kc &- 1) &* mr)
                    for i in 0..<mr { d[i] = s[j &* mr &+ i] }
                }
                ir = widePanels &* mr
            }
        }
        while ir < mc {
            let rows = min(mr, mc &- ir)
            let out = dst + ir / mr &* aPanelStride(kc)
            if p.transA {
                let src = p.a + (k0 &* lda &+ i0 &+ ir)
                for q in 0..<kc {
                    let s = src + q &* lda, d = out + q &* mr
                    for i in 0..<mr { d[i] = i < rows ? s[i] : 0 }
                }
            } else {
                let src = p.a + ((i0 &+ ir) &* lda &+ k0)
                if rows == mr {
                    let r0 = src, r1 = src + lda, r2 = src + 2 &* lda
                    let r3 = src + 3 &* lda, r4 = src + 4 &* lda, r5 = src + 5 &* lda
                    for q in 0..<kc {
                        let d = out + q &* mr
                        d[0] = r0[q]; d[1] = r1[q]; d[2] = r2[q]; d[3] = r3[q]; d[4] = r4[q]; d[5] = r5[q]
                    }
                } else {
                    for i in 0..<mr {
                        let r = src + i &* lda
                        for q in 0..<kc { out[q &* mr &+ i] = i < rows ? r[q] : 0 }
                    }
                }
            }
            ir &+= mr
        }
    }

    /// Packs op(B)[k0..<k0+kc, j0..<j0+nc] as 16-column panels, each kc×16 (zero-padded columns), `bPanelStride` apart.
    static func packB(_ p: Problem, _ dst: UnsafeMutablePointer<Float>, k0: Int, kc: Int, j0: Int, nc: Int) {
        let ldb = p.ldb
        var jr = 0
        if !p.transB && nc >= 2 &* nr {
            // Row by row across the full panels: B's rows are read front to back (one line per
            // row and panel, a row apart, is a stride the prefetchers follow poorly from L3).
            let full = nc / nr, panelStride = bPanelStride(kc)
            for q in 0..<kc {
                var s = p.b + ((k0 &+ q) &* ldb &+ j0)
                var d = dst + q &* nr
                for _ in 0..<full {
                    store8(d, load8(s))
                    store8(d + 8, load8(s + 8))
                    s += nr
                    d += panelStride
                }
            }
            jr = full &* nr
        }
        while jr < nc {
            let cols = min(nr, nc &- jr)
            let out = dst + jr / nr &* bPanelStride(kc)
            if !p.transB {
                let src = p.b + (k0 &* ldb &+ j0 &+ jr)
                if cols == nr {
                    for q in 0..<kc {
                        let s = src + q &* ldb, d = out + q &* nr
                        store8(d, load8(s))
                        store8(d + 8, load8(s + 8))
                    }
                } else {
                    for q in 0..<kc {
                        let s = src + q &* ldb, d = out + q &* nr
                        for j in 0..<nr { d[j] = j < cols ? s[j] : 0 }
                    }
                }
            } else {
                // B stored n×k: column j of op(B) is row j of storage.
                if cols < nr { out.update(repeating: 0, count: kc &* nr) }
                transpose(p.b + ((j0 &+ jr) &* ldb &+ k0), ldb, rows: cols, cols: kc, out, nr)
            }
            jr &+= nr
        }
    }

    /// The register micro-kernel: a 6×16 tile of C from 6 rows of A and a kc×16 B panel.
    /// A's element (row i, depth q) is read at `a[i·rowStride + q·depthStride]`: a packed kc×6
    /// panel is (1, 6); rows of a row-major A read in place are (lda, 1). Partial tiles (rows < 6
    /// or cols < 16) compute on padding (or repeated rows) and store only their part.
    @inline(__always)
    static func kernel6x16(_ kc: Int, _ a: UnsafePointer<Float>, rowStride: Int, depthStride: Int,
                           _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
                           _ alpha: Float, _ beta: Float, rows: Int, cols: Int,
                           epilogue: Epilogue?, row0: Int, col0: Int) {
        // C is cold (it was last touched one k block ago): start fetching it now, under the FMAs.
        for i in 0..<rows {
            let row = c + i &* ldc
            llvmPrefetch(UnsafeRawPointer(row), 1, 3, 1)
            llvmPrefetch(UnsafeRawPointer(row + (cols &- 1)), 1, 3, 1)
        }
        var c00 = V8(), c01 = V8(), c10 = V8(), c11 = V8(), c20 = V8(), c21 = V8()
        var c30 = V8(), c31 = V8(), c40 = V8(), c41 = V8(), c50 = V8(), c51 = V8()
        let s1 = rowStride, s2 = 2 &* rowStride, s3 = 3 &* rowStride, s4 = 4 &* rowStride, s5 = 5 &* rowStride
        var pa = a, pb = b
        for _ in 0..<kc {
            let b0 = load8(pb), b1 = load8(pb + 8)
            var x = V8(repeating: pa[0])
            c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
            x = V8(repeating: pa[s1])
            c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
            x = V8(repeating: pa[s2])
            c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
            x = V8(repeating: pa[s3])
            c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
            x = V8(repeating: pa[s4])
            c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
            x = V8(repeating: pa[s5])
            c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1)
            pa += depthStride
            pb += nr
        }
        if let epilogue, cols == nr, fusedEpilogue {
            // A full-width tile's epilogue runs on the accumulators: C is stored once, finished.
            epilogue.finishRow(c, ldc, c00, c01, alpha, beta, row: row0, col: col0)
            if rows > 1 { epilogue.finishRow(c + ldc, ldc, c10, c11, alpha, beta, row: row0 &+ 1, col: col0) }
            if rows > 2 { epilogue.finishRow(c + 2 &* ldc, ldc, c20, c21, alpha, beta, row: row0 &+ 2, col: col0) }
            if rows > 3 { epilogue.finishRow(c + 3 &* ldc, ldc, c30, c31, alpha, beta, row: row0 &+ 3, col: col0) }
            if rows > 4 { epilogue.finishRow(c + 4 &* ldc, ldc, c40, c41, alpha, beta, row: row0 &+ 4, col: col0) }
            if rows > 5 { epilogue.finishRow(c + 5 &* ldc, ldc, c50, c51, alpha, beta, row: row0 &+ 5, col: col0) }
            return
        }
        updateRow(c, c00, c01, cols: cols, alpha, beta)
        if rows > 1 { updateRow(c + ldc, c10, c11, cols: cols, alpha, beta) }
        if rows > 2 { updateRow(c + 2 &* ldc, c20, c21, cols: cols, alpha, beta) }
        if rows > 3 { updateRow(c + 3 &* ldc, c30, c31, cols: cols, alpha, beta) }
        if rows > 4 { updateRow(c + 4 &* ldc, c40, c41, cols: cols, alpha, beta) }
        if rows > 5 { updateRow(c + 5 &* ldc, c50, c51, cols: cols, alpha, beta) }
        epilogue?.apply(c, ldc, rows: rows, row0: row0, col0: col0, cols: cols)
    }
}

// MARK: - Direct (unpacked) path for small problems

extension GEMM {
    /// Small problems on the calling thread: A read in place through strides, B read in place
    /// when its rows are contiguous (transposed B and ragged column tails go through a small
    /// zero-padded copy so every load is a full vector).
    static func direct(_ p: Problem) {
        let n = p.n, k = p.k
        // op(A)[i][q] = a[i·ars + q·acs]
        let ars = p.transA ? 1 : p.lda
        let acs = p.transA ? p.lda : 1
        let n8 = n & ~7
        if p.transB {
            let width = (n &+ 7) & ~7
            withUnsafeTemporaryAllocation(of: Float.self, capacity: k &* width) { buf in
                let t = buf.baseAddress!
                // Transpose B (n×k stored) to k×width, zero-padding the extra columns.
                if n != width { t.update(repeating: 0, count: k &* width) }
                transpose(p.b, p.ldb, rows: n, cols: k, t, width)
                directColumns(p, ars: ars, acs: acs, b: t, ldb: width, j0: 0, j1: n)
            }
            return
        }
        if n8 > 0 {
            directColumns(p, ars: ars, acs: acs, b: p.b, ldb: p.ldb, j0: 0, j1: n8)
        }
        if n8 < n {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: k &* 8) { buf in
                let t = buf.baseAddress!
                for q in 0..<k {
                    let s = p.b + q &* p.ldb
                    for j in 0..<8 { t[q &* 8 &+ j] = n8 &+ j < n ? s[n8 &+ j] : 0 }
                }
                // The copy holds columns n8..<n at offset 0; shift the pointer so column j maps to it.
                directColumns(p, ars: ars, acs: acs, b: t - n8, ldb: 8, j0: n8, j1: n)
            }
        }
    }

    /// C[:, j0..<j1] where every 8-lane load of B row q at columns j0.. (rounded up to 8) is valid.
    static func directColumns(_ p: Problem, ars: Int, acs: Int, b: UnsafePointer<Float>, ldb: Int, j0: Int, j1: Int) {
        let m = p.m
        var j = j0
        while j < j1 {
            let cols = min(16, j1 &- j)
            var i = 0
            while i < m {
                let rows = min(mr, m &- i)
                let a = p.a + i &* ars
                let c = p.c + (i &* p.ldc &+ j)
                let bj = b + j
                // A 16-wide tile needs two valid vectors; with 8 or fewer columns left use one.
                if cols > 8 {
                    switch rows {
                    case 6: directTile(Rows6.self, Wide.self, p, a, ars, acs, bj, ldb, c, cols)
                    case 5: directTile(Rows5.self, Wide.self, p, a, ars, acs, bj, ldb, c, cols)
                    case 4: directTile(Rows4.self, Wide.self, p, a, ars, acs, bj, ldb, c, cols)
                    case 3: directTile(Rows3.self, Wide.self, p, a, ars, acs, bj, ldb, c, cols)
                    case 2: directTile(Rows2.self, Wide.self, p, a, ars, acs, bj, ldb, c, cols)
                    default: directTile(Rows1.self, Wide.self, p, a, ars, acs, bj, ldb, c, cols)
                    }
                } else {
                    switch rows {
                    case 6: directTile(Rows6.self, Narrow.self, p, a, ars, acs, bj, ldb, c, cols)
                    case 5: directTile(Rows5.self, Narrow.self, p, a, ars, acs, bj, ldb, c, cols)
                    case 4: directTile(Rows4.self, Narrow.self, p, a, ars, acs, bj, ldb, c, cols)
                    case 3: directTile(Rows3.self, Narrow.self, p, a, ars, acs, bj, ldb, c, cols)
                    case 2: directTile(Rows2.self, Narrow.self, p, a, ars, acs, bj, ldb, c, cols)
                    default: directTile(Rows1.self, Narrow.self, p, a, ars, acs, bj, ldb, c, cols)
                    }
                }
                i &+= mr
            }
            j &+= cols
        }
    }

    // Tile shapes as types: each generic specialization of `directTile` gets its row count and
    // width as constants, so unused accumulators and branches compile away (plain arguments
    // would need inlining, which the optimizer declines for this many copies).
    protocol TileRows { static var count: Int { get } }
    protocol TileWidth { static var wide: Bool { get } }
    enum Rows1: TileRows { static var count: Int { 1 } }
    enum Rows2: TileRows { static var count: Int { 2 } }
    enum Rows3: TileRows { static var count: Int { 3 } }
    enum Rows4: TileRows { static var count: Int { 4 } }
    enum Rows5: TileRows { static var count: Int { 5 } }
    enum Rows6: TileRows { static var count: Int { 6 } }
    enum Wide: TileWidth { static var wide: Bool { true } }
    enum Narrow: TileWidth { static var wide: Bool { false } }

    /// Up to 6 rows × (8 or 16) columns, accumulated over all of k with A broadcast in place.
    static func directTile<R: TileRows, W: TileWidth>(_: R.Type, _: W.Type, _ p: Problem, _ a: UnsafePointer<Float>, _ ars: Int, _ acs: Int,
                           _ b: UnsafePointer<Float>, _ ldb: Int, _ c: UnsafeMutablePointer<Float>, _ cols: Int) {
        let rows = R.count, wide = W.wide
        var c00 = V8(), c01 = V8(), c10 = V8(), c11 = V8(), c20 = V8(), c21 = V8()
        var c30 = V8(), c31 = V8(), c40 = V8(), c41 = V8(), c50 = V8(), c51 = V8()
        let a1 = a + ars, a2 = a + 2 &* ars, a3 = a + 3 &* ars, a4 = a + 4 &* ars, a5 = a + 5 &* ars
        var pb = b
        var off = 0
        for _ in 0..<p.k {
            let b0 = load8(pb)
            let b1 = wide ? load8(pb + 8) : V8()
            var x = V8(repeating: a[off])
            c00 = c00.addingProduct(x, b0); if wide { c01 = c01.addingProduct(x, b1) }
            if rows > 1 {
                x = V8(repeating: a1[off])
                c10 = c10.addingProduct(x, b0); if wide { c11 = c11.addingProduct(x, b1) }
            }
            if rows > 2 {
                x = V8(repeating: a2[off])
                c20 = c20.addingProduct(x, b0); if wide { c21 = c21.addingProduct(x, b1) }
            }
            if rows > 3 {
                x = V8(repeating: a3[off])
                c30 = c30.addingProduct(x, b0); if wide { c31 = c31.addingProduct(x, b1) }
            }
            if rows > 4 {
                x = V8(repeating: a4[off])
                c40 = c40.addingProduct(x, b0); if wide { c41 = c41.addingProduct(x, b1) }
            }
            if rows > 5 {
                x = V8(repeating: a5[off])
                c50 = c50.addingProduct(x, b0); if wide { c51 = c51.addingProduct(x, b1) }
            }
            off &+= acs
            pb += ldb
        }
        let ldc = p.ldc, alpha = p.alpha, beta = p.beta
        updateRow(c, c00, c01, cols: cols, alpha, beta)
        if rows > 1 { updateRow(c + ldc, c10, c11, cols: cols, alpha, beta) }
        if rows > 2 { updateRow(c + 2 &* ldc, c20, c21, cols: cols, alpha, beta) }
        if rows > 3 { updateRow(c + 3 &* ldc, c30, c31, cols: cols, alpha, beta) }
        if rows > 4 { updateRow(c + 4 &* ldc, c40, c41, cols: cols, alpha, beta) }
        if rows > 5 { updateRow(c + 5 &* ldc, c50, c51, cols: cols, alpha, beta) }
    }
}
