// swift-tools-version:6.0
import PackageDescription

// The workspace's test umbrella. `swift test -c release` here builds every package once and runs
// every package's unit suite (their Tests/ folders, compiled again as targets of this package) plus
// the workspace's own integration tests in Tests/WorkspaceTests: the `loop` command end to end.
// (Fixture parity lives with the model: RecurrentDepthSuite.) Each package also tests on its own
// (`swift test -c release --package-path Packages/NAME`).
// x86-64 builds target AVX2 + FMA (Haswell's set), so the binary runs on any x86-64 of the last
// decade, with or without AVX-512; TensorKit picks its AVX-512 GEMM kernel at run time where the
// processor has it. LOOP_TARGET_CPU=native (or any CPU name) builds for that processor instead.
#if arch(x86_64)
let targetCPU = Context.environment["LOOP_TARGET_CPU"] ?? "haswell"
#else
let targetCPU = Context.environment["LOOP_TARGET_CPU"] ?? "native"
#endif
let fast: [SwiftSetting] = [.unsafeFlags(["-target-cpu", targetCPU])]

let tensorKit = Target.Dependency.product(name: "TensorKit", package: "TensorKit")
let knowledgeGraph = Target.Dependency.product(name: "KnowledgeGraph", package: "KnowledgeGraph")
let recurrentDepth = Target.Dependency.product(name: "RecurrentDepth", package: "RecurrentDepth")
let halting = Target.Dependency.product(name: "Halting", package: "Halting")
let analysis = Target.Dependency.product(name: "Analysis", package: "Analysis")
let loopCLI = Target.Dependency.product(name: "LoopCLI", package: "loop-app")
// The suites' shared helpers: fixtures, closeness, temporary folders; a fixture's batch as a ModelInput.
let fixtureSupport = Target.Dependency.product(name: "FixtureSupport", package: "TensorKit")
let modelFixtureSupport = Target.Dependency.product(name: "ModelFixtureSupport", package: "RecurrentDepth")

let package = Package(
    name: "loop-workspace",
    dependencies: [
        .package(path: "Packages/TensorKit"),
        .package(path: "Packages/KnowledgeGraph"),
        .package(path: "Packages/RecurrentDepth"),
        .package(path: "Packages/Halting"),
        .package(path: "Packages/Analysis"),
        // SwiftPM names a package by its folder, so a clone in a folder named `loop` would hold two
        // packages named loop, itself and Apps/loop. Tests/loop-app links to Apps/loop under another name.
        .package(path: "Tests/loop-app"),
    ],
    targets: [
        .testTarget(name: "WorkspaceTests", dependencies: [loopCLI], path: "Tests/WorkspaceTests", swiftSettings: fast),
        .testTarget(name: "TensorKitSuite", dependencies: [tensorKit, fixtureSupport], path: "Packages/TensorKit/Tests/TensorKitTests", swiftSettings: fast),
        .testTarget(name: "KnowledgeGraphSuite", dependencies: [knowledgeGraph], path: "Packages/KnowledgeGraph/Tests/KnowledgeGraphTests"),
        .testTarget(name: "RecurrentDepthSuite", dependencies: [recurrentDepth, tensorKit, knowledgeGraph, fixtureSupport, modelFixtureSupport],
                    path: "Packages/RecurrentDepth/Tests/RecurrentDepthTests", swiftSettings: fast),
        .testTarget(name: "HaltingSuite", dependencies: [halting, recurrentDepth, tensorKit, knowledgeGraph, fixtureSupport, modelFixtureSupport],
                    path: "Packages/Halting/Tests/HaltingTests", swiftSettings: fast),
        .testTarget(name: "AnalysisSuite", dependencies: [analysis, recurrentDepth, tensorKit, knowledgeGraph, fixtureSupport, modelFixtureSupport],
                    path: "Packages/Analysis/Tests/AnalysisTests", swiftSettings: fast),
        .testTarget(name: "LoopCLISuite", dependencies: [loopCLI, recurrentDepth, halting], path: "Apps/loop/Tests/LoopCLITests", swiftSettings: fast),
    ],
    swiftLanguageModes: [.v5]
)
