// swift-tools-version: 6.2
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6), .treatAllWarnings(as: .error)]
/// The shipped code also checks that each file imports what it uses, so no file leans on another
/// file's `import Foundation` (the binary links FoundationEssentials only).
let shipped = strict + [.enableUpcomingFeature("MemberImportVisibility")]

let package = Package(
    name: "Expvastic",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "expvasyml", targets: ["expvasyml"]),
        .library(name: "Expvastic", targets: ["Expvastic"]),
    ],
    targets: [
        .systemLibrary(
            name: "CYaml",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // CRC-32C with the CPU's instruction (a C function can enable SSE 4.2 for itself; Swift cannot).
        .target(name: "CCRC32C"),
        .target(name: "Expvastic", dependencies: ["CYaml", "CZlib", "CCRC32C"], swiftSettings: shipped),
        .executableTarget(name: "expvasyml", dependencies: ["Expvastic"], swiftSettings: shipped),
        .target(name: "AllocationCounter", path: "Benchmarks/AllocationCounter"),
        .executableTarget(
            name: "ExpvasticBenchmarks",
            dependencies: ["Expvastic", "AllocationCounter"],
            path: "Benchmarks/ExpvasticBenchmarks",
            swiftSettings: strict
        ),
        .target(
            name: "ExpvasticTestSupport",
            dependencies: ["Expvastic"],
            path: "Tests/ExpvasticTestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "ExpvasticTests",
            dependencies: ["Expvastic", "ExpvasticTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ExpvasticIntegrationTests",
            dependencies: ["Expvastic", "ExpvasticTestSupport"],
            swiftSettings: strict
        ),
    ]
)
