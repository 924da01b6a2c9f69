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
    name: "Halting",
    products: [
        .library(name: "Halting", targets: ["Halting"]),
        .executable(name: "halting-bench", targets: ["HaltingBenchmarks"]),
    ],
    dependencies: [
        .package(path: "../RecurrentDepth"),
        .package(path: "../TensorKit"),
        .package(path: "../KnowledgeGraph"),
    ],
    targets: [
        .target(name: "Halting", dependencies: ["RecurrentDepth", "TensorKit", "KnowledgeGraph"], swiftSettings: fast),
        .executableTarget(name: "HaltingBenchmarks", dependencies: ["Halting", "RecurrentDepth", "TensorKit", "KnowledgeGraph"], swiftSettings: fast),
        .testTarget(name: "HaltingTests", dependencies: ["Halting", "RecurrentDepth", "TensorKit", "KnowledgeGraph",
                                                      .product(name: "FixtureSupport", package: "TensorKit"),
                                                      .product(name: "ModelFixtureSupport", package: "RecurrentDepth")], swiftSettings: fast),
    ],
    swiftLanguageModes: [.v5]
)
