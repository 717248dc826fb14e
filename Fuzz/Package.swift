// swift-tools-version:6.0
// libFuzzer targets for every parser that reads outside input. Built and run by ../scripts/fuzz, which compiles
// this package and the library code it fuzzes with `-sanitize=fuzzer,address` (coverage-guided, AddressSanitizer).
import PackageDescription

let package = Package(
    name: "MatryoshkaFuzz",
    dependencies: [.package(name: "Matryoshka", path: "..")],
    targets: [
        .executableTarget(
            name: "matryoshka-fuzz",
            dependencies: [
                .product(name: "EmbeddingMath", package: "Matryoshka"),
                .product(name: "EmbeddingIO", package: "Matryoshka"),
                .product(name: "AdaptorNN", package: "Matryoshka"),
                .product(name: "EmbeddingServer", package: "Matryoshka"),
            ]
        ),
    ]
)
