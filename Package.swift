// swift-tools-version:6.0
import PackageDescription

// The workspace's own integration tests (Tests/): the packages together against the PyTorch
// fixtures in Fixtures/, and the `loop` command end to end. Each package under Packages/ has its
// own manifest and suite.
let package = Package(
    name: "loop-workspace",
    dependencies: [
        .package(path: "Packages/TensorKit"),
        .package(path: "Apps/loop"),
    ],
    targets: [
        .testTarget(name: "WorkspaceTests", dependencies: [
            .product(name: "TensorKit", package: "TensorKit"),
            .product(name: "LoopCLI", package: "loop"),
        ], path: "Tests/WorkspaceTests"),
    ],
    swiftLanguageModes: [.v5]
)
