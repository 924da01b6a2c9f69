// swift-tools-version:6.0
import PackageDescription

// libFuzzer harnesses for loop's readers of untrusted bytes. Each harness is an executable whose
// `LLVMFuzzerTestOneInput` hands one input to one reader; libFuzzer supplies `main`. Build and run
// them with `Scripts/fuzz`, which compiles everything here and in the packages with
// `-sanitize=fuzzer,address` (coverage for the fuzzer; memory errors and leaks caught) and
// `-enable-testing` (harnesses reach the readers' byte-level entry points with @testable import).
let package = Package(
    name: "loop-fuzz",
    dependencies: [
        .package(path: "../Packages/TensorKit"),
        .package(path: "../Packages/KnowledgeGraph"),
        .package(path: "../Packages/RecurrentDepth"),
        .package(path: "../Packages/Halting"),
        .package(path: "../Apps/loop"),
    ],
    targets: [
        .executableTarget(name: "fuzz-safetensors", dependencies: [.product(name: "TensorKit", package: "TensorKit")],
                          path: "Harnesses/SafeTensors"),
        .executableTarget(name: "fuzz-reference-json", dependencies: [.product(name: "KnowledgeGraph", package: "KnowledgeGraph")],
                          path: "Harnesses/ReferenceJSON"),
        .executableTarget(name: "fuzz-vocabulary", dependencies: [.product(name: "KnowledgeGraph", package: "KnowledgeGraph")],
                          path: "Harnesses/Vocabulary"),
        .executableTarget(name: "fuzz-dataset-manifest", dependencies: [.product(name: "KnowledgeGraph", package: "KnowledgeGraph")],
                          path: "Harnesses/DatasetManifest"),
        .executableTarget(name: "fuzz-run-config", dependencies: [.product(name: "LoopCLI", package: "loop")],
                          path: "Harnesses/RunConfig"),
        .executableTarget(name: "fuzz-component-specification", dependencies: [
            .product(name: "RecurrentDepth", package: "RecurrentDepth"), .product(name: "Halting", package: "Halting"),
        ], path: "Harnesses/ComponentSpecification"),
    ],
    swiftLanguageModes: [.v5]
)
