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
            registry: registry, processStats: { ProcessStats(rssBytes: 1234, cpuSeconds: 0.5) })
        let document = try await reader.read(startedAtWallNanos: ReaderHarness.start)[0]
        let text = ReaderHarness.text(document)
        #expect(
            text
                == #"{"@timestamp":"2026-11-21T18:00:00.123Z","endpoint":"self","process.cpu_seconds":0.5,"#
                + #""process.rss_bytes":1234,"reader":"self","#
                + #""readers.FirstApp.poll_latency.count":2,"readers.FirstApp.poll_latency.last_ns":300,"#
                + #""readers.FirstApp.poll_latency.max_ns":300,"#
                + #""readers.FirstApp.poll_latency.mean_ns":200.0,"readers.FirstApp.poll_latency.min_ns":100,"#
                + #""readers.FirstApp.poll_latency.sum_ns":400,"readers.FirstApp.polls_ok":3,"#
                + #""recorders.es.spool_bytes":2.0,"type":"expvastic"}"#)
        #expect(document.id == DocumentID.make(reader: "self", endpoint: "self", timestampMillis: 1_795_284_000_123))
    }
}
