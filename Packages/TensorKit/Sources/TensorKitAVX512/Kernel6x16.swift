// TensorKit's GEMM micro-kernel for processors with AVX-512. This module alone is compiled for
// Skylake-AVX512 (see Package.swift); TensorKit itself targets AVX2 + FMA so that its binary runs
// on any recent x86-64, and calls in here only after checking at run time that the processor has
// AVX-512F. Nothing here may be inlined into TensorKit: hence `@inline(never)`, no `@inlinable`.

typealias V16 = SIMD16<Float>

#if TENSORKIT_NO_CPU_HINTS
// ThreadSanitizer builds: the compiler cannot instrument LLVM's prefetch intrinsic (it aborts),
// and a prefetch changes no result, so `Scripts/sanitize thread` compiles it away.
@inline(__always) private func llvmPrefetch(_ address: UnsafeRawPointer, _ write: Int32, _ locality: Int32, _ dataCache: Int32) {}
#else
// LLVM's prefetch intrinsic (Swift has no prefetch API); lowers to prefetchw.
@_silgen_name("llvm.prefetch.p0")
private func llvmPrefetch(_ address: UnsafeRawPointer, _ write: Int32, _ locality: Int32, _ dataCache: Int32)
#endif

@inline(__always) private func load16(_ p: UnsafePointer<Float>) -> V16 {
    UnsafeRawPointer(p).loadUnaligned(as: V16.self)
}

/// c ← alpha·acc + beta·c, the same operations as TensorKit's AVX2 `update8`/`update1`, so both
/// kernels give bitwise-equal results.
@inline(__always) private func update(_ c: UnsafeMutablePointer<Float>, _ acc: V16, cols: Int, _ alpha: Float, _ beta: Float) {
    if cols == 16 {
        let old = UnsafeRawPointer(c).loadUnaligned(as: V16.self)
        let v: V16
        if beta == 0 { v = acc * alpha } else if beta == 1 { v = old.addingProduct(acc, alpha) } else { v = (acc * alpha).addingProduct(old, beta) }
        UnsafeMutableRawPointer(c).storeBytes(of: v, as: V16.self)
        return
    }
    for j in 0..<cols {
        let a = acc[j]
        if beta == 0 { c[j] = a * alpha } else if beta == 1 { c[j] = c[j].addingProduct(a, alpha) } else { c[j] = (a * alpha).addingProduct(c[j], beta) }
    }
}

/// A 6×16 tile of C from A and a kc×16 packed B panel: one 16-lane accumulator per row. Row i of
/// the tile reads A at `a[i·rowStride + q·depthStride]` for depth q: a kc×6 packed panel
/// (rowStride 1, depthStride 6) or six rows of a row-major A read in place (rowStride lda,
/// depthStride 1). Each element is summed over k in the same order as the AVX2 kernel.
/// `rows` ≤ 6 and `cols` ≤ 16 bound what is stored (packed panels are zero-padded; read in place,
/// all six rows must exist).
@inline(never)
public func avx512Kernel6x16(_ kc: Int, _ a: UnsafePointer<Float>, rowStride: Int, depthStride: Int,
                             _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
                             _ alpha: Float, _ beta: Float, rows: Int, cols: Int) {
    // C is cold (last touched one k block ago): start fetching it now, under the FMAs.
    for i in 0..<rows {
        llvmPrefetch(UnsafeRawPointer(c + i &* ldc), 1, 3, 1)
        llvmPrefetch(UnsafeRawPointer(c + (i &* ldc &+ cols &- 1)), 1, 3, 1)
    }
    var c0 = V16(), c1 = V16(), c2 = V16(), c3 = V16(), c4 = V16(), c5 = V16()
    let s1 = rowStride, s2 = 2 &* rowStride, s3 = 3 &* rowStride, s4 = 4 &* rowStride, s5 = 5 &* rowStride
    var pa = a, pb = b
    for _ in 0..<kc {
        let b0 = load16(pb)
        c0 = c0.addingProduct(V16(repeating: pa[0]), b0)
        c1 = c1.addingProduct(V16(repeating: pa[s1]), b0)
        c2 = c2.addingProduct(V16(repeating: pa[s2]), b0)
        c3 = c3.addingProduct(V16(repeating: pa[s3]), b0)
        c4 = c4.addingProduct(V16(repeating: pa[s4]), b0)
        c5 = c5.addingProduct(V16(repeating: pa[s5]), b0)
        pa += depthStride
        pb += 16
    }
    update(c, c0, cols: cols, alpha, beta)
    if rows > 1 { update(c + ldc, c1, cols: cols, alpha, beta) }
    if rows > 2 { update(c + 2 &* ldc, c2, cols: cols, alpha, beta) }
    if rows > 3 { update(c + 3 &* ldc, c3, cols: cols, alpha, beta) }
    if rows > 4 { update(c + 4 &* ldc, c4, cols: cols, alpha, beta) }
    if rows > 5 { update(c + 5 &* ldc, c5, cols: cols, alpha, beta) }
}
