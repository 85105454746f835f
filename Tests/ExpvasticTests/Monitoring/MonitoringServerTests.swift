import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

@Suite struct MonitoringServerTests {
    /// One sample as `prometheus_client.parser` (the Prometheus project's Python parser) understood it.
    struct ParsedSample: Hashable, CustomStringConvertible {
        var family: String
        var type: String
        var name: String
        var labels: [String: String]
        var value: Double

        var description: String { "\(type) \(name)\(labels) \(value)" }
    }

    static let parserScript = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        out = []
        for family in text_string_to_metric_families(open(sys.argv[1], encoding="utf-8").read()):
            for sample in family.samples:
                out.append({"family": family.name, "type": family.type, "name": sample.name,
                            "labels": sample.labels, "value": repr(sample.value)})
        print(json.dumps(out))
        """

    static func parseWithPrometheusClient(_ text: [UInt8]) async throws -> [ParsedSample] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("expvastic-metrics-\(UUID()).txt")
        try await Blocking.run { try Data(text).write(to: file) }
        let result = try await RunningProcess.run(
            executable: URL(fileURLWithPath: "/usr/bin/python3"), arguments: ["-c", parserScript, file.path],
            timeout: .seconds(30))
        _ = await Blocking.run { try? FileManager.default.removeItem(at: file) }
        let (status, data, errorText) = (result.status, Data(result.stdout.utf8), result.stderr)
        guard status == 0 else {
            throw TestClientError(description: "prometheus_client rejected the exposition: \(errorText)")
        }
        let rows = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        return try rows.map { row in
            let valueText = try #require(row["value"] as? String)
            return ParsedSample(
                family: try #require(row["family"] as? String), type: try #require(row["type"] as? String),
                name: try #require(row["name"] as? String), labels: try #require(row["labels"] as? [String: String]),
                value: try #require(Double(valueText)))
        }
    }

    static func makeRegistry() -> MetricsRegistry {
        let registry = MetricsRegistry()
        registry.describe("polls_ok", "Successful polls.\nPer reader.")
        registry.counter(MetricKey("polls_ok", labels: [.init("reader", "app1")])).increment(by: 3)
        registry.counter(MetricKey("polls_ok", labels: [.init("reader", "app2")])).increment(by: 11)
        registry.counter(MetricKey("polls_failed", labels: [.init("reader", "app1")])).increment()
        registry.counter(MetricKey("documents_sent", labels: [.init("recorder", "es"), .init("route", "r1")]))
            .increment(by: 500)
        registry.gauge(MetricKey("spool_bytes", labels: [.init("recorder", "es")])).set(4096)
        registry.gauge(MetricKey("queue_fill", labels: [.init("recorder", "odd \\ \"name\"\nx")])).set(0.125)
        let timer = registry.timer(MetricKey("bulk_latency", labels: [.init("recorder", "es")]))
        for nanos: UInt64 in [1_500_000, 2_500_000, 12_345_678] { timer.record(nanos: nanos) }
        registry.counter(MetricKey("reloads")).increment(by: 2)
        return registry
    }

    /// The leaf of `/debug/vars` for a series: labels, in order, then the name.
    static func leaf(_ root: [String: Any], _ key: MetricKey) -> Any? {
        var node: Any? = root
        for part in key.path {
            node = (node as? [String: Any])?[part]
        }
        return node
    }

    @Test func metricsAgreeWithDebugVarsAndParseWithThePrometheusParser() async throws {
        let registry = Self.makeRegistry()
        let routes = MonitoringRoutes(
            metrics: registry, samples: SampleCollection(),
            processStats: { ProcessStats(rssBytes: 50_000_000, cpuSeconds: 1.25) })
        let server = MonitoringServer(server: HTTPServerConfiguration(port: 0), routes: routes)
        let port = try server.start()
        defer { server.stop() }
        let (vars, metrics) = try await Blocking.run {
            (
                try HTTPServerTestClient.get(port: port, "/debug/vars"),
                try HTTPServerTestClient.get(port: port, "/metrics")
            )
        }
        #expect(vars.status == 200)
        #expect(vars.header("Content-Type") == "application/json; charset=utf-8")
        #expect(metrics.status == 200)
        #expect(metrics.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(metrics.text.contains("# HELP expvastic_polls_ok_total Successful polls.\\nPer reader.\n"))

        let root = try #require(try JSONSerialization.jsonObject(with: Data(vars.body)) as? [String: Any])
        let parsed = try await Self.parseWithPrometheusClient(metrics.body)

        var expected: Set<ParsedSample> = []
        for (key, value) in registry.snapshot() {
            let labels = Dictionary(uniqueKeysWithValues: key.labels.map { ($0.name, $0.value) })
            let leaf = Self.leaf(root, key)
            switch value {
            case .counter:
                let count = try #require(leaf as? Int)
                expected.insert(
                    ParsedSample(
                        family: "expvastic_\(key.name)", type: "counter", name: "expvastic_\(key.name)_total",
                        labels: labels, value: Double(count)))
            case .gauge:
                let gauge = try #require(leaf as? Double)
                expected.insert(
                    ParsedSample(
                        family: "expvastic_\(key.name)", type: "gauge", name: "expvastic_\(key.name)", labels: labels,
                        value: gauge))
            case .timer:
                let object = try #require(leaf as? [String: Any])
                let family = "expvastic_\(key.name)_seconds"
                expected.insert(
                    ParsedSample(
                        family: family, type: "summary", name: family + "_count", labels: labels,
                        value: Double(try #require(object["count"] as? Int))))
                expected.insert(
                    ParsedSample(
                        family: family, type: "summary", name: family + "_sum", labels: labels,
                        value: Double(try #require(object["sum_ns"] as? Int)) / 1e9))
            }
        }
        let process = try #require(root["process"] as? [String: Any])
        expected.insert(
            ParsedSample(
                family: "expvastic_process_rss_bytes", type: "gauge", name: "expvastic_process_rss_bytes", labels: [:],
                value: Double(try #require(process["rss_bytes"] as? Int))))
        expected.insert(
            ParsedSample(
                family: "expvastic_process_cpu_seconds", type: "counter", name: "expvastic_process_cpu_seconds_total",
                labels: [:], value: try #require(process["cpu_seconds"] as? Double)))

        #expect(parsed.count == expected.count)
        #expect(Set(parsed) == expected)
        // Spot checks against values set above, so a consistent-but-wrong rendering cannot pass.
        #expect(
            parsed.contains {
                $0.name == "expvastic_polls_ok_total" && $0.labels == ["reader": "app2"] && $0.value == 11
            })
        #expect(parsed.contains { $0.labels["recorder"] == "odd \\ \"name\"\nx" && $0.value == 0.125 })
        #expect(
            parsed.contains { $0.name == "expvastic_bulk_latency_seconds_sum" && abs($0.value - 0.016345678) < 1e-12 })
        #expect(parsed.contains { $0.name == "expvastic_process_rss_bytes" && $0.value == 50_000_000 })
    }

    @Test func servesHealthCollectionAndErrorsOverHTTP() async throws {
        let clock = ManualClock()
        let samples = SampleCollection(retention: .seconds(300), clock: clock)
        samples.record(component: "reader.app1", kind: .poll, latency: .milliseconds(5), outcome: .ok)
        let routes = MonitoringRoutes(
            metrics: MetricsRegistry(), samples: samples, health: { ["reader.app1": .ok, "recorder.es": .down] })
        var configuration = MonitoringConfiguration()
        configuration.listen = "127.0.0.1:0"
        let server = try MonitoringServer(configuration: configuration, routes: routes, clock: clock)
        let task = Task { try await server.run() }
        defer { task.cancel() }
        var port: Int?
        for _ in 0..<200 where port == nil {
            port = server.boundPort
            if port == nil { try await Task.sleep(for: .milliseconds(5)) }
        }
        let bound = try #require(port)
        let responses = try await Blocking.run {
            [
                try HTTPServerTestClient.get(port: bound, "/healthz"),
                try HTTPServerTestClient.get(port: bound, "/healthz", method: "HEAD"),
                try HTTPServerTestClient.get(port: bound, "/api/v1/collection?since=2026-11-21T17:59:00Z"),
                try HTTPServerTestClient.get(port: bound, "/api/v1/collection?since=noon"),
                try HTTPServerTestClient.get(port: bound, "/api/v1/collection/aggregate?window=1m"),
                try HTTPServerTestClient.get(port: bound, "/api/v1/collection/aggregate?window=soon"),
                try HTTPServerTestClient.get(port: bound, "/metrics", method: "DELETE"),
                try HTTPServerTestClient.get(port: bound, "/nope"),
            ]
        }
        #expect(responses.map(\.status) == [503, 503, 200, 400, 200, 400, 405, 404])
        #expect(
            responses[0].text
                == "{\"status\":\"down\",\"components\":{\"reader.app1\":\"ok\",\"recorder.es\":\"down\"}}\n")
        #expect(responses[1].body.isEmpty)
        #expect(responses[2].text.contains("\"component\":\"reader.app1\""))
        #expect(responses[3].text.contains("since=noon is not an RFC 3339 time"))
        #expect(responses[4].text.contains("\"count\":1"))
        #expect(responses[6].header("Allow") == "GET, HEAD")

        // Past retention the sample is gone from the endpoint as well.
        clock.advance(by: .seconds(301))
        let after = try await Blocking.run { try HTTPServerTestClient.get(port: bound, "/api/v1/collection") }
        #expect(after.text == "[]\n")
        task.cancel()
        try await task.value
        #expect(server.boundPort == nil)
    }

    @Test func refusesADisabledListenAddress() {
        var configuration = MonitoringConfiguration()
        configuration.listen = nil
        #expect(throws: HTTPServerError.self) {
            try MonitoringServer(
                configuration: configuration,
                routes: MonitoringRoutes(metrics: MetricsRegistry(), samples: SampleCollection()))
        }
    }
}
