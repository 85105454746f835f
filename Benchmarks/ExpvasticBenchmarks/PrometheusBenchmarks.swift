import Expvastic
import Foundation

/// A Prometheus scrape without HTTP: parse + group + encode a real node_exporter body into its
/// documents. In the same run, Prometheus' own Go parser (`expfmt.TextParser`, Debian's
/// golang-github-prometheus-common-dev, `Benchmarks/expfmt-reference`) parses the same body as the
/// reference; its line is printed to standard error when the benchmark is set up.
enum PrometheusBenchmarks {
    static func scrape(name: String, fixture: String) -> Benchmark {
        Benchmark(
            name: name,
            unit: "us/scrape",
            bytesPerCall: { try PayloadBenchmarks.load(fixture, $0).count },
            setUp: { context in
                let body = try PayloadBenchmarks.load(fixture, context)
                reference(fixture: context.fixtures + "/" + fixture, context: context)
                var configuration = ReaderConfiguration(
                    name: "node", kind: .prometheus, typeName: "prometheus",
                    url: try Endpoint.parse("localhost:9100/metrics").get())
                configuration.timeout = .seconds(3)
                let reader = PrometheusReader(
                    configuration: configuration, transport: NoTransport(), clock: SystemClock(),
                    metrics: MetricsRegistry(),
                    logger: Logger(component: "bench", level: .error, handler: NoOpLogHandler()))
                var now: Int64 = 1_795_284_000_000_000_000
                return {
                    now += 1_000_000_000
                    do {
                        let documents = try reader.documents(
                            fromBody: body, contentType: "text/plain; version=0.0.4", startedAtWallNanos: now)
                        precondition(documents.count > 10)
                    } catch {
                        preconditionFailure("fixture failed to parse: \(error)")
                    }
                }
            })
    }

    /// Builds and runs `Benchmarks/expfmt-reference` (offline, GOPATH mode against Debian's Go
    /// packages) and prints its result; a missing Go toolchain or package is reported, not fatal.
    static func reference(fixture: String, context: BenchmarkContext) {
        let source = context.packageRoot + "/Benchmarks/expfmt-reference"
        let binary = NSTemporaryDirectory() + "/expvastic-expfmt-reference"
        func run(_ executable: String, _ arguments: [String], directory: String?, environment: [String: String])
            -> (Int32, String)
        {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
            let pipe = Pipe()
            process.standardOutput = pipe
            do { try process.run() } catch { return (-1, "\(error)") }
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: output, as: UTF8.self))
        }
        let (built, _) = run(
            "/usr/bin/env", ["go", "build", "-o", binary, "."], directory: source,
            environment: ["GO111MODULE": "off", "GOPATH": "/usr/share/gocode", "GOFLAGS": "", "CGO_ENABLED": "0"])
        guard built == 0 else {
            FileHandle.standardError.write(
                Data(
                    "reference: cannot build \(source) (needs golang-go and golang-github-prometheus-common-dev)\n".utf8
                ))
            return
        }
        let (status, output) = run(binary, ["-fixture", fixture, "-seconds", "3"], directory: nil, environment: [:])
        FileHandle.standardError.write(
            Data("reference expfmt.TextParser (Go, GOMAXPROCS=1): \(status == 0 ? output : "failed: \(output)\n")".utf8)
        )
    }
}
