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

    /// A 175 KB body of `groups` × `fields` numeric fields whose top-level keys come in a different
    /// order on every call (as Go's map iteration order gives them), which defeats the encoder's
    /// reuse of the previous key order. `max_fields` is raised so that every field is encoded.
    static func shuffledKeys(name: String, groups: Int, fields: Int) -> Benchmark {
        func body(order: [Int]) -> [UInt8] {
            var text = "{"
            for (position, group) in order.enumerated() {
                if position > 0 { text += "," }
                text += "\"shard:/var/lib/influxdb/data/db\(group)/autogen/\(group):\(group)\":{"
                text += (0..<fields).map { "\"values_field_total_\($0)\":\(group * 1_000_003 + $0)" }.joined(
                    separator: ",")
                text += "}"
            }
            return Array((text + "}").utf8)
        }
        // A fixed set of orders from a seeded generator, cycled.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bodies: [[UInt8]] = (0..<16).map { _ in
            var order = Array(0..<groups)
            for index in stride(from: order.count - 1, to: 0, by: -1) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                order.swapAt(index, Int((state >> 33) % UInt64(index + 1)))
            }
            return body(order: order)
        }
        return Benchmark(
            name: name,
            bytesPerCall: { _ in bodies[0].count },
            setUp: { _ in
                var configuration = ReaderConfiguration(
                    name: "FirstApp", kind: .expvar, typeName: "my_app1",
                    url: try Endpoint.parse("localhost:1234/debug/vars").get())
                configuration.timeout = .seconds(3)
                configuration.maxFields = 1_000_000
                let reader = ExpvarReader(
                    configuration: configuration, transport: NoTransport(), metrics: MetricsRegistry(),
                    logger: Logger(component: "bench", level: .error, handler: NoOpLogHandler()))
                var now: Int64 = 1_795_284_000_000_000_000
                var call = 0
                return {
                    now += 1_000_000_000
                    call += 1
                    do {
                        let document = try reader.document(
                            fromBody: bodies[call % bodies.count], startedAtWallNanos: now)
                        precondition(document.body.count > 100_000)
                    } catch {
                        preconditionFailure("generated body failed to parse: \(error)")
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
