// swift-tools-version: 6.2
//
// Benchmarks live in their own package (as swift-nio's do), so that `swift build` and `swift test` at
// the root never build ordo-one/benchmark and its dependencies. Run: `swift package benchmark`.

import PackageDescription

/// A path dependency is identified by its folder's name, which is wherever the repository was cloned.
let root = Context.packageDirectory.split(separator: "/").dropLast().last.map(String.init) ?? "wardwatch"

let package = Package(
    name: "wardwatch-benchmarks",
    dependencies: [
        .package(path: "../"),
        // Only the MallocInterposer trait: the default RuntimeInterposer pulls a package that this
        // machine's mirror lacks (PERF-NOTES.md §8).
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // zlib driven from C: the "zlib's own inflate rate" baseline, and deflate to make the corpus.
        .target(name: "CZlibBaseline", path: "Sources/CZlibBaseline", linkerSettings: [.linkedLibrary("z")]),
        .executableTarget(
            name: "IngestBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "WardCore", package: root),
                .product(name: "WardIngest", package: root),
                .product(name: "WardParse", package: root),
                .product(name: "WardRules", package: root),
                .product(name: "WardDetect", package: root),
                "CZlibBaseline",
            ],
            path: "Benchmarks/IngestBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
