// The most any packed GEMM can reach on this machine: TensorKit's AVX-512 micro-kernel alone, on
// panels that stay in L1, with no packing, no memory traffic and no epilogue. A pass made of these
// products can run no faster than its multiply-adds at this rate; the GEMM rows show how close
// whole products come, and BENCHMARKS.md divides a model pass's exact FLOP count by it.

import Foundation
import TensorKit
import TensorKitAVX512

/// GFLOP/s of the 6×16 AVX-512 micro-kernel (depth 256) looping on L1-resident panels for
/// `seconds`, on every thread of `pool` at once (each thread its own panels); nil without AVX-512F.
func kernelCeiling(threads: Int, pool: ThreadPool, seconds: Double) -> Double? {
    guard CPUFeatures.hasAVX512F else { return nil }
    let kc = 256, rows = 6, cols = 16
    var calls = [Int](repeating: 0, count: threads)
    var spans = [(start: Double, end: Double)](repeating: (0, 0), count: threads)
    calls.withUnsafeMutableBufferPointer { callCounts in
        spans.withUnsafeMutableBufferPointer { times in
            pool.parallelFor(threads) { t in
                // 64-byte aligned, as GEMM's packed panels are; small values keep the sums finite and normal.
                func panel(_ count: Int) -> UnsafeMutablePointer<Float> {
                    UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64).bindMemory(to: Float.self, capacity: count)
                }
                let a = panel(kc * rows), b = panel(kc * cols), c = panel(rows * cols)
                defer { a.deallocate(); b.deallocate(); c.deallocate() }
                for i in 0..<(kc * rows) { a[i] = Float(i % 7) * 1e-3 }
                for i in 0..<(kc * cols) { b[i] = Float(i % 5) * 1e-3 }
                c.initialize(repeating: 0, count: rows * cols)
                func batch() {
                    for _ in 0..<1000 {
                        avx512Kernel6x16(kc, a, rowStride: 1, depthStride: rows, b, c, cols, 1, 0, rows: rows, cols: cols)
                    }
                }
                batch()
                let start = now()
                var n = 0
                repeat {
                    batch()
                    n += 1000
                } while now() - start < seconds
                times[t] = (start, now())
                callCounts[t] = n
            }
        }
    }
    // All calls over the wall time from the first start to the last end: threads that did not
    // run at the same time do not add up to more than the machine did.
    let wall = spans.map(\.end).max()! - spans.map(\.start).min()!
    return Double(calls.reduce(0, +)) * 2 * Double(kc * rows * cols) / wall / 1e9
}
