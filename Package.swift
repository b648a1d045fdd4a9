// swift-tools-version: 6.2
//
// wardwatch — a log analysis pipeline for hospital Security Operations Centers.
// One library target per pipeline stage (see ../shared/DESIGN.md); the executable only wires them.

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "wardwatch",
    products: [
        .executable(name: "wardwatch", targets: ["wardwatch"]),
        .executable(name: "wardwatch-listen", targets: ["wardwatch-listen"]),
        .executable(name: "wardwatch-forward", targets: ["wardwatch-forward"]),
        .library(name: "WardCore", targets: ["WardCore"]),
        .library(name: "WardIngest", targets: ["WardIngest"]),
        .library(name: "WardParse", targets: ["WardParse"]),
        .library(name: "WardOutput", targets: ["WardOutput"]),
        .library(name: "WardRegex", targets: ["WardRegex"]),
        .library(name: "WardRules", targets: ["WardRules"]),
        .library(name: "WardDetect", targets: ["WardDetect"]),
        .library(name: "WardPipeline", targets: ["WardPipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // HMAC-SHA256 for patient pseudonyms (issue 6).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // The syslog listener only (wardwatch-listen): scan and tail do not link a network stack.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // C shims: module maps only, no logic.
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(name: "CWardShims", path: "Sources/CWardShims"),
        .systemLibrary(
            name: "CPCRE2",
            path: "Sources/CPCRE2",
            pkgConfig: "libpcre2-8",
            providers: [.apt(["libpcre2-dev"])]
        ),

        // Pipeline stages, left to right.
        .target(name: "WardCore", dependencies: ["CWardShims"], swiftSettings: swiftSettings),
        .target(name: "WardIngest", dependencies: ["WardCore", "CZlib", "CWardShims"], swiftSettings: swiftSettings),
        .target(name: "WardParse", dependencies: ["WardCore", "WardRegex", .product(name: "Crypto", package: "swift-crypto"),
                                                .product(name: "Yams", package: "Yams")],
                swiftSettings: swiftSettings),
        .target(name: "WardDetect", dependencies: ["WardCore", "WardRules", "WardRegex"],
                swiftSettings: swiftSettings),
        .target(name: "WardOutput", dependencies: ["WardCore", "WardDetect", "WardRules"], swiftSettings: swiftSettings),
        .target(name: "WardRegex", dependencies: ["CPCRE2"], swiftSettings: swiftSettings),
        .target(name: "WardRules", dependencies: ["WardCore", "WardRegex", .product(name: "Yams", package: "Yams")],
                swiftSettings: swiftSettings),

        // The runtime: sources → ordered parallel window → merge → stages → writer → commit.
        .target(name: "WardPipeline",
                dependencies: ["WardCore", "WardIngest", "WardParse", "WardDetect", "WardRegex", "WardRules", "WardOutput"],
                swiftSettings: swiftSettings),

        // What the commands share: options, rule loading, diagnostics, exit codes.
        .target(
            name: "WardCLI",
            dependencies: [
                "WardCore", "WardIngest", "WardParse", "WardOutput", "WardRules", "WardDetect", "WardPipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "wardwatch",
            dependencies: [
                "WardCLI", "WardCore", "WardIngest", "WardParse", "WardOutput", "WardRules", "WardDetect", "WardPipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // The network listener, in targets of its own (see above).
        .target(
            name: "WardListen",
            dependencies: [
                "WardCore", "WardIngest",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "wardwatch-listen",
            dependencies: [
                "WardCLI", "WardListen", "WardCore", "WardIngest", "WardParse", "WardOutput", "WardRules", "WardDetect", "WardPipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // Remote outputs (syslog and HTTP receivers): a helper process that scan, tail and listen start,
        // so that they do not link the network stack themselves.
        .target(
            name: "WardForward",
            dependencies: [
                "WardCore", "WardOutput",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "wardwatch-forward",
            dependencies: ["WardCLI", "WardForward", "WardOutput", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),

        // Test helpers: locating ../shared, gzip-compressing fixtures, reading events back.
        .target(name: "WardTestSupport", dependencies: ["WardCore", "CZlib"], path: "Tests/WardTestSupport",
                swiftSettings: swiftSettings),
        .testTarget(name: "WardCoreTests", dependencies: ["WardCore", "WardTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "WardIngestTests", dependencies: ["WardIngest", "WardCore", "WardTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "WardParseTests", dependencies: ["WardParse", "WardCore", "WardTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "WardOutputTests", dependencies: ["WardOutput", "WardParse", "WardRules", "WardCore", "WardTestSupport"],
                    swiftSettings: swiftSettings),
        // Fixtures and golden files are read from the source tree (Paths.root), not bundled.
        .testTarget(name: "WardRulesTests", dependencies: ["WardRules", "WardRegex", "WardCore", "WardTestSupport"],
                    exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "WardDetectTests", dependencies: ["WardDetect", "WardRules", "WardParse", "WardCore", "WardTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "WardPipelineTests",
                    dependencies: ["WardPipeline", "WardIngest", "WardParse", "WardDetect", "WardRules", "WardOutput", "WardCore",
                                   "WardTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "EndToEndTests", dependencies: ["wardwatch", "wardwatch-listen", "wardwatch-forward", "WardTestSupport"],
                    exclude: ["Expected", "Fixtures"], swiftSettings: swiftSettings),
    ]
)
