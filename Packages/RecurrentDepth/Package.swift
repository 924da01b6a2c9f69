// swift-tools-version:6.0
import PackageDescription

// Built for the processor that compiles it, like TensorKit (see its manifest).
let fast: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native"])]

let package = Package(
    name: "RecurrentDepth",
    products: [
        .library(name: "RecurrentDepth", targets: ["RecurrentDepth"]),
        .executable(name: "recurrentdepth-bench", targets: ["RecurrentDepthBenchmarks"]),
    ],
    dependencies: [
        .package(path: "../TensorKit"),
        .package(path: "../KnowledgeGraph"),
    ],
    targets: [
        .target(name: "RecurrentDepth", dependencies: ["TensorKit", "KnowledgeGraph"], swiftSettings: fast),
        .executableTarget(name: "RecurrentDepthBenchmarks", dependencies: ["RecurrentDepth", "TensorKit"], swiftSettings: fast),
        .testTarget(name: "RecurrentDepthTests", dependencies: ["RecurrentDepth"], swiftSettings: fast),
    ],
    swiftLanguageModes: [.v5]
)
