// swift-tools-version:6.0
import PackageDescription

// Without a target CPU, swiftc emits SSE only and every fused multiply-add becomes a libm call.
// x86-64 builds target AVX2 + FMA (Haswell's set), so the binary runs on any x86-64 of the last
// decade, with or without AVX-512; TensorKit picks its AVX-512 GEMM kernel at run time where the
// processor has it. LOOP_TARGET_CPU=native (or any CPU name) builds for that processor instead.
#if arch(x86_64)
let targetCPU = Context.environment["LOOP_TARGET_CPU"] ?? "haswell"
#else
let targetCPU = Context.environment["LOOP_TARGET_CPU"] ?? "native"
#endif
let fast: [SwiftSetting] = [.unsafeFlags(["-target-cpu", targetCPU])]
// The AVX-512 GEMM kernel: only called after a run-time check (CPUFeatures), so compiling it for
// Skylake-AVX512 does not make the rest of the binary need AVX-512.
#if arch(x86_64)
let avx512: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "skylake-avx512"])]
#else
let avx512: [SwiftSetting] = []
#endif

let package = Package(
    name: "TensorKit",
    products: [
        .library(name: "TensorKit", targets: ["TensorKit"]),
        // For test suites: the PyTorch fixtures, closeness assertions, temporary folders.
        .library(name: "FixtureSupport", targets: ["FixtureSupport"]),
        .executable(name: "tensorkit-bench", targets: ["TensorKitBenchmarks"]),
        .executable(name: "tensorkit-example", targets: ["TensorKitExample"]),
    ],
    targets: [
        .target(name: "TensorKit", dependencies: ["TensorKitAVX512", "TensorKitVectorMath"], swiftSettings: fast),
        .target(name: "TensorKitAVX512", dependencies: ["TensorKitVectorMath"], swiftSettings: avx512),
        // exp and GELU written once for any lane count, all inlined: each client compiles them for its own target.
        .target(name: "TensorKitVectorMath", swiftSettings: fast),
        .target(name: "FixtureSupport", dependencies: ["TensorKit"], swiftSettings: fast),
        .executableTarget(name: "TensorKitBenchmarks", dependencies: ["TensorKit", "TensorKitAVX512"], swiftSettings: fast),
        .executableTarget(name: "TensorKitExample", dependencies: ["TensorKit"], swiftSettings: fast),
        .testTarget(name: "TensorKitTests", dependencies: ["TensorKit", "FixtureSupport"], swiftSettings: fast),
    ],
    swiftLanguageModes: [.v5]
)
