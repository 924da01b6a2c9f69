// swift-tools-version:6.0
import PackageDescription

// Built for the processor that compiles it, like TensorKit (see its manifest).
let fast: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native"])]

let package = Package(
    name: "Analysis",
    products: [
        .library(name: "Analysis", targets: ["Analysis"]),
    ],
    dependencies: [
        .package(path: "../TensorKit"),
        .package(path: "../KnowledgeGraph"),
        .package(path: "../RecurrentDepth"),
    ],
    targets: [
        .target(name: "Analysis", dependencies: ["TensorKit", "KnowledgeGraph", "RecurrentDepth"], swiftSettings: fast),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "RecurrentDepth", "KnowledgeGraph", "TensorKit"], swiftSettings: fast),
    ],
    swiftLanguageModes: [.v5]
)
