import Expvastic
import Foundation

/// The per-document pipeline: parse + flatten + encode a real Go `/debug/vars` body (SPEC §9).
enum PayloadBenchmarks {
    static func load(_ fixture: String, _ context: BenchmarkContext) throws -> [UInt8] {
        let path = context.fixtures + "/" + fixture
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BenchmarkError(description: "cannot read \(path) (run from the package root or pass --fixtures DIR)")
        }
        return [UInt8](data)
    }

    static func payload(name: String, fixture: String) -> Benchmark {
        Benchmark(
            name: name,
            bytesPerCall: { try load(fixture, $0).count },
            setUp: { context in
                let body = try load(fixture, context)
                var configuration = ReaderConfiguration(
                    name: "FirstApp", kind: .expvar, typeName: "my_app1",
                    url: try Endpoint.parse("localhost:1234/debug/vars").get())
                configuration.timeout = .seconds(3)
                let reader = ExpvarReader(
                    configuration: configuration, transport: NoTransport(), metrics: MetricsRegistry(),
                    logger: Logger(component: "bench", level: .error, handler: NoOpLogHandler()))
                var now: Int64 = 1_795_284_000_000_000_000
                return {
                    now += 1_000_000_000
                    do {
                        let document = try reader.document(fromBody: body, startedAtWallNanos: now)
                        precondition(document.body.count > 100)
                    } catch {
                        preconditionFailure("fixture failed to parse: \(error)")
                    }
                }
            })
    }

    static func selfReader(name: String) -> Benchmark {
        Benchmark(
            name: name,
            setUp: { _ in
                let registry = MetricsRegistry()
                for index in 0..<25 {
                    let reader = MetricKey.Label("reader", "app_\(index)")
                    registry.counter(MetricKey("polls_ok", labels: [reader])).increment(by: Int64(index))
                    registry.counter(MetricKey("polls_failed", labels: [reader])).increment()
                    registry.gauge(MetricKey("queue_length", labels: [reader])).set(Double(index) / 3)
                    registry.timer(MetricKey("poll_latency", labels: [reader])).record(nanos: 1_234_567)
                }
                let reader = SelfReader(
                    configuration: ReaderConfiguration(name: "self", kind: .self, typeName: "expvastic", url: nil),
                    registry: registry)
                var now: Int64 = 1_795_284_000_000_000_000
                return {
                    now += 1_000_000_000
                    precondition(reader.document(startedAtWallNanos: now).body.count > 100)
                }
            })
    }
}

/// The payload benchmarks never touch the network.
struct NoTransport: HTTPTransport {
    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        throw .connectFailed("benchmarks do not send requests")
    }
}
