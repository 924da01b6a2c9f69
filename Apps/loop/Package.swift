// swift-tools-version:6.1
import PackageDescription

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
    name: "loop",
    products: [
        // The command tree with its registry, for third parties who build their own `loop`.
        .library(name: "LoopCLI", targets: ["LoopCLI"]),
        .executable(name: "loop", targets: ["loop"]),
    ],
    // `swift build --traits MPI`: data-parallel `mpirun -np N loop train …` over Open MPI
    // (libopenmpi-dev); the default build needs no MPI.
    traits: [
        .trait(name: "MPI", description: "Data-parallel training over MPI (needs Open MPI's development files, pkg-config ompi-c)."),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(path: "../../Packages/TensorKit"),
        .package(path: "../../Packages/KnowledgeGraph"),
        .package(path: "../../Packages/RecurrentDepth"),
        .package(path: "../../Packages/Halting"),
        .package(path: "../../Packages/Analysis"),
    ],
    targets: [
        .target(name: "LoopCLI", dependencies: [
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams"),
            "TensorKit", "KnowledgeGraph", "RecurrentDepth", "Halting", "Analysis",
            .target(name: "CMPI", condition: .when(traits: ["MPI"])),
        ], swiftSettings: fast),
        // mpi.h and libmpi, found through Open MPI's pkg-config file; built only with the MPI trait.
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .executableTarget(name: "loop", dependencies: ["LoopCLI"], swiftSettings: fast),
        .testTarget(name: "LoopCLITests", dependencies: ["LoopCLI", "RecurrentDepth", "Halting"], swiftSettings: fast),
    ],
    swiftLanguageModes: [.v5]
)
