import Expvastic
import Foundation
import Testing

@Suite struct SelfReaderTests {
    @Test func fieldNames() {
        let reader = MetricKey.Label("reader", "FirstApp")
        #expect(SelfReader.fieldName(MetricKey("polls_ok", labels: [reader])) == "readers.FirstApp.polls_ok")
        #expect(
            SelfReader.fieldName(MetricKey("fields_dropped", labels: [reader, MetricKey.Label("reason", "null")]))
                == "readers.FirstApp.fields_dropped.null")
        #expect(
            SelfReader.fieldName(MetricKey("docs_sent", labels: [MetricKey.Label("recorder", "es")]))
                == "recorders.es.docs_sent")
        #expect(SelfReader.fieldName(MetricKey("process_rss_bytes")) == "process_rss_bytes")
        #expect(SelfReader.fieldName(MetricKey("x", labels: [MetricKey.Label("k", "v")])) == "x.v")
    }

    @Test func documentFromRegistry() async throws {
        let registry = MetricsRegistry()
        registry.counter(MetricKey("polls_ok", labels: [MetricKey.Label("reader", "FirstApp")])).increment(by: 3)
        registry.gauge(MetricKey("spool_bytes", labels: [MetricKey.Label("recorder", "es")])).set(2)
        registry.gauge(MetricKey("broken")).set(.nan)
        let timer = registry.timer(MetricKey("poll_latency", labels: [MetricKey.Label("reader", "FirstApp")]))
        timer.record(nanos: 100)
        timer.record(nanos: 300)
        let reader = SelfReader(
            configuration: ReaderConfiguration(name: "self", kind: .self, typeName: "expvastic", url: nil),
            registry: registry, processStats: { ProcessStats(rssBytes: 1234, cpuSeconds: 0.5) },
            commandLine: ["expvasyml", "-c", "a \"b\".yml"])
        let document = try await reader.read(startedAtWallNanos: ReaderHarness.start)[0]
        let text = ReaderHarness.text(document)
        #expect(
            text
                == #"{"@timestamp":"2026-11-21T18:00:00.123Z","cmdline":["expvasyml","-c","a \"b\".yml"],"#
                + #""endpoint":"self","process.cpu_seconds":0.5,"#
                + #""process.rss_bytes":1234,"reader":"self","#
                + #""readers.FirstApp.poll_latency.count":2,"readers.FirstApp.poll_latency.last_ns":300,"#
                + #""readers.FirstApp.poll_latency.max_ns":300,"#
                + #""readers.FirstApp.poll_latency.mean_ns":200.0,"readers.FirstApp.poll_latency.min_ns":100,"#
                + #""readers.FirstApp.poll_latency.sum_ns":400,"readers.FirstApp.polls_ok":3,"#
                + #""recorders.es.spool_bytes":2.0,"type":"expvastic"}"#)
        #expect(document.id == DocumentID.make(reader: "self", endpoint: "self", timestampMillis: 1_795_284_000_123))
    }

    /// The README promises the self document carries the values of `/debug/vars`: every leaf of the
    /// expvar JSON (nested keys joined by dots) is a field of the document, with the same value.
    @Test func carriesWhatDebugVarsCarries() async throws {
        let registry = MetricsRegistry()
        registry.counter(MetricKey("polls_ok", labels: [MetricKey.Label("reader", "app")])).increment(by: 2)
        registry.counter(MetricKey("docs_sent", labels: [MetricKey.Label("recorder", "es")])).increment(by: 5)
        registry.gauge(MetricKey("spool_bytes", labels: [MetricKey.Label("recorder", "es")])).set(7)
        let process = ProcessStats(rssBytes: 4096, cpuSeconds: 1.25)
        let commandLine = ["/usr/bin/expvasyml", "-c", "expvastic.yml"]
        let reader = SelfReader(
            configuration: ReaderConfiguration(name: "me", kind: .self, typeName: "expvastic", url: nil),
            registry: registry, processStats: { process }, commandLine: commandLine)
        let document = try await reader.read(startedAtWallNanos: ReaderHarness.start)[0]
        let fields = try #require(
            try JSONSerialization.jsonObject(with: Data(document.body)) as? [String: Any])
        let vars = ExpvarEncoder.encode(snapshot: registry.snapshot(), process: process, commandLine: commandLine)
        let nested = try #require(try JSONSerialization.jsonObject(with: Data(vars)) as? [String: Any])
        var leaves: [String: Any] = [:]
        func flatten(_ object: [String: Any], _ prefix: String) {
            for (key, value) in object {
                if let child = value as? [String: Any] {
                    flatten(child, prefix + key + ".")
                } else {
                    leaves[prefix + key] = value
                }
            }
        }
        flatten(nested, "")
        #expect(leaves.keys.contains("cmdline"))
        for (path, value) in leaves {
            let field = try #require(fields[path], "\(path) is on /debug/vars but not in the self document")
            if let number = field as? NSNumber, let expected = value as? NSNumber {
                #expect(number.doubleValue == expected.doubleValue, "\(path)")
            } else {
                #expect("\(field)" == "\(value)", "\(path)")
            }
        }
        #expect(fields["cmdline"] as? [String] == commandLine)
    }
}
