import ExpvasticTestSupport
import Testing

@testable import Expvastic

/// Recorders of one process that share a template base name.
extension ElasticsearchRecorderTests {
    @Test func recordersSharingABaseNameInstallTheirOwnTemplatesAndNeverOverwriteAnother() async throws {
        let transport = BulkFakeTransport(BulkFakeTransport.healthy)
        let clock = ManualClock()
        let logs = InMemoryLogHandler()
        let metrics = MetricsRegistry()
        let claims = IndexTemplateClaims()
        var recorders: [ElasticsearchRecorder] = []
        // Started one after the other, so that which one claims `coll` first is known.
        for (name, index) in [("plain", "coll"), ("dated", "coll-%{+yyyy.MM.dd}"), ("yearly", "coll%{+yyyy}")] {
            var configuration = try Self.configuration()
            configuration.indexName = try IndexName(index)
            let recorder = ElasticsearchRecorder(
                name: name, configuration: configuration, transport: transport, spool: InMemorySpool(), clock: clock,
                metrics: metrics,
                logger: Logger(component: "recorder.\(name)", level: .info, handler: logs, clock: clock),
                random: { $0.upperBound }, templateClaims: claims)
            recorders.append(recorder)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (offset, recorder) in recorders.enumerated() {
                group.addTask { try await recorder.run() }
                recorder.accept(Self.doc(offset))
                recorder.accept(Self.doc(offset + 10))
                let sent = MetricKey("docs_sent", labels: [.init("recorder", recorder.name)])
                #expect(await eventually { metrics.value(sent) == .counter(2) })
            }
            for recorder in recorders { await recorder.finish(deadline: clock.monotonicNanos() + 1_000_000_000) }
            try await group.waitForAll()
        }
        let puts = transport.requests.filter { $0.method == "PUT" }
        #expect(puts.map(\.path) == ["/_index_template/coll-exact", "/_index_template/coll"])
        #expect(
            puts.map { String(decoding: $0.body, as: UTF8.self) } == [
                IndexTemplate(indexPattern: "coll", kind: .composable).bodyText,
                IndexTemplate(indexPattern: "coll-*", kind: .composable).bodyText,
            ])
        let refusal = try #require(logs.records.first { $0.message.hasPrefix("index template not installed") })
        #expect(refusal.level == .error)
        #expect(refusal.formatted.contains("recorder dated"))
        #expect(refusal.formatted.contains("coll*"))
    }
}
