import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The real Go program in `Tests/GoExpvar`, serving the standard `expvar` handler at
/// `http://127.0.0.1:PORT/debug/vars`, started for one test.
///
/// Its variables: `requests` (Int, +1 per `/debug/vars` hit), `ratio` (Float, starts at `0`, see
/// ``set(ratio:)``), `infinite` (Float `+Inf`: Go prints the invalid JSON token `+Inf`), `message`
/// (String with quotes, backslash, `<`, newline and non-ASCII), `db` (Map with nested Maps, Ints,
/// Floats, a String), `healthy` (`true`), `tags` (string array), `nothing` (`null`), `items` (array
/// of objects), `big` (`18446744073709551557`, a uint64 above 2^63), and the standard `cmdline` and
/// `memstats`.
///
/// The process exits when the test process dies (its stdin is a pipe from us), on ``stop()`` or
/// ``terminate()``, and when this object is released.
public final class GoExpvarProgram: Sendable {
    /// `127.0.0.1:PORT`, as an expvar endpoint is written in the configuration.
    public let endpoint: String
    /// The running process (stderr, signals, exit).
    public let process: RunningProcess

    /// `http://127.0.0.1:PORT`.
    public var baseURL: URL { URL(string: "http://\(endpoint)")! }
    /// `http://127.0.0.1:PORT/debug/vars`.
    public var url: URL { baseURL.appendingPathComponent("debug/vars") }

    private init(endpoint: String, process: RunningProcess) {
        self.endpoint = endpoint
        self.process = process
    }

    deinit { process.signal(SIGKILL) }

    /// The built program (built on first use; see `GoExpvarBuild`). Throws `.goMissing` when Go is
    /// not installed.
    public static func binary() async throws -> URL {
        try await GoExpvarBuild.shared.binary()
    }

    /// Builds the program if needed, starts it on `address` (default: a port from ``FreePort``, as
    /// ``OsmemServer`` does: a port the kernel picks could, once the program has ended, go to another
    /// test's port-0 listener before a new program starts on the same endpoint) and waits up to
    /// `timeout` for its `{"addr":...}` line.
    public static func start(address: String? = nil, timeout: Duration = .seconds(10)) async throws
        -> GoExpvarProgram
    {
        let binary = try await binary()
        let address = try address ?? "127.0.0.1:\(FreePort.pick())"
        let process = try RunningProcess(
            executable: binary,
            arguments: ["-addr", address, "-exit-on-stdin-eof"],
            input: .pipe
        )
        do {
            let stdout = try await process.waitForStdout(containing: "\n", timeout: timeout)
            let line = Data(stdout.prefix { $0 != "\n" }.utf8)
            guard
                let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
                let endpoint = object["addr"] as? String
            else {
                throw TestSupportError(.unexpectedOutput, "goexpvar printed \(stdout) instead of {\"addr\":...}")
            }
            return GoExpvarProgram(endpoint: endpoint, process: process)
        } catch {
            process.stop()
            throw error
        }
    }

    /// Runs `runtime.GC()` `n` times (1...256) in the program and returns the pause-ring entries of
    /// those collections.
    public func forceGC(n: Int = 1) async throws -> GCReport {
        let response = try await control("gc?n=\(n)")
        return try JSONDecoder().decode(GCReport.self, from: response.body)
    }

    /// Sets the `ratio` variable.
    public func set(ratio: Double) async throws {
        _ = try await control("set?ratio=\(ratio)")
    }

    /// The current `/debug/vars` body (which is not valid JSON: `infinite` is `+Inf`).
    public func fetchVars() async throws -> String {
        let response = try await HTTPGet.get(url)
        guard response.status == 200 else {
            throw TestSupportError(.unexpectedOutput, "GET \(url) answered \(response.status): \(response.text)")
        }
        return response.text
    }

    /// The current variables: name → the raw JSON text of its value (as Go printed it).
    public func variables() async throws -> [String: String] {
        try Self.variables(in: try await fetchVars())
    }

    /// Splits an expvar body (one `"name": value` per line, between `{` and `}`) into name → raw
    /// value text, without parsing the values (so `+Inf` is kept as Go wrote it).
    public static func variables(in body: String) throws -> [String: String] {
        var variables: [String: String] = [:]
        for var line in body.split(separator: "\n").dropFirst() where line != "}" {
            if line.hasSuffix(",") { line = line.dropLast() }
            guard
                let separator = line.range(of: "\": "),
                let name = try? JSONSerialization.jsonObject(
                    with: Data(line[..<line.index(after: separator.lowerBound)].utf8),
                    options: .fragmentsAllowed
                ) as? String
            else {
                throw TestSupportError(.unexpectedOutput, "not an expvar line: \(line)")
            }
            variables[name] = String(line[separator.upperBound...])
        }
        return variables
    }

    /// Stops the program (`SIGTERM`, then `SIGKILL` after a second) without waiting for it, so it can
    /// be used in `defer`. To wait until it is gone (its port free), use ``terminate()``.
    public func stop() {
        process.stop(grace: .seconds(1))
    }

    /// Stops the program (`SIGTERM`, then `SIGKILL` after a second) and waits for it to exit.
    @discardableResult
    public func terminate() async -> RunningProcess.Termination? {
        await process.terminate(grace: .seconds(1))
    }

    private func control(_ pathAndQuery: String) async throws -> HTTPGet.Response {
        let target = URL(string: "http://\(endpoint)/\(pathAndQuery)")!
        let response = try await HTTPGet.get(target, timeout: .seconds(10))
        guard response.status == 200 else {
            throw TestSupportError(.unexpectedOutput, "GET \(target) answered \(response.status): \(response.text)")
        }
        return response
    }
}
