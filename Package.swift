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
        // The command-line tool: fit, apply, evaluate, search, report. It runs `serve` and `load` (and `search
        // --postgres`) from matryoshka-services, git-style, so that a first build compiles no HTTP or database stack.
        .executable(name: "matryoshka", targets: ["matryoshka"]),
        .executable(name: "matryoshka-services", targets: ["matryoshka-services"]),
        .executable(name: "matryoshka-bench", targets: ["MatryoshkaBenchmarks"]),
        // `import Matryoshka`: the library API (fit, the embedding pipeline, index and search, evaluation, models).
        .library(name: "Matryoshka", targets: ["Matryoshka"]),
        .library(name: "EmbeddingMath", targets: ["EmbeddingMath"]),
        .library(name: "EmbeddingIO", targets: ["EmbeddingIO"]),
        .library(name: "VectorSearch", targets: ["VectorSearch"]),
        .library(name: "RetrievalEvaluation", targets: ["RetrievalEvaluation"]),
        .library(name: "AdaptorNN", targets: ["AdaptorNN"]),
        .library(name: "AdaptorOptimizers", targets: ["AdaptorOptimizers"]),
        .library(name: "AdaptorTraining", targets: ["AdaptorTraining"]),
        .library(name: "AdaptorServer", targets: ["AdaptorServer"]),
        .library(name: "VectorDatabase", targets: ["VectorDatabase"]),
        // The C ABI (`mtr_*`, Sources/MatryoshkaC/matryoshka.h) as a shared library: what the Python package loads.
        // `scripts/build-python-library` builds it with the Swift runtime linked in (--static-swift-stdlib).
        .library(name: "MatryoshkaC", type: .dynamic, targets: ["MatryoshkaC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // `swift package generate-documentation` (the DocC catalog in Sources/Matryoshka); never built otherwise.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
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
        // The library users import: re-exports the targets above and adds what spans them (methods by name,
        // evaluation and search of a data set, the comparison report).
        .target(
            name: "Matryoshka",
            dependencies: ["EmbeddingMath", "EmbeddingIO", "VectorSearch", "RetrievalEvaluation", "AdaptorNN", "AdaptorTraining"],
            swiftSettings: optimisation
        ),
        // The C ABI over `Matryoshka`: opaque handles, status codes and the library's messages; nothing above it.
        .target(name: "MatryoshkaC", dependencies: ["Matryoshka"], exclude: ["matryoshka.h"], swiftSettings: optimisation),
        // PostgreSQL + pgvector: binary COPY of embeddings, table layouts, search in the database (PostgresNIO).
        .target(
            name: "VectorDatabase",
            dependencies: [
                "EmbeddingMath",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: optimisation
        ),
        // The HTTP service (the only target that imports the web framework): OpenAI-compatible embeddings with
        // `dimensions`, vectors in and out, search in memory or in PostgreSQL.
        .target(
            name: "AdaptorServer",
            dependencies: [
                "Matryoshka", "VectorDatabase",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: optimisation
        ),
        // The command tree of `matryoshka`, as a library so that it can be tested.
        .target(
            name: "AdaptorCommands",
            dependencies: ["Matryoshka", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: optimisation
        ),
        // `serve`, `load` and `search --postgres`: the commands of matryoshka-services.
        .target(
            name: "ServiceCommands",
            dependencies: [
                "Matryoshka", "AdaptorCommands", "AdaptorServer", "VectorDatabase",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimisation
        ),
        .executableTarget(name: "matryoshka", dependencies: ["AdaptorCommands"], swiftSettings: optimisation),
        .executableTarget(name: "matryoshka-services", dependencies: ["ServiceCommands"], swiftSettings: optimisation),
        .executableTarget(
            name: "MatryoshkaBenchmarks",
            dependencies: [
                "Matryoshka", "AdaptorServer", "AdaptorCommands",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimisation
        ),

        // Helpers shared by the test targets (temporary folders, hand-made files); not a product.
        .target(name: "_TestSupport", dependencies: ["EmbeddingMath", "EmbeddingIO", "AdaptorNN"]),
        .testTarget(name: "EmbeddingMathTests", dependencies: ["EmbeddingMath", "_TestSupport"]),
        .testTarget(name: "EmbeddingIOTests", dependencies: ["EmbeddingIO", "EmbeddingMath", "_TestSupport"]),
        .testTarget(name: "VectorSearchTests", dependencies: ["VectorSearch", "EmbeddingMath", "_TestSupport"]),
        .testTarget(
            name: "RetrievalEvaluationTests",
            dependencies: ["RetrievalEvaluation", "EmbeddingMath", "EmbeddingIO", "VectorSearch", "_TestSupport"]
        ),
        .testTarget(name: "AdaptorNNTests", dependencies: ["AdaptorNN", "EmbeddingMath", "EmbeddingIO", "_TestSupport"]),
        .testTarget(name: "AdaptorOptimizersTests", dependencies: ["AdaptorOptimizers", "EmbeddingMath", "_TestSupport"]),
        .testTarget(
            name: "AdaptorTrainingTests",
            dependencies: [
                "AdaptorTraining", "AdaptorNN", "EmbeddingMath", "EmbeddingIO", "RetrievalEvaluation", "_TestSupport",
            ]
        ),
        .testTarget(name: "MatryoshkaTests", dependencies: ["Matryoshka", "_TestSupport"]),
        .testTarget(
            name: "AdaptorCommandsTests",
            dependencies: [
                "AdaptorCommands", "Matryoshka", "_TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "ServiceCommandsTests",
            dependencies: [
                "ServiceCommands", "AdaptorCommands", "Matryoshka", "VectorDatabase", "_TestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "VectorDatabaseTests",
            dependencies: [
                "VectorDatabase", "EmbeddingMath", "VectorSearch", "_TestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "AdaptorServerTests",
            dependencies: [
                "AdaptorServer", "Matryoshka", "VectorDatabase", "_TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
