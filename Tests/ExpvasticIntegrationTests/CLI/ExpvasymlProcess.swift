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

    /// Runs with `arguments` in `directory`, with only `environment` set; kills it after `timeout`.
    static func run(
        _ arguments: [String], in directory: String, environment: [String: String] = [:],
        timeout: Duration = .seconds(20)
    ) throws -> Outcome {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        let out = URL(fileURLWithPath: directory).appendingPathComponent(".stdout-\(UUID().uuidString)")
        let err = URL(fileURLWithPath: directory).appendingPathComponent(".stderr-\(UUID().uuidString)")
        try Data().write(to: out)
        try Data().write(to: err)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        let outHandle = try FileHandle(forWritingTo: out)
        let errHandle = try FileHandle(forWritingTo: err)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            Issue.record("expvasyml \(arguments) did not finish within \(timeout)")
        }
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return Outcome(
            status: process.terminationStatus,
            stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }
}

/// A temporary directory removed after `body`.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("expvasyml-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory.path)
}

func write(_ text: String, to path: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}
