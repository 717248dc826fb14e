// swift-tools-version:6.0
// Matryoshka: make any embedding model's vectors shrinkable (Matryoshka-Adaptor, SMEC) in Swift.
import PackageDescription

// Release builds target AVX2 + FMA on x86-64 (see ../shared/docs/STACK.md: on generic x86-64,
// `SIMD.addProduct` becomes a library call and runs 20x slower). `haswell` runs on every current
// x86-64 server; `native` could emit AVX-512 and crash elsewhere. Other architectures keep the default.
#if arch(x86_64)
let optimisation: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "haswell"], .when(configuration: .release)),
]
let cOptimisation: [CSetting] = [.unsafeFlags(["-O3", "-march=haswell"])]
#else
let optimisation: [SwiftSetting] = []
let cOptimisation: [CSetting] = [.unsafeFlags(["-O3"])]
#endif

let package = Package(
    name: "Matryoshka",
    products: [
        .executable(name: "matryoshka", targets: ["matryoshka"]),
        .executable(name: "matryoshka-bench", targets: ["MatryoshkaBenchmarks"]),
        .library(name: "EmbeddingMath", targets: ["EmbeddingMath"]),
        .library(name: "EmbeddingIO", targets: ["EmbeddingIO"]),
        .library(name: "VectorSearch", targets: ["VectorSearch"]),
        .library(name: "RetrievalEvaluation", targets: ["RetrievalEvaluation"]),
        .library(name: "AdaptorNN", targets: ["AdaptorNN"]),
        .library(name: "AdaptorTraining", targets: ["AdaptorTraining"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // OpenBLAS (CBLAS + the LAPACK routines Debian's build carries), found through pkg-config.
        .systemLibrary(
            name: "_COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Loops Swift's generic SIMD types compile badly (compare-and-reduce), in plain C.
        .target(name: "_CKernels", cSettings: cOptimisation),
        .target(name: "EmbeddingMath", dependencies: ["_COpenBLAS", "_CKernels"], swiftSettings: optimisation),
        .target(name: "EmbeddingIO", dependencies: ["EmbeddingMath", "_CKernels"], swiftSettings: optimisation),
        .target(name: "VectorSearch", dependencies: ["EmbeddingMath"], swiftSettings: optimisation),
        .target(name: "AdaptorNN", dependencies: ["EmbeddingMath", "EmbeddingIO"], swiftSettings: optimisation),
        .target(name: "AdaptorOptimizers", dependencies: ["EmbeddingMath"], swiftSettings: optimisation),
        .target(
            name: "AdaptorTraining",
            dependencies: [
                "EmbeddingMath", "EmbeddingIO", "VectorSearch", "RetrievalEvaluation", "AdaptorNN", "AdaptorOptimizers",
            ],
            swiftSettings: optimisation
        ),
        .target(
            name: "RetrievalEvaluation",
            dependencies: ["EmbeddingMath", "EmbeddingIO", "VectorSearch"],
            swiftSettings: optimisation
        ),
        .target(
            name: "AdaptorCommands",
            dependencies: [
                "EmbeddingMath", "EmbeddingIO", "VectorSearch", "RetrievalEvaluation",
                "AdaptorNN", "AdaptorTraining",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimisation
        ),
        .executableTarget(name: "matryoshka", dependencies: ["AdaptorCommands"], swiftSettings: optimisation),
        .executableTarget(
            name: "MatryoshkaBenchmarks",
            dependencies: [
                "EmbeddingMath", "EmbeddingIO", "VectorSearch", "AdaptorNN", "AdaptorTraining",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimisation
        ),

        // Helpers shared by the test targets (temporary folders, hand-made files); not a product.
        .target(name: "_TestSupport", dependencies: ["EmbeddingMath", "EmbeddingIO", "AdaptorNN"]),
        .testTarget(name: "EmbeddingMathTests", dependencies: ["EmbeddingMath", "_TestSupport"]),
        .testTarget(name: "EmbeddingIOTests", dependencies: ["EmbeddingIO", "_TestSupport"]),
        .testTarget(name: "VectorSearchTests", dependencies: ["VectorSearch", "_TestSupport"]),
        .testTarget(name: "RetrievalEvaluationTests", dependencies: ["RetrievalEvaluation", "_TestSupport"]),
        .testTarget(name: "AdaptorNNTests", dependencies: ["AdaptorNN", "_TestSupport"]),
        .testTarget(name: "AdaptorOptimizersTests", dependencies: ["AdaptorOptimizers", "_TestSupport"]),
        .testTarget(name: "AdaptorTrainingTests", dependencies: ["AdaptorTraining", "_TestSupport"]),
        .testTarget(name: "AdaptorCommandsTests", dependencies: ["AdaptorCommands", "_TestSupport"]),
    ]
)
