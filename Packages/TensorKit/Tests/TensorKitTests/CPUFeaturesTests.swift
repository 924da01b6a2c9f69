import Foundation
import XCTest
import TensorKit

/// The run-time choice of GEMM kernel: the binary targets AVX2 + FMA and uses its AVX-512 kernel
/// only where the processor reports AVX-512F.
final class CPUFeaturesTests: XCTestCase {
    func testFlagsAreReadFromTheFirstProcessor() {
        let text = """
        processor\t: 0
        model name\t: Example CPU
        flags\t\t: fpu sse2 avx2 fma avx512f avx512bw
        processor\t: 1
        flags\t\t: fpu
        """
        XCTAssertEqual(CPUFeatures.flags(inCPUInfo: Data(text.utf8)), ["fpu", "sse2", "avx2", "fma", "avx512f", "avx512bw"])
        XCTAssertEqual(CPUFeatures.flags(inCPUInfo: Data("flags\t: avx2 fma\n".utf8)).contains("avx512f"), false)
        XCTAssertEqual(CPUFeatures.flags(inCPUInfo: nil), [])
        XCTAssertEqual(CPUFeatures.flags(inCPUInfo: Data("no flags line here".utf8)), [])
    }

    func testDefaultKernelFollowsTheProcessor() {
        let forcedAVX2 = ProcessInfo.processInfo.environment["TENSORKIT_ISA"]?.lowercased() == "avx2"
        XCTAssertEqual(GEMM.kernel, CPUFeatures.hasAVX512F && !forcedAVX2 ? .avx512 : .avx2)
        #if os(Linux) && arch(x86_64)
        let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        XCTAssertEqual(CPUFeatures.hasAVX512F, cpuinfo?.split(separator: "\n").first { $0.hasPrefix("flags") }?
            .split(separator: " ").contains("avx512f") ?? false)
        #endif
    }

    /// Both kernels sum each element over k in the same order: results are bitwise equal, for full
    /// and ragged tiles, every beta case, and both thread counts.
    func testAVX512KernelEqualsAVX2Kernel() throws {
        try XCTSkipUnless(CPUFeatures.hasAVX512F, "this processor has no AVX-512F: only the AVX2 kernel can run here")
        let saved = GEMM.kernel
        defer { GEMM.kernel = saved }
        var rng = GEMMTests.Rng(state: 7)
        for (m, n, k) in [(96, 96, 96), (97, 35, 300), (6, 16, 1), (133, 70, 257), (64, 300, 33)] {
            for beta: Float in [0, 1, 0.5] {
                let t = GEMMTests.Case(transA: m % 2 == 1, transB: n % 2 == 0, m: m, n: n, k: k, alpha: 1.25, beta: beta,
                                       lda: m % 2 == 1 ? m : k, ldb: n % 2 == 0 ? k : n, ldc: n + 3)
                let a = rng.floats(GEMMTests.storage(rows: t.transA ? k : m, ld: t.lda))
                let b = rng.floats(GEMMTests.storage(rows: t.transB ? n : k, ld: t.ldb))
                let c = rng.floats(GEMMTests.storage(rows: m, ld: t.ldc))
                for pool in [GEMMTests.one, GEMMTests.two] {
                    GEMM.kernel = .avx2
                    let narrow = GEMMTests.run(t, a, b, c, pool: pool)
                    GEMM.kernel = .avx512
                    let wide = GEMMTests.run(t, a, b, c, pool: pool)
                    XCTAssertEqual(narrow.map(\.bitPattern), wide.map(\.bitPattern), "\(m)×\(n)×\(k) beta \(beta)")
                }
            }
        }
    }

    /// The AVX-512 path runs the linear layer's epilogue (bias, GELU keeping GELU′, residual) on 16
    /// lanes, the AVX2 path on 8: bitwise the same outputs and derivatives, full and ragged column
    /// tiles, biases large enough that GELU's exp hits both of its clamps.
    func testAVX512EpilogueEqualsAVX2Epilogue() throws {
        try XCTSkipUnless(CPUFeatures.hasAVX512F, "this processor has no AVX-512F: only the AVX2 kernel can run here")
        let saved = GEMM.kernel
        defer { GEMM.kernel = saved }
        var rng = GEMMTests.Rng(state: 11)
        for (m, n, k) in [(97, 64, 70), (40, 500, 33), (13, 35, 300)] {
            let a = rng.floats(m * k), b = rng.floats(k * n), residual = rng.floats(m * n)
            let bias = rng.floats(n).enumerated().map { $0.offset % 5 == 0 ? $0.element * 400 : $0.element }
            for (gelu, withResidual) in [(true, false), (true, true), (false, true), (false, false)] {
                var results: [[Float]] = []
                for kernel in [GEMM.Kernel.avx2, .avx512] {
                    GEMM.kernel = kernel
                    var c = [Float](repeating: .nan, count: m * n), derivative = [Float](repeating: 0, count: m * n)
                    derivative.withUnsafeMutableBufferPointer { kept in
                        GEMM.sgemm(transA: false, transB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n,
                                   bias: bias, activation: gelu ? .gelu : .identity, geluDerivative: gelu ? kept.baseAddress : nil,
                                   residual: withResidual ? residual : nil, pool: GEMMTests.two)
                    }
                    XCTAssertFalse(c.contains { $0.isNaN }, "\(kernel) \(m)×\(n)×\(k)")
                    results.append(c + derivative)
                }
                XCTAssertEqual(results[0].map(\.bitPattern), results[1].map(\.bitPattern),
                               "\(m)×\(n)×\(k) gelu \(gelu) residual \(withResidual)")
            }
        }
    }
}
