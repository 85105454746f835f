import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real Prometheus exporter on 127.0.0.1, started for one test and stopped with it.
final class PrometheusExporter: Sendable {
    enum Kind: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// Debian's `prometheus-node-exporter`.
        case nodeExporter = "node_exporter"
        /// Debian's `prometheus` server, its own `/metrics`.
        case prometheus
        /// `Tests/PromClientGo` with Debian's client_golang: every metric type (negotiates OpenMetrics).
        case goClient = "client_golang"
        /// `Tests/PromPython/exporter.py` (python3-prometheus-client), text format 0.0.4.
        case pythonText = "python_text"
        /// The same, OpenMetrics 1.0.
        case pythonOpenMetrics = "python_openmetrics"

        var testDescription: String { rawValue }

        /// Answers `Accept-Encoding: gzip` with a gzip body (promhttp does; the test's Python
        /// handler does not, so one exporter of the suite answers uncompressed).
        var gzips: Bool { self != .pythonText && self != .pythonOpenMetrics }
    }

    let kind: Kind
    let process: RunningProcess
    /// `http://127.0.0.1:PORT/path` of the metrics.
    let url: String
    private let directory: URL

    private init(kind: Kind, process: RunningProcess, url: String, directory: URL) {
        self.kind = kind
        self.process = process
        self.url = url
        self.directory = directory
    }

    deinit {
        process.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    static func python() throws -> URL {
        let python = URL(fileURLWithPath: "/usr/bin/python3")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw TestSupportError(.unexpectedOutput, "/usr/bin/python3 is missing: run ./scripts/test")
        }
        return python
    }

    static func script(_ name: String) throws -> String {
        try RepoRoot.url().appendingPathComponent("Tests/PromPython/\(name)").path
    }

    static func start(_ kind: Kind) async throws -> PrometheusExporter {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "expvastic-exporter-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        switch kind {
        case .nodeExporter:
            guard let binary = ExecutableSearch.find("prometheus-node-exporter") else {
                throw TestSupportError(.unexpectedOutput, "prometheus-node-exporter is missing: run ./scripts/test")
            }
            let port = try FreePort.pick()
            let process = try RunningProcess(
                executable: binary, arguments: ["--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"])
            return try await ready(kind, process, "http://127.0.0.1:\(port)/metrics", directory)
        case .prometheus:
            guard let binary = ExecutableSearch.find("prometheus") else {
                throw TestSupportError(.unexpectedOutput, "prometheus is missing: run ./scripts/test")
            }
            let port = try FreePort.pick()
            let config = directory.appendingPathComponent("prometheus.yml")
            try "global:\n  scrape_interval: 1m\nscrape_configs: []\n".write(
                to: config, atomically: true, encoding: .utf8)
            let process = try RunningProcess(
                executable: binary,
                arguments: [
                    "--config.file=\(config.path)", "--web.listen-address=127.0.0.1:\(port)",
                    "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)", "--log.level=warn",
                ])
            return try await ready(kind, process, "http://127.0.0.1:\(port)/metrics", directory)
        case .goClient:
            let process = try RunningProcess(executable: try await PromClientBuild.binary())
            let line = try await process.waitForStdout(containing: "listening on ", timeout: .seconds(20))
            return try await ready(kind, process, "http://\(address(in: line))/metrics", directory)
        case .pythonText, .pythonOpenMetrics:
            let process = try RunningProcess(executable: try python(), arguments: [try script("exporter.py")])
            let line = try await process.waitForStdout(containing: "listening on ", timeout: .seconds(20))
            let path = kind == .pythonText ? "/text" : "/openmetrics"
            return try await ready(kind, process, "http://\(address(in: line))\(path)", directory)
        }
    }

    static func address(in line: String) -> String {
        let after = line.components(separatedBy: "listening on ").last ?? ""
        return String(after.prefix { !$0.isWhitespace })
    }

    private static func ready(_ kind: Kind, _ process: RunningProcess, _ url: String, _ directory: URL) async throws
        -> PrometheusExporter
    {
        let exporter = PrometheusExporter(kind: kind, process: process, url: url, directory: directory)
        try await eventually("\(kind.rawValue) answers \(url)", timeout: .seconds(30), interval: .milliseconds(100)) {
            guard process.isRunning else {
                throw TestSupportError(.unexpectedOutput, "\(kind.rawValue) exited: \(process.stderr)")
            }
            return try await HTTPGet.get(URL(string: url)!).status == 200
        }
        return exporter
    }
}

