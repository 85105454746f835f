import Foundation

/// The `expvasyml` executable built next to the test bundle, for command-line tests that check exit
/// codes, stdout and stderr of the real binary.
public enum ExpvasymlBinary {
    /// Where `expvasyml` is: `$EXPVASYML_BIN` when set, else the build products directory the tests
    /// run from (next to the test bundle), else `<repo>/.build/debug`. Throws `.binaryMissing`
    /// (saying how to build it) when none exists.
    public static func url() throws -> URL {
        let fileManager = FileManager.default
        let environment = ProcessInfo.processInfo.environment
        if let configured = environment["EXPVASYML_BIN"], !configured.isEmpty {
            guard fileManager.isExecutableFile(atPath: configured) else {
                throw TestSupportError(.binaryMissing, "EXPVASYML_BIN=\(configured) is not an executable file")
            }
            return URL(fileURLWithPath: configured)
        }
        var candidates: [URL] = []
        // The test runner (`<products>/ExpvasticPackageTests.xctest`) lives in the products directory.
        if let runner = try? fileManager.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: runner).deletingLastPathComponent())
        }
        candidates.append(Bundle.main.bundleURL)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        if let root = try? RepoRoot.url() {
            candidates.append(root.appendingPathComponent(".build/debug"))
        }
        let binaries = candidates.map { $0.appendingPathComponent("expvasyml") }
        if let found = binaries.first(where: { fileManager.isExecutableFile(atPath: $0.path) }) {
            return found.standardizedFileURL
        }
        throw TestSupportError(
            .binaryMissing,
            "expvasyml not found (looked at \(binaries.map(\.path).joined(separator: ", "))): "
                + "build it with `swift build --build-tests` or run ./scripts/test, or set EXPVASYML_BIN"
        )
    }

    /// Runs `expvasyml` with `arguments` to completion (see `RunningProcess.run`).
    ///
    /// - Parameters:
    ///   - environment: variables added to (or replacing) the inherited environment.
    ///   - stdin: what the binary reads on standard input (`nil`: `/dev/null`).
    ///   - timeout: hard deadline; past it the process is killed and `.timeout` is thrown.
    public static func run(
        arguments: [String],
        environment: [String: String] = [:],
        stdin: String? = nil,
        currentDirectory: URL? = nil,
        timeout: Duration = .seconds(20)
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await RunningProcess.run(
            executable: url(),
            arguments: arguments,
            environment: environment,
            input: stdin.map { .data(Data($0.utf8)) } ?? .none,
            currentDirectory: currentDirectory,
            timeout: timeout
        )
    }

    /// Starts a long-running `expvasyml` (the shipper itself) and returns at once; the test signals
    /// it, watches its stderr and waits for its exit through the returned ``RunningProcess``.
    public static func spawn(
        arguments: [String],
        environment: [String: String] = [:],
        stdin: RunningProcess.Input = .none,
        currentDirectory: URL? = nil
    ) throws -> RunningProcess {
        try RunningProcess(
            executable: url(),
            arguments: arguments,
            environment: environment,
            input: stdin,
            currentDirectory: currentDirectory
        )
    }
}
