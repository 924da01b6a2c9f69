import XCTest
import TensorKit

/// Checks GEMM.sgemm / sgemmBatched against a double-precision reference loop.
final class GEMMTests: XCTestCase {
    /// Seeded draws for the cases, from TensorKit's generator.
    struct Rng {
        var generator: RandomGenerator
        init(state: UInt64) { generator = RandomGenerator(seed: state) }
        mutating func next() -> UInt64 { generator.next() }
        /// Uniform in [-1, 1).
        mutating func float() -> Float { generator.nextFloat() * 2 - 1 }
        mutating func int(_ range: ClosedRange<Int>) -> Int {
            range.lowerBound + generator.nextInt(below: range.count)
        }
        mutating func floats(_ n: Int) -> [Float] { (0..<n).map { _ in float() } }
    }

    struct Case {
        var transA: Bool, transB: Bool, m: Int, n: Int, k: Int
        var alpha: Float, beta: Float
        var lda: Int, ldb: Int, ldc: Int
    }

    static let one = ThreadPool(threads: 1)
    static let two = ThreadPool(threads: 2)

    /// Storage size of a matrix with `rows` rows of stride `ld`.
    static func storage(rows: Int, ld: Int) -> Int { rows == 0 ? 0 : (rows - 1) * ld + ld }

    /// Reference: C = alpha·op(A)·op(B) + beta·C in Double (beta == 0 ignores C).
    static func reference(_ t: Case, _ a: [Float], _ b: [Float], _ c: [Float]) -> [Double] {
        var out = c.map(Double.init)
        for i in 0..<t.m {
            for j in 0..<t.n {
                var s = 0.0
                for q in 0..<t.k {
                    let av = t.transA ? a[q * t.lda + i] : a[i * t.lda + q]
                    let bv = t.transB ? b[j * t.ldb + q] : b[q * t.ldb + j]
                    s += Double(av) * Double(bv)
                }
                let old = t.beta == 0 ? 0 : Double(c[i * t.ldc + j])
                out[i * t.ldc + j] = Double(t.alpha) * s + Double(t.beta) * old
            }
        }
        return out
    }

