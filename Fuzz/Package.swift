// swift-tools-version: 6.2
//
// libFuzzer harnesses for wardwatch's parsers and rule loader. Not part of the main build: built with
// the fuzzer and address sanitizers by `Fuzz/run.sh`, which also makes the seed corpora.

import PackageDescription

let package = Package(
    name: "wardwatch-fuzz",
    dependencies: [.package(name: "wardwatch", path: "..")],
    targets: [
        // Every line format the parser detects: syslog (RFC 3164/5424), each firewall vendor, JSON and
        // Windows events, HL7 v2 (ER7 and XML), IHE ATNA, FHIR AuditEvent — then the bundled rules.
        .executableTarget(name: "FuzzParse", dependencies: [
            .product(name: "WardCore", package: "wardwatch"), .product(name: "WardParse", package: "wardwatch"),
            .product(name: "WardRules", package: "wardwatch"), .product(name: "WardDetect", package: "wardwatch"),
        ]),
        // The rule loader (YAML, detections, modifiers, conditions, correlations, filters).
        .executableTarget(name: "FuzzRules", dependencies: [
            .product(name: "WardRules", package: "wardwatch"),
        ]),
        // Site format definitions (YAML, grok, time layouts, `then` chains), then parsing with them.
        .executableTarget(name: "FuzzFormats", dependencies: [
            .product(name: "WardCore", package: "wardwatch"), .product(name: "WardParse", package: "wardwatch"),
        ]),
        // The condition grammar alone, inside a rule with searches a–d.
        .executableTarget(name: "FuzzCondition", dependencies: [
            .product(name: "WardRules", package: "wardwatch"),
        ]),
    ]
)
