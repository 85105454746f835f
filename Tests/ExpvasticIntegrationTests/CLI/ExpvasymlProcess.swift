import ExpvasticTestSupport
import Foundation
import Testing

/// Runs the built `expvasyml` binary and captures its exit code, stdout and stderr.
struct ExpvasymlProcess {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
        var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
    }

    /// The `expvasyml` next to the test bundle in the build products directory.
    static func binary() throws -> URL {
        var candidates: [URL] = []
        if let override = ProcessInfo.processInfo.environment["EXPVASYML_BIN"] {
            candidates.append(URL(fileURLWithPath: override))
        }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(runner.deletingLastPathComponent().appendingPathComponent("expvasyml"))
        candidates.append(
            runner.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("expvasyml"))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("expvasyml"))
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("expvasyml"))
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        let searched = candidates.map(\.path).joined(separator: ", ")
        throw BinaryNotFound(
            message: "expvasyml binary not found (looked at \(searched)); run swift build --build-tests")
    }

    struct BinaryNotFound: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Runs with `arguments` in `directory`, with only `environment` set; kills it and throws after
    /// `timeout`. Waits without holding a thread (see `RunningProcess`).
    static func run(
        _ arguments: [String], in directory: String, environment: [String: String] = [:],
        timeout: Duration = .seconds(20)
    ) async throws -> Outcome {
        let result = try await RunningProcess.run(
            executable: try binary(),
            arguments: arguments,
            environment: environment,
            inheritEnvironment: false,
            currentDirectory: URL(fileURLWithPath: directory),
            timeout: timeout
        )
        return Outcome(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }
}

/// A temporary directory removed after `body`.
func withTemporaryDirectory(_ body: (String) async throws -> Void) async throws {
    try await ExpvasticTestSupport.withTemporaryDirectory(prefix: "expvasyml-cli", body)
}

/// Writes `text` to `path` (on a thread of its own: Foundation may fsync).
func write(_ text: String, to path: String) async throws {
    try await Blocking.run { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }
}
