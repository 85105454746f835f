import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

@Suite struct MonitoringRoutesTests {
    static func request(_ target: String) -> HTTPServerRequest {
        let mark = target.firstIndex(of: "?")
        return HTTPServerRequest(
            method: "GET", target: target, path: String(target[..<(mark ?? target.endIndex)]),
            query: mark.map { String(target[target.index(after: $0)...]) }, version: "HTTP/1.1",
            headers: [("Host", "x")])
    }

    static func json(_ response: HTTPServerResponse) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed])
    }

    @Test func debugVarsNestsByLabelsAndAddsProcessAndCmdline() throws {
        let registry = MetricsRegistry()
        registry.counter(MetricKey("polls_ok", labels: [.init("reader", "app1")])).increment(by: 3)
        registry.counter(MetricKey("polls_failed", labels: [.init("reader", "app1")])).increment()
        registry.gauge(MetricKey("queue_length", labels: [.init("recorder", "es")])).set(2.5)
        registry.timer(MetricKey("bulk_latency", labels: [.init("recorder", "es")])).record(nanos: 10)
        registry.timer(MetricKey("bulk_latency", labels: [.init("recorder", "es")])).record(nanos: 30)
        registry.counter(MetricKey("uptime_checks")).increment(by: 7)
        // Collides with the `readers` object above: published flat.
        registry.gauge(MetricKey("readers")).set(1)
        registry.gauge(MetricKey("weird", labels: [.init("recorder", "a\"b\n")])).set(.nan)
        let routes = MonitoringRoutes(
            metrics: registry, samples: SampleCollection(clock: ManualClock()),
            processStats: { ProcessStats(rssBytes: 1234, cpuSeconds: 0.5) }, commandLine: ["expvasyml", "-c", "x.yml"])
        let response = routes.handle(Self.request("/debug/vars"))
        #expect(response.status == 200)
        let root = try #require(try Self.json(response) as? [String: Any])
        let reader = try #require(root["readers"] as? [String: Any])
        let app1 = try #require(reader["app1"] as? [String: Any])
        #expect(app1["polls_ok"] as? Int == 3)
        #expect(app1["polls_failed"] as? Int == 1)
        let es = try #require((root["recorders"] as? [String: Any])?["es"] as? [String: Any])
        #expect(es["queue_length"] as? Double == 2.5)
        let timer = try #require(es["bulk_latency"] as? [String: Any])
        #expect(timer["count"] as? Int == 2)
        #expect(timer["sum_ns"] as? Int == 40)
        #expect(timer["min_ns"] as? Int == 10)
        #expect(timer["max_ns"] as? Int == 30)
        #expect(timer["mean_ns"] as? Double == 20)
        #expect(root["uptime_checks"] as? Int == 7)
        #expect(root["readers{}"] as? Double == 1)
        let weird = try #require((root["recorders"] as? [String: Any])?["a\"b\n"] as? [String: Any])
        #expect(weird["weird"] is NSNull)
        let process = try #require(root["process"] as? [String: Any])
        #expect(process["rss_bytes"] as? Int == 1234)
        #expect(process["cpu_seconds"] as? Double == 0.5)
        #expect(root["cmdline"] as? [String] == ["expvasyml", "-c", "x.yml"])
        #expect(root.count == 6)
    }

    @Test func healthIsTheWorstComponent() throws {
        let states = [
            ([String: ComponentHealth](), 200, "ok"),
            (["reader.a": .ok, "recorder.b": .degraded], 200, "degraded"),
            (["reader.a": .ok, "recorder.b": .down], 503, "down"),
        ]
        for (components, status, overall) in states {
            let routes = MonitoringRoutes(
                metrics: MetricsRegistry(), samples: SampleCollection(clock: ManualClock()), health: { components })
            let response = routes.handle(Self.request("/healthz"))
            #expect(response.status == status)
            let body = try #require(try Self.json(response) as? [String: Any])
            #expect(body["status"] as? String == overall)
            #expect((body["components"] as? [String: String]) == components.mapValues(\.rawValue))
        }
    }

    @Test func collectionReturnsSamplesSinceATime() throws {
        let clock = ManualClock()
        let samples = SampleCollection(clock: clock)
        samples.record(component: "reader.app1", kind: .poll, latency: .milliseconds(2), outcome: .ok)
        clock.advance(by: .seconds(10))
        samples.record(component: "recorder.es", kind: .bulk, latency: .milliseconds(9), outcome: .error)
        let routes = MonitoringRoutes(metrics: MetricsRegistry(), samples: samples)
        let all = try #require(try Self.json(routes.handle(Self.request("/api/v1/collection"))) as? [[String: Any]])
        #expect(all.count == 2)
        #expect(all[0]["time"] as? String == "2026-11-21T18:00:00.000Z")
        #expect(all[0]["component"] as? String == "reader.app1")
        #expect(all[0]["kind"] as? String == "poll")
        #expect(all[0]["latency_ns"] as? Int == 2_000_000)
        #expect(all[1]["outcome"] as? String == "error")
        let later = routes.handle(Self.request("/api/v1/collection?since=2026-11-21T18%3A00%3A05Z"))
        let laterJSON = try #require(try Self.json(later) as? [[String: Any]])
        #expect(laterJSON.map { $0["component"] as? String } == ["recorder.es"])
        let limited = routes.handle(Self.request("/api/v1/collection?limit=1"))
        #expect(limited.headers.contains { $0.name == "X-Expvastic-Truncated" && $0.value == "true" })
        #expect((try Self.json(limited) as? [Any])?.count == 1)
        for bad in ["since=yesterday", "since=2026-13-01T00:00:00Z", "limit=0", "limit=x", "limit=1000000"] {
            let response = routes.handle(Self.request("/api/v1/collection?" + bad))
            #expect(response.status == 400, "\(bad)")
            #expect(String(decoding: response.body, as: UTF8.self).contains("400 Bad Request"))
        }
    }

    @Test func aggregateHonoursTheWindow() throws {
        let clock = ManualClock()
        let samples = SampleCollection(clock: clock)
        samples.record(component: "reader.app1", kind: .poll, latency: .milliseconds(100), outcome: .error)
        clock.advance(by: .seconds(90))
        for ms in [1, 2, 3, 4] {
            samples.record(component: "reader.app1", kind: .poll, latency: .milliseconds(Int64(ms)), outcome: .ok)
        }
        let routes = MonitoringRoutes(metrics: MetricsRegistry(), samples: samples)
        let body = try #require(
            try Self.json(routes.handle(Self.request("/api/v1/collection/aggregate?window=60s"))) as? [String: Any])
        #expect(body["window_ns"] as? Int == 60_000_000_000)
        let app = try #require((body["components"] as? [String: Any])?["reader.app1"] as? [String: Any])
        #expect(app["count"] as? Int == 4)
        #expect(app["errors"] as? Int == 0)
        #expect(app["min_ns"] as? Int == 1_000_000)
        #expect(app["p50_ns"] as? Int == 2_000_000)
        #expect(app["p99_ns"] as? Int == 4_000_000)
        #expect(app["avg_ns"] as? Double == 2_500_000)
        let wide = try #require(
            try Self.json(routes.handle(Self.request("/api/v1/collection/aggregate?window=2m"))) as? [String: Any])
        let wideApp = try #require((wide["components"] as? [String: Any])?["reader.app1"] as? [String: Any])
        #expect(wideApp["count"] as? Int == 5)
        #expect(wideApp["errors"] as? Int == 1)
        for bad in ["window=60", "window=-5s", "window=0", "window=abc"] {
            #expect(routes.handle(Self.request("/api/v1/collection/aggregate?" + bad)).status == 400, "\(bad)")
        }
    }

    @Test func unknownPathsAre404() {
        let routes = MonitoringRoutes(metrics: MetricsRegistry(), samples: SampleCollection(clock: ManualClock()))
        #expect(routes.handle(Self.request("/debug/pprof")).status == 404)
        #expect(routes.handle(Self.request("/index.html")).status == 404)
        // `/` is the status page.
        #expect(routes.handle(Self.request("/")).status == 200)
    }
}