/// `Tests/PromPython/capture_proxy.py` in front of an exporter: saves every body the shipper got
/// (decoded; the shipper gets it as the exporter sent it, gzip included).
final class CaptureProxy: Sendable {
    let process: RunningProcess
    let address: String
    let directory: URL

    init(upstream: String, directory: URL) async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.directory = directory
        process = try RunningProcess(
            executable: try PrometheusExporter.python(),
            arguments: [try PrometheusExporter.script("capture_proxy.py"), upstream, directory.path])
        let line = try await process.waitForStdout(containing: "listening on ", timeout: .seconds(20))
        address = PrometheusExporter.address(in: line)
    }

    deinit { process.stop() }

    /// Runs `check_documents.py` on the captured bodies and `documents` (bulk NDJSON).
    func check(documents: String, reader: String) async throws -> CheckResult {
        let result = try await RunningProcess.run(
            executable: try PrometheusExporter.python(),
            arguments: [try PrometheusExporter.script("check_documents.py"), directory.path, documents, reader],
            timeout: .seconds(120))
        guard result.status == 0,
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        else {
            throw TestSupportError(.unexpectedOutput, "check_documents.py failed (\(result.status)): \(result.stderr)")
        }
        return CheckResult(
            scrapes: object["scrapes"] as? Int ?? -1, bodies: object["bodies"] as? Int ?? -1,
            samples: object["samples"] as? Int ?? -1, documents: object["documents"] as? Int ?? -1,
            gzipped: object["gzipped"] as? Int ?? -1,
            types: (object["types"] as? [String: [Any]] ?? [:]).mapValues {
                (prometheus: $0.first as? String ?? "", metric: $0.count > 1 ? $0[1] as? String : nil)
            },
            problems: object["problems"] as? [String] ?? ["no problems list"])
    }

    struct CheckResult {
        var scrapes: Int
        var bodies: Int
        var samples: Int
        var documents: Int
        /// Bodies the exporter sent with `Content-Encoding: gzip`.
        var gzipped: Int
        /// Each finite sample name's family type as the Python parser read it, and the
        /// Elasticsearch `metric_type` that follows from it (nil for untyped).
        var types: [String: (prometheus: String, metric: String?)]
        var problems: [String]
    }
}

/// Builds `Tests/PromClientGo` once per test process, offline against Debian's Go packages
/// (`GO111MODULE=off GOPATH=/usr/share/gocode`), cached by source hash under `.build/promclient`.
actor PromClientBuild {
    static let shared = PromClientBuild()
    private var build: Task<URL, any Error>?

    static func binary() async throws -> URL { try await shared.binary() }

    func binary() async throws -> URL {
        if let build { return try await build.value }
        let task = Task { try await Self.buildIfNeeded() }
        build = task
        return try await task.value
    }

    private static func buildIfNeeded() async throws -> URL {
        let root = try RepoRoot.url()
        let source = root.appendingPathComponent("Tests/PromClientGo", isDirectory: true)
        let contents = try Data(contentsOf: source.appendingPathComponent("main.go"))
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in contents { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let output = root.appendingPathComponent(".build/promclient", isDirectory: true)
        let binary = output.appendingPathComponent("promclient-\(String(hash, radix: 16))")
        if FileManager.default.isExecutableFile(atPath: binary.path) { return binary }
        guard let go = ExecutableSearch.find("go", extraDirectories: ["/usr/lib/go/bin", "/usr/local/go/bin"]) else {
            throw TestSupportError(.goMissing, "go is not installed: run ./scripts/test, which installs golang-go")
        }
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let temporary = output.appendingPathComponent("\(binary.lastPathComponent).tmp-\(getpid())")
        let result = try await RunningProcess.run(
            executable: go, arguments: ["build", "-o", temporary.path, "."],
            environment: [
                "GO111MODULE": "off", "GOPATH": "/usr/share/gocode", "GOFLAGS": "", "GOPROXY": "off",
                "CGO_ENABLED": "0", "GOTOOLCHAIN": "local", "GOCACHE": output.appendingPathComponent("gocache").path,
            ],
            currentDirectory: source, timeout: .seconds(600))
        guard result.status == 0, rename(temporary.path, binary.path) == 0 else {
            throw TestSupportError(
                .goBuildFailed,
                "`go build` of Tests/PromClientGo failed (\(result.status)): \(result.stderr) — it needs "
                    + "golang-github-prometheus-client-golang-dev (run ./scripts/test)")
        }
        return binary
    }
}
