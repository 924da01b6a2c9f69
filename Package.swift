// swift-tools-version:6.0
import PackageDescription

// The workspace's own integration tests (Tests/): they exercise the packages together against
// the PyTorch fixtures in Fixtures/. Each package under Packages/ has its own manifest and suite.
let package = Package(
    name: "loop-workspace",
    dependencies: [
        .package(path: "Packages/TensorKit"),
    ],
    targets: [
        .testTarget(name: "WorkspaceTests", dependencies: [.product(name: "TensorKit", package: "TensorKit")],
                    path: "Tests/WorkspaceTests"),
    ],
    swiftLanguageModes: [.v5]
)
