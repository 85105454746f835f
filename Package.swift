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
        // fsync and fdatasync through Linux AIO, run by a kernel worker (Swift cannot call the variadic syscall(2)).
        .target(name: "CAsyncIO"),
        // The library in layers, bottom first; a layer imports only those below it, so the compiler
        // checks that no folder uses one above it (scripts/layering.py checks the folders within a layer).
        .target(
            name: "ExpvasticBase",
            path: "Sources/Expvastic",
            sources: ["System", "Time", "Hashing", "Logging", "Metrics"],
            swiftSettings: shipped
        ),
        .target(
            name: "ExpvasticCodecs",
            dependencies: ["ExpvasticBase", "CZlib"],
            path: "Sources/Expvastic",
            sources: ["JSON", "HTTP", "HTTPClient", "HTTPServer", "DNS", "Prometheus", "Etcd", "Document"],
            swiftSettings: shipped
        ),
        .target(
            name: "ExpvasticConfig",
            dependencies: ["ExpvasticCodecs", "CYaml"],
            path: "Sources/Expvastic",
            sources: ["Config"],
            swiftSettings: shipped
        ),
        .target(
            name: "ExpvasticPipeline",
            dependencies: ["ExpvasticConfig", "CCRC32C", "CAsyncIO"],
            path: "Sources/Expvastic",
            sources: ["Spool", "Reading", "Recording", "Discovery"],
            swiftSettings: shipped
        ),
        .target(
            name: "ExpvasticEngine",
            dependencies: ["ExpvasticPipeline"],
            path: "Sources/Expvastic",
            sources: ["Monitoring", "Engine", "Pool"],
            swiftSettings: shipped
        ),
        .target(
            name: "Expvastic",
            dependencies: ["ExpvasticEngine"],
            path: "Sources/Expvastic",
            sources: ["Command"],
            swiftSettings: shipped
        ),
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
