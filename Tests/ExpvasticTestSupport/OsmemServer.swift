import Expvastic
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs osmem-server (an in-memory OpenSearch-compatible server) on 127.0.0.1 for integration
/// tests: start, stop, restart on the same port (fresh and empty), and a few query helpers.
///
/// The binary comes from `OSMEM_SERVER_BIN`, else `<repo>/.venv/lib/python3*/site-packages/
/// osmem_server/bin/osmem-server` (what `./scripts/test` installs), else the machine-wide
/// `/tmp/osvenv/...` copy.
public final class OsmemServer: Sendable {
    /// Why the server could not be started or queried.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private struct State {
        /// The running server.
        var process: RunningProcess?
        /// The last server asked to stop, until it is known to have exited.
        var stopping: RunningProcess?
        var port: Int = 0
    }

    private let binary: String
    private let state = Mutex(State())
    private let transport = DefaultTransport()

    /// Starts a server on `port`, or on one from ``FreePort``: ``start()`` and ``restart()`` bind
    /// the same port again, and a port the kernel picks (0) could meanwhile go to a listener
    /// another test starts on port 0.
    public init(port: Int = 0) async throws {
        binary = try OsmemServer.locateBinary()
        try await start(port: port == 0 ? FreePort.pick() : port)
    }

    deinit {
        // Released with the state; RunningProcess kills a child that still runs.
        state.withLock { $0.process }?.signal(SIGTERM)
    }

    /// The server's endpoint, e.g. `http://127.0.0.1:43799/`.
    public var endpoint: Endpoint {
        Endpoint(scheme: "http", host: "127.0.0.1", port: state.withLock { $0.port }, path: "/")
    }

    public var port: Int { state.withLock { $0.port } }

    /// Stops the server (`SIGTERM`, `SIGKILL` after 5 s) and returns at once, so it can be used in
    /// `defer`. ``start()`` and ``restart()`` wait for it to be gone before they reuse the port;
    /// ``terminate()`` waits as well.
    public func stop() {
        let process = state.withLock { state -> RunningProcess? in
            guard let process = state.process else { return nil }
            state.process = nil
            state.stopping = process
            return process
        }
        process?.stop(grace: .seconds(5))
    }

    /// Stops the server and waits until it has exited.
    public func terminate() async {
        stop()
        await waitForStoppedServer()
    }

    /// Stops and starts a fresh, empty server on the same port.
    public func restart() async throws {
        let port = self.port
        stop()
        try await start(port: port)
    }

    /// Starts again after ``stop()`` on the same port.
    public func start() async throws { try await start(port: port) }

    private func waitForStoppedServer() async {
        guard let stopping = state.withLock({ $0.stopping }) else { return }
        await stopping.terminate(grace: .seconds(5))
        state.withLock { state in
            if state.stopping === stopping { state.stopping = nil }
        }
    }

    private func start(port: Int) async throws {
        await waitForStoppedServer()
        let process = try RunningProcess(
            executable: URL(fileURLWithPath: binary),
            arguments: [
                "--addr", "127.0.0.1:\(port)", "--no-ja", "--no-stdin-watch", "--parent-pid",
                "\(ProcessInfo.processInfo.processIdentifier)",
            ]
        )
        // The first stdout line is `{"url":"http://127.0.0.1:PORT",...}`.
        let line: String
        do {
            line = try await process.waitForStdout(containing: "\n", timeout: .seconds(20))
        } catch {
            process.stop(grace: .seconds(1))
            throw Failure(description: "osmem-server at \(binary) did not print its URL: \(error)")
        }
        guard let data = line.split(separator: "\n").first.map({ Data($0.utf8) }),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let url = object["url"] as? String, let portText = url.split(separator: ":").last,
            let actualPort = Int(portText)
        else {
            process.stop(grace: .seconds(1))
            throw Failure(description: "osmem-server at \(binary) did not print its URL (got \"\(line)\")")
        }
        state.withLock { state in
            state.process = process
            state.port = actualPort
        }
    }

    private static func locateBinary() throws -> String {
        let manager = FileManager.default
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["OSMEM_SERVER_BIN"], !explicit.isEmpty {
            guard manager.isExecutableFile(atPath: explicit) else {
                throw Failure(description: "OSMEM_SERVER_BIN=\(explicit) is not an executable file; run ./scripts/test")
            }
            return explicit
        }
        var roots: [String] = []
        if let root = environment["EXPVASTIC_REPO_ROOT"] { roots.append(root) }
        // This file is <repo>/Tests/ExpvasticTestSupport/OsmemServer.swift.
        roots.append(
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().path)
        for root in roots {
            let lib = root + "/.venv/lib"
            for entry in (try? manager.contentsOfDirectory(atPath: lib))?.sorted() ?? []
            where entry.hasPrefix("python3") {
                let candidate = lib + "/" + entry + "/site-packages/osmem_server/bin/osmem-server"
                if manager.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        let fallback = "/tmp/osvenv/lib/python3.11/site-packages/osmem_server/bin/osmem-server"
        if manager.isExecutableFile(atPath: fallback) { return fallback }
        throw Failure(
            description:
                "osmem-server not found: set OSMEM_SERVER_BIN or run ./scripts/test, which installs it into .venv"
        )
    }

    // MARK: - Queries

    /// GET a path and return the JSON object.
    public func json(_ path: String, method: String = "GET", body: [UInt8] = []) async throws -> [String: Any] {
        var headers: [(name: String, value: String)] = []
        if !body.isEmpty { headers.append((name: "Content-Type", value: "application/json")) }
        let response = try await transport.send(
            HTTPRequest(
                method: method, endpoint: endpoint, path: path, headers: headers, body: body, timeout: .seconds(10)))
        guard let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            throw Failure(description: "\(method) \(path) did not return a JSON object")
        }
        return object
    }

    /// `GET /<index>/_count`.
    public func count(index: String) async throws -> Int {
        let object = try await json("/\(index)/_count")
        guard let count = (object["count"] as? NSNumber)?.intValue else {
            throw Failure(description: "GET /\(index)/_count: no count in \(object)")
        }
        return count
    }

    /// The `_id` of every document in the index (up to 10,000).
    public func search(index: String) async throws -> [String] {
        let object = try await json("/\(index)/_search?size=10000")
        guard let hits = (object["hits"] as? [String: Any])?["hits"] as? [[String: Any]] else {
            throw Failure(description: "GET /\(index)/_search: no hits")
        }
        return hits.compactMap { $0["_id"] as? String }
    }

    /// `_source` of the document with this `_id`.
    public func source(index: String, id: String) async throws -> [String: Any]? {
        let object = try await json("/\(index)/_search?size=10000")
        let hits = (object["hits"] as? [String: Any])?["hits"] as? [[String: Any]] ?? []
        for hit in hits where (hit["_id"] as? String) == id { return hit["_source"] as? [String: Any] }
        return nil
    }

    /// The mapped type of a dotted field path in an index (`memstats.HeapAlloc` → `long`), or nil.
    public func fieldType(index: String, path: String) async throws -> String? {
        let object = try await json("/\(index)/_mapping")
        var node = ((object[index] as? [String: Any])?["mappings"] as? [String: Any]) ?? [:]
        for part in path.split(separator: ".") {
            guard let properties = node["properties"] as? [String: Any],
                let next = properties[String(part)] as? [String: Any]
            else { return nil }
            node = next
        }
        return node["type"] as? String
    }

    /// Names of the installed composable (`_index_template`) templates.
    public func indexTemplates() async throws -> [String] {
        let object = try await json("/_index_template")
        let templates = object["index_templates"] as? [[String: Any]] ?? []
        return templates.compactMap { $0["name"] as? String }
    }
}
