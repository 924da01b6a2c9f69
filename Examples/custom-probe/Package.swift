// swift-tools-version:6.0
import PackageDescription

// A third party's package: one probe and one halting policy of its own, added to loop's registry,
// and its own `loop` built with them. It uses loop's packages only through their public API.
let package = Package(
    name: "custom-probe",
    products: [
        .library(name: "CustomProbe", targets: ["CustomProbe"]),
        .executable(name: "custom-loop", targets: ["custom-loop"]),
    ],
    dependencies: [
        .package(path: "../../Apps/loop"),
        .package(path: "../../Packages/RecurrentDepth"),
        .package(path: "../../Packages/Halting"),
        .package(path: "../../Packages/Analysis"),
    ],
    targets: [
        .target(name: "CustomProbe", dependencies: [
            .product(name: "LoopCLI", package: "loop"), "RecurrentDepth", "Halting", "Analysis",
        ]),
        .executableTarget(name: "custom-loop", dependencies: ["CustomProbe", .product(name: "LoopCLI", package: "loop")]),
        .testTarget(name: "CustomProbeTests", dependencies: ["CustomProbe", .product(name: "LoopCLI", package: "loop")]),
    ],
    swiftLanguageModes: [.v5]
)
