// swift-tools-version:6.0
import PackageDescription

// Built for the processor that compiles it, like TensorKit (see its manifest).
let fast: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native"])]

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
        .testTarget(name: "HaltingTests", dependencies: ["Halting", "RecurrentDepth", "TensorKit", "KnowledgeGraph"], swiftSettings: fast),
    ],
    swiftLanguageModes: [.v5]
)
