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
        .library(name: "WardCore", targets: ["WardCore"]),
        .library(name: "WardIngest", targets: ["WardIngest"]),
        .library(name: "WardParse", targets: ["WardParse"]),
        .library(name: "WardOutput", targets: ["WardOutput"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C shims: module maps only, no logic.
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(name: "CWardShims", path: "Sources/CWardShims"),

        // Pipeline stages, left to right.
        .target(name: "WardCore", dependencies: ["CWardShims"], swiftSettings: swiftSettings),
        .target(name: "WardIngest", dependencies: ["WardCore", "CZlib", "CWardShims"], swiftSettings: swiftSettings),
        .target(name: "WardParse", dependencies: ["WardCore"], swiftSettings: swiftSettings),
        .target(name: "WardOutput", dependencies: ["WardCore"], swiftSettings: swiftSettings),

        .executableTarget(
            name: "wardwatch",
            dependencies: [
                "WardCore", "WardIngest", "WardParse", "WardOutput",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
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
        .testTarget(name: "WardOutputTests", dependencies: ["WardOutput", "WardParse", "WardCore", "WardTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "EndToEndTests", dependencies: ["wardwatch", "WardTestSupport"], swiftSettings: swiftSettings),
    ]
)
