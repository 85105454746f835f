import ExpvasticTestSupport
import Foundation
import Testing

@testable import Expvastic

@Suite struct StatusPageTests {
    static let now: Int64 = 1_795_000_000_000_000_000

    static func target(
        _ job: String, state: StatusSnapshot.Target.State = .up, error: String? = nil,
        endpoint: String? = nil, polledAgo seconds: Int64 = 3, durationNanos: UInt64 = 2_500_000
    ) -> StatusSnapshot.Target {
        StatusSnapshot.Target(
            job: job, endpoint: endpoint ?? "http://127.0.0.1:1234/\(job)", state: state,
            lastPollWallNanos: now - seconds * 1_000_000_000, lastPollNanos: durationNanos,
            consecutiveFailures: state == .up ? 0 : 2, lastError: error)
    }

    static func count(of needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    @Test func scriptInALabelErrorEndpointOrNameRendersAsText() throws {
        let evil = "<script>alert(1)</script>"
        var target = Self.target("job\(evil)", state: .failing, error: "HTTP 500: \(evil) & \"quotes\" 'too'")
        target.endpoint = "http://127.0.0.1:1/\(evil)"
        target.labels = [(name: "env\(evil)", value: evil)]
        target.owner = evil
        target.droppedFields = [(reason: evil, count: 1)]
        let recorder = RecorderStatus(
            name: "es\(evil)", kind: "elasticsearch", destination: "http://h:9200/\(evil)", clusterVersion: evil,
            state: .spooling, lastError: evil)
        let snapshot = StatusSnapshot(
            wallNanos: Self.now, targets: [target], recorders: [recorder],
            discoverySources: [.init(job: evil, source: evil, state: evil, targets: 1, lastError: evil)],
            poolMembers: [.init(name: evil, state: evil, targets: 1)])
        let html = StatusPage(snapshot: snapshot, query: StatusQuery(text: evil)).render()
        // The page's own script is the only one.
        #expect(Self.count(of: "<script>", in: html) == 1)
        #expect(!html.contains("alert(1)</script>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("HTTP 500: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot; &#39;too&#39;"))
        // In the filter box's value attribute too.
        #expect(html.contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""))
        // The JSON carries the text as it is (JSON is not HTML), correctly quoted.
        let json = snapshot.targetsJSON(query: StatusQuery())
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let targets = try #require(root["targets"] as? [[String: Any]])
        #expect(targets.first?["job"] as? String == "job\(evil)")
        #expect(targets.first?["labels"] as? [String: String] == ["env\(evil)": evil])
    }

    @Test func urlCredentialsAreMaskedAsCheckMasksThem() throws {
        let target = Self.target(
            "app", state: .failing, error: "cannot connect to http://admin:hunter2@10.0.0.1:9200/: refused",
            endpoint: "http://admin:hunter2@10.0.0.1:1234/debug/vars")
        let recorder = RecorderStatus(
            name: "es", kind: "elasticsearch", destination: "https://elastic:s3cret@es.example:9200",
            lastError: "cluster unreachable: https://elastic:s3cret@es.example:9200")
        let snapshot = StatusSnapshot(wallNanos: Self.now, targets: [target], recorders: [recorder])
        let html = StatusPage(snapshot: snapshot).render()
        let json = snapshot.targetsJSON(query: StatusQuery())
        for text in [html, json] {
            #expect(!text.contains("hunter2") && !text.contains("s3cret") && !text.contains("admin:"))
            #expect(text.contains("http://******@10.0.0.1:1234/debug/vars"))
            #expect(text.contains("https://******@es.example:9200"))
        }
    }

    @Test func rendersEachTargetsStateErrorAndTheEmptyDiscoveryAndPool() {
        let snapshot = StatusSnapshot(
            wallNanos: Self.now,
            targets: [
                Self.target("healthy"), Self.target("broken", state: .failing, error: "returned HTTP 503"),
                Self.target("away", state: .backingOff, error: "cannot connect: refused"),
            ],
            recorders: [
                RecorderStatus(
                    name: "es", kind: "elasticsearch", destination: "http://127.0.0.1:9", state: .spooling,
                    spoolBytes: 3 * 1024 * 1024 / 2, spoolSegments: 2, lastError: "cluster unreachable: refused")
            ])
        let html = StatusPage(snapshot: snapshot).render()
        #expect(html.contains("<tr class=\"target\" data-state=\"up\"><td class=\"job\">healthy</td>"))
        #expect(html.contains("<tr class=\"target\" data-state=\"failing\"><td class=\"job\">broken</td>"))
        #expect(html.contains("<tr class=\"target\" data-state=\"backing_off\"><td class=\"job\">away</td>"))
        #expect(html.contains("returned HTTP 503") && html.contains("cannot connect: refused"))
        #expect(html.contains("<span class=\"state spooling\">spooling</span>"))
        #expect(html.contains("1.5 MiB") && html.contains("2 segments"))
        #expect(html.contains("3s ago") && html.contains("2.5 ms"))
        #expect(html.contains("no discovery sources") && html.contains("not in a pool"))
        #expect(html.contains("prefers-color-scheme:dark") && html.contains("name=\"viewport\""))
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http"), "no external assets")
    }

    @Test func sparklineDrawsOnePointPerBucketAndMarksFailures() {
        let series: StatusPage.Series = (0..<120).map { (latencyNanos: UInt64($0 + 1) * 1000, ok: $0 != 119) }
        let svg = StatusPage.sparkline(series)
        let points = svg.split(separator: "points=\"")[1].split(separator: "\"")[0].split(separator: " ")
        #expect(points.count == StatusPage.sparklinePoints)
        // The highest latency is at the top (y = 2), the last bucket, and it failed.
        #expect(points.last == "119,2")
        #expect(svg.contains("<circle cx=\"119\" cy=\"2\""))
        #expect(Self.count(of: "<circle", in: svg) == 1)
        #expect(StatusPage.sparkline([]).contains("nodata"))
    }

    @Test func formatsDurationsBytesAndAges() {
        #expect(StatusPage.duration(850_000) == "850 µs")
        #expect(StatusPage.duration(12_345_678) == "12.3 ms")
        #expect(StatusPage.duration(1_250_000_000) == "1.25 s")
        #expect(StatusPage.bytes(512) == "512 B")
        #expect(StatusPage.bytes(1536) == "1.5 KiB")
        #expect(StatusPage.ago(500_000_000) == "just now")
        #expect(StatusPage.ago(90_000_000_000) == "90s ago")
        #expect(StatusPage.ago(600_000_000_000) == "10m ago")
        #expect(StatusPage.decimal(2.05, places: 1) == "2.1" || StatusPage.decimal(2.05, places: 1) == "2.0")
        #expect(StatusPage.decimal(-0.25, places: 2) == "-0.25")
    }

    @Test func routesServeOnePageOfHTMLAndJSONWithSparklinesFromTheSamples() throws {
        let clock = ManualClock()
        let samples = SampleCollection(clock: clock)
        for latency in [1_000_000, 3_000_000, 2_000_000] {
            samples.record(component: "reader.job-0001", kind: .poll, latency: .nanoseconds(latency), outcome: .ok)
        }
        let targets = (0..<10_000).map { Self.target("job-\(String($0 + 10_000).dropFirst())") }
        let routes = MonitoringRoutes(
            metrics: MetricsRegistry(), samples: samples,
            status: { StatusSnapshot(wallNanos: Self.now, targets: targets) })
        let started = ContinuousClock.now
        let page = routes.handle(MonitoringRoutesTests.request("/?per_page=50&page=1"))
        let elapsed = ContinuousClock.now - started
        #expect(page.status == 200)
        #expect(page.headers.contains { $0.name == "Content-Type" && $0.value == "text/html; charset=utf-8" })
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(Self.count(of: "<tr class=\"target\"", in: html) == 50)
        #expect(html.contains("showing 1–50 of 10000 matching (10000 targets)"))
        #expect(html.contains("page 1 of 200") && html.contains("href=\"/?page=2&amp;per_page=50\""))
        #expect(Self.count(of: "<polyline", in: html) == 1, "only job-0001 has samples")
        #expect(elapsed < .milliseconds(500), "one page of 10,000 targets took \(elapsed)")

        let json = routes.handle(MonitoringRoutesTests.request("/api/v1/targets?state=up&per_page=2&page=3"))
        #expect(json.status == 200)
        let root = try #require(try MonitoringRoutesTests.json(json) as? [String: Any])
        #expect(root["total"] as? Int == 10_000 && root["matching"] as? Int == 10_000 && root["pages"] as? Int == 5000)
        let rows = try #require(root["targets"] as? [[String: Any]])
        #expect(rows.compactMap { $0["job"] as? String } == ["job-0004", "job-0005"])
        #expect(rows.first?["state"] as? String == "up" && rows.first?["duration_ns"] as? Int == 2_500_000)
        #expect((root["pool"] as? [String: Any])?["members"] as? [Any] != nil)

        let bad = routes.handle(MonitoringRoutesTests.request("/api/v1/targets?state=sideways"))
        #expect(bad.status == 400)
        #expect(String(decoding: bad.body, as: UTF8.self).contains("state=sideways is not a target state"))
    }
}