    /// Runs one case with the given pool and returns C.
    static func run(_ t: Case, _ a: [Float], _ b: [Float], _ c0: [Float], pool: ThreadPool?) -> [Float] {
        var c = c0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    GEMM.sgemm(transA: t.transA, transB: t.transB, m: t.m, n: t.n, k: t.k, alpha: t.alpha,
                               a: pa.baseAddress!, lda: t.lda, b: pb.baseAddress!, ldb: t.ldb,
                               beta: t.beta, c: pc.baseAddress!, ldc: t.ldc, pool: pool)
                }
            }
        }
        return c
    }

    /// Compares against the reference with relative tolerance 1e-4·sqrt(k) (absolute below 1);
    /// padding between rows (ld > width) must be left untouched.
    func check(_ t: Case, _ got: [Float], _ c0: [Float], _ ref: [Double],
               file: StaticString = #filePath, line: UInt = #line) {
        let tol = 1e-4 * max(1, Double(t.k).squareRoot())
        var bad = 0
        for i in 0..<t.m {
            for j in 0..<t.ldc {
                let idx = i * t.ldc + j
                if j >= t.n {
                    if got[idx].bitPattern != c0[idx].bitPattern { bad += 1 }
                    continue
                }
                let err = abs(Double(got[idx]) - ref[idx])
                if !(err <= tol * max(1, abs(ref[idx]))) { bad += 1 }
            }
        }
        XCTAssertEqual(bad, 0, "mismatches for \(t)", file: file, line: line)
    }

    func randomCase(_ rng: inout Rng, m: Int, n: Int, k: Int, transA: Bool, transB: Bool,
                    alpha: Float, beta: Float, pad: Bool) -> Case {
        let extra = { (r: inout Rng) in pad ? r.int(1...5) : 0 }
        let lda = (transA ? m : k) + extra(&rng)
        let ldb = (transB ? k : n) + extra(&rng)
        let ldc = n + extra(&rng)
        return Case(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
                    lda: max(lda, 1), ldb: max(ldb, 1), ldc: max(ldc, 1))
    }

    func runCase(_ t: Case, _ rng: inout Rng, nanC: Bool, file: StaticString = #filePath, line: UInt = #line) {
        let a = rng.floats(Self.storage(rows: t.transA ? t.k : t.m, ld: t.lda))
        let b = rng.floats(Self.storage(rows: t.transB ? t.n : t.k, ld: t.ldb))
        var c0 = rng.floats(Self.storage(rows: t.m, ld: t.ldc))
        if nanC { c0 = c0.map { _ in Float.nan } }
        let ref = Self.reference(t, a, b, c0)
        let c1 = Self.run(t, a, b, c0, pool: Self.one)
        let c2 = Self.run(t, a, b, c0, pool: Self.two)
        let cNil = Self.run(t, a, b, c0, pool: nil)
        check(t, c1, c0, ref, file: file, line: line)
        XCTAssertEqual(c1.map(\.bitPattern), c2.map(\.bitPattern), "1 vs 2 threads differ for \(t)", file: file, line: line)
        XCTAssertEqual(c1.map(\.bitPattern), cNil.map(\.bitPattern), "pool nil differs for \(t)", file: file, line: line)
    }

    func testAwkwardSizesAllTransposes() {
        var rng = Rng(state: 1)
        let sizes = [1, 3, 17, 129]
        for transA in [false, true] {
            for transB in [false, true] {
                for m in sizes {
                    for n in sizes {
                        for k in [1, 3, 17, 129, 300] {
                            let t = randomCase(&rng, m: m, n: n, k: k, transA: transA, transB: transB,
                                               alpha: 1, beta: 0, pad: false)
                            runCase(t, &rng, nanC: false)
                        }
                    }
                }
            }
        }
    }

    func testLargeShapesAllTransposes() {
        var rng = Rng(state: 2)
        for transA in [false, true] {
            for transB in [false, true] {
                for (m, n, k) in [(300, 300, 300), (129, 517, 300), (517, 67, 601), (64, 96, 1030), (200, 4200, 20)] {
                    let t = randomCase(&rng, m: m, n: n, k: k, transA: transA, transB: transB,
                                       alpha: 0.75, beta: 0.5, pad: true)
                    runCase(t, &rng, nanC: false)
                }
            }
        }
        // Tall and thin: a single column panel, rows split between tasks.
        let thin = randomCase(&rng, m: 1000, n: 9, k: 70, transA: true, transB: false, alpha: 1, beta: 0, pad: true)
        runCase(thin, &rng, nanC: true)
        // Packed B too big to share between tasks: each task packs its own column range.
        let t = randomCase(&rng, m: 40, n: 2050, k: 2050, transA: false, transB: true,
                           alpha: 1, beta: 1, pad: true)
        runCase(t, &rng, nanC: false)
    }

    func testAlphaBetaAndLeadingDimensions() {
        var rng = Rng(state: 3)
        for _ in 0..<60 {
            let m = rng.int(1...300), n = rng.int(1...300), k = rng.int(1...300)
            let transA = rng.next() & 1 == 1, transB = rng.next() & 1 == 1
            let choice = rng.int(0...3)
            let alpha: Float = [1, -0.5, 2, 1][choice]
            let beta: Float = [0, 1, -1.5, 0][choice]
            let t = randomCase(&rng, m: m, n: n, k: k, transA: transA, transB: transB,
                               alpha: alpha, beta: beta, pad: true)
            // beta == 0 must overwrite C without reading it: prefill with NaN.
            runCase(t, &rng, nanC: beta == 0)
        }
    }

    /// Products whose depth is long against C (k ≥ 512 and ≥ 2·max(m, n), weight gradients) run as
    /// two halves summed: right for every transpose, α/β (β = 0 ignores a NaN C), ragged sizes and
    /// padded rows; the same bits with 1 and 2 threads; and right with the split switched off.
    func testDepthSplitProducts() {
        var rng = Rng(state: 9)
        let saved = GEMM.depthSplit
        defer { GEMM.depthSplit = saved }
        for split in [true, false] {
            GEMM.depthSplit = split
            for (m, n, k) in [(128, 384, 1536), (40, 24, 700), (7, 250, 513), (129, 17, 601)] {
                for transA in [true, false] {
                    for transB in [false, true] {
                        let choice = rng.int(0...2)
                        let t = randomCase(&rng, m: m, n: n, k: k, transA: transA, transB: transB,
                                           alpha: [1, 0.5, -2][choice], beta: [1, 0, -1.5][choice], pad: true)
                        runCase(t, &rng, nanC: t.beta == 0)
                    }
                }
            }
        }
    }

    /// Each kernel reading A in place (n ≤ 512; transposed A with lda ≤ 512) sums each element in
    /// the same order as over a packed A: bitwise-equal C for ragged row tiles, several k blocks,
    /// one task and two sharing B, and the fused bias/GELU/residual epilogue.
    func testAInPlaceMatchesPackedABitwise() {
        let saved = (GEMM.aInPlace, GEMM.kernel)
        defer { (GEMM.aInPlace, GEMM.kernel) = saved }
        // Each kernel this processor can run reads A in place its own way.
        for kernel in [GEMM.Kernel.avx2] + (CPUFeatures.hasAVX512F ? [.avx512] : []) {
            GEMM.kernel = kernel
            aInPlaceMatchesPackedA()
        }
    }

    private func aInPlaceMatchesPackedA() {
        var rng = Rng(state: 6)
        func both(_ body: () -> [Float]) -> ([Float], [Float]) {
            GEMM.aInPlace = true
            let inPlace = body()
            GEMM.aInPlace = false
            return (inPlace, body())
        }
        for (m, n, k, transA, transB) in [(301, 97, 300, false, true), (517, 67, 601, false, false), (1000, 9, 70, false, false),
                                          (40, 500, 2050, false, true), (97, 130, 129, false, false),
                                          (128, 384, 768, true, false), (97, 130, 700, true, false), (301, 64, 300, true, true),
                                          (509, 40, 90, true, false)] {
            let t = randomCase(&rng, m: m, n: n, k: k, transA: transA, transB: transB, alpha: 0.75, beta: 0.5, pad: true)
            let a = rng.floats(Self.storage(rows: transA ? k : m, ld: t.lda))
            let b = rng.floats(Self.storage(rows: transB ? n : k, ld: t.ldb))
            let c0 = rng.floats(Self.storage(rows: m, ld: t.ldc))
            for pool in [Self.one, Self.two] {
                let (inPlace, packed) = both { Self.run(t, a, b, c0, pool: pool) }
                XCTAssertEqual(inPlace.map(\.bitPattern), packed.map(\.bitPattern), "\(GEMM.kernel): \(t), \(pool.threadCount) threads")
            }
            check(t, Self.run(t, a, b, c0, pool: Self.two), c0, Self.reference(t, a, b, c0))
            // The epilogue: bias, GELU (keeping its derivative) and a residual, on ldc-wide rows.
            let bias = rng.floats(n), residual = rng.floats(Self.storage(rows: m, ld: t.ldc))
            let (inPlace, packed) = both {
                var c = c0, pre = [Float](repeating: 0, count: c0.count)
                GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: t.lda, b: b, ldb: t.ldb,
                           c: &c, ldc: t.ldc, bias: bias, activation: .gelu, geluDerivative: &pre, residual: residual, pool: Self.two)
                return c + pre
            }
            XCTAssertEqual(inPlace.map(\.bitPattern), packed.map(\.bitPattern), "\(GEMM.kernel): epilogue \(t)")
        }
    }

    /// The epilogue run on the kernel's accumulators gives the same bits as the separate pass over
    /// a stored C: bias alone, GELU keeping its derivative, a residual; ragged tiles, several k
    /// blocks (so the last block adds to a partial C), A in place and packed, 1 and 2 threads.
    func testFusedEpilogueMatchesSeparatePassBitwise() {
        var rng = Rng(state: 8)
        let saved = (GEMM.fusedEpilogue, GEMM.aInPlace)
        defer { (GEMM.fusedEpilogue, GEMM.aInPlace) = saved }
        for (m, n, k, transA, transB) in [(301, 97, 300, false, true), (517, 64, 601, false, false), (97, 130, 129, true, false),
                                          (40, 500, 70, false, false), (1536, 128, 512, false, false)] {
            let lda = transA ? m : k, ldb = transB ? k : n
            let a = rng.floats(m * k), b = rng.floats(k * n), bias = rng.floats(n), residual = rng.floats(m * n)
            for (gelu, withResidual) in [(false, false), (true, false), (false, true), (true, true)] {
                for inPlace in [true, false] {
                    for pool in [Self.one, Self.two] {
                        GEMM.aInPlace = inPlace
                        var results: [[Float]] = []
                        for fused in [true, false] {
                            GEMM.fusedEpilogue = fused
                            var c = [Float](repeating: .nan, count: m * n), pre = [Float](repeating: 0, count: m * n)
                            pre.withUnsafeMutableBufferPointer { kept in
                                GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                                           c: &c, ldc: n, bias: bias, activation: gelu ? .gelu : .identity,
                                           geluDerivative: gelu ? kept.baseAddress : nil, residual: withResidual ? residual : nil, pool: pool)
                            }
                            results.append(c + pre)
                        }
                        XCTAssertEqual(results[0].map(\.bitPattern), results[1].map(\.bitPattern),
                                       "\(m)×\(n)×\(k) transA \(transA) transB \(transB) gelu \(gelu) residual \(withResidual) in place \(inPlace), \(pool.threadCount) threads")
                    }
                }
            }
        }
    }

    /// The epilogue's GELU and the GELU′ it keeps are, bit for bit, the element-wise op and its
    /// backward on the product plus bias: on the direct path, the packed one (A in place and
    /// packed) and ragged column tiles.
    func testGELUEpilogueMatchesElementwiseGELU() {
        var rng = Rng(state: 7)
        let saved = GEMM.aInPlace
        defer { GEMM.aInPlace = saved }
        for (m, n, k) in [(5, 7, 3), (97, 45, 70), (200, 130, 129)] {
            let a = rng.floats(m * k), b = rng.floats(k * n), bias = rng.floats(n)
            var linear = [Float](repeating: 0, count: m * n)
            GEMM.sgemm(transA: false, transB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &linear, ldc: n,
                       bias: bias, activation: .identity, geluDerivative: nil, pool: Self.two)
            var expected = [Float](repeating: 0, count: m * n), expectedDerivative = expected
            CPUBackend.shared.unary(.gelu, linear, &expected, count: m * n)
            // GELU′ as the element-wise backward with a gradient of ones (1·x is exact).
            CPUBackend.shared.unaryBackward(.gelu, linear, [Float](repeating: 1, count: m * n), &expectedDerivative,
                                            count: m * n, accumulate: false)
            for inPlace in [true, false] {
                GEMM.aInPlace = inPlace
                var c = [Float](repeating: .nan, count: m * n), derivative = c
                GEMM.sgemm(transA: false, transB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n,
                           bias: bias, activation: .gelu, geluDerivative: &derivative, pool: Self.two)
                XCTAssertEqual(derivative.map(\.bitPattern), expectedDerivative.map(\.bitPattern), "GELU′ \(m)×\(n)×\(k)")
                XCTAssertEqual(c.map(\.bitPattern), expected.map(\.bitPattern), "GELU \(m)×\(n)×\(k)")
            }
        }
    }

    func testBetaZeroIgnoresNaN() {
        var rng = Rng(state: 4)
        for (m, n, k) in [(3, 5, 7), (40, 40, 40), (200, 190, 180)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    let t = randomCase(&rng, m: m, n: n, k: k, transA: transA, transB: transB,
                                       alpha: 1.25, beta: 0, pad: true)
                    runCase(t, &rng, nanC: true)
                }
            }
        }
    }

    func testDegenerateSizes() {
        var c: [Float] = [1, 2, 3, 4]
        let a: [Float] = [Float.nan], b: [Float] = [Float.nan]
        // k == 0: C = beta·C.
        GEMM.sgemm(transA: false, transB: false, m: 2, n: 2, k: 0, alpha: 1, a: a, lda: 1, b: b, ldb: 2,
                   beta: 2, c: &c, ldc: 2)
        XCTAssertEqual(c, [2, 4, 6, 8])
        GEMM.sgemm(transA: false, transB: false, m: 2, n: 2, k: 0, alpha: 1, a: a, lda: 1, b: b, ldb: 2,
                   beta: 0, c: &c, ldc: 2)
        XCTAssertEqual(c, [0, 0, 0, 0])
    }

    func testBatched() {
        var rng = Rng(state: 5)
        // Attention shapes (scores q·kᵀ and probs·v) plus awkward and big ones.
        var shapes: [(Int, Bool, Bool, Int, Int, Int)] = []
        for tt in [4, 12, 25, 50] {
            for d in [16, 32, 64] {
                shapes.append((37, false, true, tt, tt, d))
                shapes.append((37, false, false, tt, d, tt))
            }
        }
        shapes += [(5, true, false, 17, 3, 129), (3, true, true, 129, 130, 70), (9, false, false, 1, 1, 1),
                   (2, false, true, 200, 150, 100), (16, true, false, 80, 70, 90)]
        // Long depths split in halves: one matrix per task (pool-less halves), and few matrices
        // each threaded inside (halves on two threads).
        shapes += [(9, true, false, 8, 40, 1024), (2, false, true, 70, 30, 600)]
        for (batch, transA, transB, m, n, k) in shapes {
            for (alpha, beta) in [(Float(1), Float(0)), (Float(0.5), Float(1))] {
                let t = randomCase(&rng, m: m, n: n, k: k, transA: transA, transB: transB,
                                   alpha: alpha, beta: beta, pad: rng.next() & 1 == 1)
                let sizeA = Self.storage(rows: transA ? k : m, ld: t.lda)
                let sizeB = Self.storage(rows: transB ? n : k, ld: t.ldb)
                let sizeC = Self.storage(rows: m, ld: t.ldc)
                let strideA = sizeA + rng.int(0...3), strideB = sizeB + rng.int(0...3), strideC = sizeC + rng.int(0...3)
                let a = rng.floats(strideA * batch), b = rng.floats(strideB * batch)
                var c0 = rng.floats(strideC * batch)
                if beta == 0 { c0 = c0.map { _ in .nan } }
                var results: [[Float]] = []
                for pool in [Self.one, Self.two, nil] {
                    var c = c0
                    a.withUnsafeBufferPointer { pa in
                        b.withUnsafeBufferPointer { pb in
                            c.withUnsafeMutableBufferPointer { pc in
                                GEMM.sgemmBatched(batch: batch, transA: transA, transB: transB, m: m, n: n, k: k,
                                                  alpha: alpha, a: pa.baseAddress!, lda: t.lda, strideA: strideA,
                                                  b: pb.baseAddress!, ldb: t.ldb, strideB: strideB, beta: beta,
                                                  c: pc.baseAddress!, ldc: t.ldc, strideC: strideC, pool: pool)
                            }
                        }
                    }
                    results.append(c)
                }
                XCTAssertEqual(results[0].map(\.bitPattern), results[1].map(\.bitPattern), "batched 1 vs 2 threads \(t)")
                XCTAssertEqual(results[0].map(\.bitPattern), results[2].map(\.bitPattern), "batched nil pool \(t)")
                for i in 0..<batch {
                    let ai = Array(a[(i * strideA)..<(i * strideA + sizeA)])
                    let bi = Array(b[(i * strideB)..<(i * strideB + sizeB)])
                    let ci = Array(c0[(i * strideC)..<(i * strideC + sizeC)])
                    let got = Array(results[0][(i * strideC)..<(i * strideC + sizeC)])
                    check(t, got, ci, Self.reference(t, ai, bi, ci))
                    // Gaps between matrices stay untouched.
                    if i + 1 < batch {
                        for g in (i * strideC + sizeC)..<((i + 1) * strideC) {
                            XCTAssertEqual(results[0][g].bitPattern, c0[g].bitPattern)
                        }
                    }
                }
            }
        }
    }

    func testThreadPoolCoversEveryIndexOnce() {
        let pool = ThreadPool(threads: 2)
        XCTAssertEqual(pool.threadCount, 2)
        for count in [0, 1, 2, 3, 17, 1000] {
            var hits = [Int](repeating: 0, count: count)
            hits.withUnsafeMutableBufferPointer { h in
                let base = h.baseAddress
                pool.parallelFor(count) { i in base![i] += 1 }
            }
            XCTAssertEqual(hits, [Int](repeating: 1, count: count))
        }
        // Nested calls run serially instead of deadlocking.
        var total = [Int](repeating: 0, count: 4)
        total.withUnsafeMutableBufferPointer { t in
            let base = t.baseAddress
            pool.parallelFor(4) { i in
                pool.parallelFor(10) { _ in base![i] += 1 }
            }
        }
        XCTAssertEqual(total, [10, 10, 10, 10])
    }
}
