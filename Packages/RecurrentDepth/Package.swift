// swift-tools-version:6.0
import PackageDescription

// Built for the processor that compiles it, like TensorKit (see its manifest).
// x86-64 builds target AVX2 + FMA (Haswell's set), so the binary runs on any x86-64 of the last
// decade, with or without AVX-512; TensorKit picks its AVX-512 GEMM kernel at run time where the
// processor has it. LOOP_TARGET_CPU=native (or any CPU name) builds for that processor instead.
#if arch(x86_64)
let targetCPU = Context.environment["LOOP_TARGET_CPU"] ?? "haswell"
#else
let targetCPU = Context.environment["LOOP_TARGET_CPU"] ?? "native"
#endif
let fast: [SwiftSetting] = [.unsafeFlags(["-target-cpu", targetCPU])]

let package = Package(
    name: "RecurrentDepth",
    products: [
        .library(name: "RecurrentDepth", targets: ["RecurrentDepth"]),
        // For test suites: a fixture case's batch as a `ModelInput` (on TensorKit's FixtureSupport).
        .library(name: "ModelFixtureSupport", targets: ["ModelFixtureSupport"]),
        .executable(name: "recurrentdepth-bench", targets: ["RecurrentDepthBenchmarks"]),
    ],
    dependencies: [
        .package(path: "../TensorKit"),
        .package(path: "../KnowledgeGraph"),
    ],
    targets: [
        .target(name: "RecurrentDepth", dependencies: ["TensorKit", "KnowledgeGraph"], swiftSettings: fast),
        .target(name: "ModelFixtureSupport", dependencies: ["RecurrentDepth", "TensorKit", .product(name: "FixtureSupport", package: "TensorKit")],
                swiftSettings: fast),
        .executableTarget(name: "RecurrentDepthBenchmarks", dependencies: ["RecurrentDepth", "TensorKit", "KnowledgeGraph"], swiftSettings: fast),
        .testTarget(name: "RecurrentDepthTests", dependencies: ["RecurrentDepth", "ModelFixtureSupport", .product(name: "FixtureSupport", package: "TensorKit")], swiftSettings: fast),
    ],
    swiftLanguageModes: [.v5]
)
