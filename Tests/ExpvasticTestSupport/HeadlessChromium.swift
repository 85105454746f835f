import Foundation

/// Debian's Chromium, run headless for one page load at a time (`--dump-dom` or `--screenshot`), each
/// with a fresh profile and a hard deadline. The page's console messages come back with it: Chromium
/// logs every `console.*` call and uncaught error to stderr as `…:INFO:CONSOLE…] "message", source: …`.
public enum HeadlessChromium {
    /// One page load.
    public struct Load: Sendable {
        /// `--dump-dom`'s output: the DOM serialized after the load event (empty for a screenshot).
        public var dom: String
        /// Every console message the page produced (uncaught errors included).
        public var console: [String]
        /// Chromium's whole stderr, for failure messages.
        public var stderr: String
    }

    /// `$CHROMIUM_BIN` (exported by `scripts/test`, which installs it), else `chromium` on `PATH`.
    public static func binary() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["CHROMIUM_BIN"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        if let found = ExecutableSearch.find("chromium") { return found }
        throw TestSupportError(
            .binaryMissing, "chromium not found: run ./scripts/test (it installs Debian's chromium) or set CHROMIUM_BIN"
        )
    }

    /// Loads `url` and returns the DOM after the load event. With `virtualTime`, Chromium then runs the
    /// page's timers for that much virtual time (fast-forwarded, waiting for the network) before dumping:
    /// enough for a refresh timer to fire and its fetch to finish.
    public static func dumpDOM(
        _ url: String, virtualTime: Duration? = nil, timeout: Duration = .seconds(60)
    ) async throws -> Load {
        var arguments = ["--dump-dom", url]
        if let virtualTime {
            arguments.insert("--virtual-time-budget=\(virtualTime.components.seconds * 1000)", at: 0)
        }
        return try await run(arguments, timeout: timeout)
    }

    /// Loads `url` in a `width`×`height` window and writes a PNG screenshot to `path`; `dark` makes the
    /// page see `prefers-color-scheme: dark`.
    public static func screenshot(
        _ url: String, to path: String, width: Int = 1280, height: Int = 900, dark: Bool = false,
        timeout: Duration = .seconds(60)
    ) async throws -> Load {
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: path)
        var arguments = ["--screenshot=\(path)", "--window-size=\(width),\(height)", "--hide-scrollbars"]
        if dark { arguments.append("--force-dark-mode") }
        return try await run(arguments + [url], timeout: timeout)
    }

    private static func run(_ arguments: [String], timeout: Duration) async throws -> Load {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("expvastic-chromium-\(UUID())")
        defer { try? FileManager.default.removeItem(at: profile) }
        let result = try await RunningProcess.run(
            executable: try binary(),
            arguments: [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                "--disable-background-networking", "--enable-logging=stderr", "--v=0",
                "--user-data-dir=\(profile.path)",
            ] + arguments,
            environment: ["HOME": profile.path],
            timeout: timeout)
        guard result.status == 0 else {
            throw TestSupportError(.unexpectedOutput, "chromium exited \(result.status): \(result.stderr.suffix(2000))")
        }
        let console = result.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return Load(dom: result.stdout, console: console, stderr: result.stderr)
    }
}
