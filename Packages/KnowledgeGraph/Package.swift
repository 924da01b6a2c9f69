// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "KnowledgeGraph",
    products: [
        .library(name: "KnowledgeGraph", targets: ["KnowledgeGraph"]),
        .executable(name: "knowledgegraph-bench", targets: ["KnowledgeGraphBenchmarks"]),
    ],
    targets: [
        .target(name: "KnowledgeGraph"),
        .executableTarget(name: "KnowledgeGraphBenchmarks", dependencies: ["KnowledgeGraph"]),
        .testTarget(name: "KnowledgeGraphTests", dependencies: ["KnowledgeGraph"]),
    ],
    swiftLanguageModes: [.v5]
)
