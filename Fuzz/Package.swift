// swift-tools-version:6.0
// libFuzzer targets for every parser that reads outside input. Built and run by ../scripts/fuzz, which compiles
// this package and the library code it fuzzes with AddressSanitizer and libFuzzer's coverage instrumentation.
//
// Two executables, so that each carries only the code it fuzzes: libFuzzer scans every instrumented edge's
// counter after each input, and the server's dependencies (NIO, Hummingbird, PostgresNIO) hold most of them.
// `matryoshka-fuzz` covers the file formats, `matryoshka-fuzz-request` the server's request bodies.
import PackageDescription

let package = Package(
    name: "MatryoshkaFuzz",
    dependencies: [.package(name: "Matryoshka", path: "..")],
    targets: [
        .target(name: "FuzzDriver"),
        .executableTarget(
            name: "matryoshka-fuzz",
            dependencies: [
                "FuzzDriver",
                .product(name: "EmbeddingMath", package: "Matryoshka"),
                .product(name: "EmbeddingIO", package: "Matryoshka"),
                .product(name: "AdaptorNN", package: "Matryoshka"),
            ]
        ),
        .executableTarget(
            name: "matryoshka-fuzz-request",
            dependencies: ["FuzzDriver", .product(name: "AdaptorServer", package: "Matryoshka")]
        ),
    ]
)
