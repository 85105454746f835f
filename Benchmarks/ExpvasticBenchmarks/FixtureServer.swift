import Expvastic
import Foundation

/// The Go program under `Benchmarks/fixture-server`: N expvar endpoints with moving counters and an
/// Elasticsearch-like bulk sink that remembers every document's `@timestamp` per reader.
///
/// With `perPort` 1 every endpoint has its own port; with more, that many endpoints share a port,
/// each on its own path (`127.0.0.1:PORT/t/<index>/debug/vars`), so 10,000 endpoints need 100
/// listeners instead of 10,000 (this machine's hard descriptor limit is 20,000, and the server
/// also holds one descriptor per poller connection).
final class FixtureServer {
    /// What the sink and the endpoints saw.
    struct Report {
        var documents: Int
        var bulkRequests: Int
        /// Lines the sink could not read (no `@timestamp` or `reader`).
        var badLines: Int
        /// `@timestamp` (Unix ms) of every document, by reader name.
        var timestamps: [String: [Int64]]
        /// Arrival times (Unix µs) of the GETs, by endpoint index.
        var arrivals: [[Int64]]
    }

    let process: ChildProcess
    /// One per listener.
    let ports: [Int]
    /// One address per endpoint, in index order: `127.0.0.1:PORT`, or `127.0.0.1:PORT/t/I/debug/vars`
    /// when endpoints share ports.
    let targets: [String]
    /// `http://127.0.0.1:PORT`
    let sink: String

    /// Builds the server into `productsDirectory` (Go's build cache makes this quick when nothing
    /// changed). Go 1.19, standard library only, so it builds offline.
    static func build(packageRoot: String, productsDirectory: String) throws -> String {
        try GoProgram.build(
            source: packageRoot + "/Benchmarks/fixture-server", binary: productsDirectory + "/expvastic-fixture-server")
    }

    init(binary: String, endpoints: Int, perPort: Int = 1, fixture: String, arguments: [String] = []) throws {
        process = try ChildProcess(
            name: "fixture-server", executable: binary,
            arguments: ["-endpoints", "\(endpoints)", "-per-port", "\(perPort)", "-fixture", fixture] + arguments)
        let line = try process.firstLine(timeoutSeconds: 60)
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let ports = object["ports"] as? [Int], let targets = object["targets"] as? [String],
            let sink = object["sink"] as? String, targets.count == endpoints
        else { throw BenchmarkError(description: "fixture-server said \(line.prefix(500))") }
        self.ports = ports
        self.targets = targets
        self.sink = sink
    }

    /// The sink's `host:port`.
    var sinkAddress: String { String(sink.dropFirst("http://".count)) }

    func report() async throws -> Report {
        let endpoint = try Endpoint.parse(sink).get()
        let response = try await DefaultTransport().send(
            HTTPRequest(endpoint: endpoint, path: "/_bench/report", timeout: .seconds(30), maxResponseBytes: 256 << 20))
        guard response.status == 200,
            let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        else { throw BenchmarkError(description: "fixture-server report: HTTP \(response.status)") }
        func int(_ key: String) -> Int { (object[key] as? NSNumber)?.intValue ?? 0 }
        func series(_ value: Any?) -> [Int64] { (value as? [NSNumber])?.map(\.int64Value) ?? [] }
        var timestamps: [String: [Int64]] = [:]
        for (reader, values) in object["timestamps"] as? [String: Any] ?? [:] { timestamps[reader] = series(values) }
        return Report(
            documents: int("docs"), bulkRequests: int("bulks"), badLines: int("bad_lines"), timestamps: timestamps,
            arrivals: (object["arrivals"] as? [Any] ?? []).map(series))
    }

    func stop() { process.stop(graceSeconds: 5) }
}

/// A Go program of `Benchmarks/` (standard library only, so it builds offline), built into the
/// products directory; Go's build cache makes this quick when nothing changed.
enum GoProgram {
    static func build(source: String, binary: String) throws -> String {
        let go = Process()
        go.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        go.arguments = ["go", "build", "-buildvcs=false", "-o", binary, "."]
        go.currentDirectoryURL = URL(fileURLWithPath: source)
        var environment = ProcessInfo.processInfo.environment
        environment["GOPROXY"] = "off"
        environment["GOFLAGS"] = "-mod=mod"
        environment["CGO_ENABLED"] = "0"
        go.environment = environment
        do {
            try go.run()
        } catch {
            throw BenchmarkError(description: "cannot run `go build` in \(source) (is Go installed?): \(error)")
        }
        go.waitUntilExit()
        guard go.terminationStatus == 0 else {
            throw BenchmarkError(description: "`go build` of \(source) failed (status \(go.terminationStatus))")
        }
        return binary
    }
}
