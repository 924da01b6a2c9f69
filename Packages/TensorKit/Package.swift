// swift-tools-version:6.0
import PackageDescription

// Kernels are built for the processor that compiles them (AVX-512 and FMA where it has them);
// without a target CPU, swiftc emits SSE only and every fused multiply-add becomes a libm call.
let fast: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native"])]

let package = Package(
    name: "TensorKit",
    products: [
        .library(name: "TensorKit", targets: ["TensorKit"]),
        .executable(name: "tensorkit-bench", targets: ["TensorKitBenchmarks"]),
        .executable(name: "tensorkit-example", targets: ["TensorKitExample"]),
    ],
    targets: [
        .target(name: "TensorKit", swiftSettings: fast),
        .executableTarget(name: "TensorKitBenchmarks", dependencies: ["TensorKit"], swiftSettings: fast),
        .executableTarget(name: "TensorKitExample", dependencies: ["TensorKit"], swiftSettings: fast),
        .testTarget(name: "TensorKitTests", dependencies: ["TensorKit"], swiftSettings: fast),
    ],
    swiftLanguageModes: [.v5]
)
