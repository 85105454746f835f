import ExpvasticTestSupport
import Foundation
import Testing

@testable import Expvastic

/// The async shell around ``BulkStateMachine``, over a fake transport and a manual clock.
@Suite struct ElasticsearchRecorderTests {
    static func doc(_ n: Int) -> Document {
        Document(
            id: "id-\(n)", timestampMillis: 1_795_284_000_000 + Int64(n), reader: "r", body: Array(#"{"n":\#(n)}"#.utf8)
        )
    }

    static func configuration(spoolDirectory: String = "/nonexistent/spool") throws -> ElasticsearchConfiguration {
        var configuration = ElasticsearchConfiguration(
            endpoints: [Endpoint(scheme: "http", host: "127.0.0.1", port: 9, path: "/")],
            indexName: try IndexName("expvastic-%{+yyyy.MM.dd}"), spoolDirectory: spoolDirectory)
        configuration.bulkMaxDocs = 2
        configuration.timeout = .seconds(5)
        return configuration
    }

    struct Rig {
        let recorder: ElasticsearchRecorder
        let transport: BulkFakeTransport
        let clock: ManualClock
        let metrics: MetricsRegistry
        let logs: InMemoryLogHandler
        let spool: InMemorySpool

        func counter(_ name: String) -> Int64 {
            if case .counter(let value)? = metrics.value(MetricKey(name, labels: [.init("recorder", "es")])) {
                return value
            }
            return -1
        }

        var logText: String { logs.records.map(\.formatted).joined(separator: "\n") }
    }

    static func rig(
        _ configuration: ElasticsearchConfiguration,
        handler: @escaping BulkFakeTransport.Handler = BulkFakeTransport.healthy
    ) -> Rig {
        let clock = ManualClock()
        let logs = InMemoryLogHandler()
        let metrics = MetricsRegistry()
        let transport = BulkFakeTransport(handler)
        let spool = InMemorySpool()
        let recorder = ElasticsearchRecorder(
            name: "es", configuration: configuration, transport: transport, spool: spool, clock: clock,
            metrics: metrics, logger: Logger(component: "recorder.es", level: .debug, handler: logs, clock: clock),
            random: { $0.upperBound })
        return Rig(recorder: recorder, transport: transport, clock: clock, metrics: metrics, logs: logs, spool: spool)
    }

    @Test func probesInstallsTheTemplateThenSendsNDJSONWithTheAPIKey() async throws {
        var configuration = try Self.configuration()
        configuration.apiKey = Secret("key-123")
        let rig = Self.rig(configuration)
        async let running: Void = rig.recorder.run()
        rig.recorder.accept(Self.doc(1))
        rig.recorder.accept(Self.doc(2))
        #expect(await eventually { rig.counter("docs_sent") == 2 })
        let requests = rig.transport.requests
        #expect(
            requests.map { "\($0.method) \($0.path)" } == ["GET /", "PUT /_index_template/expvastic", "POST /_bulk"])
        for request in requests {
            #expect(request.headers.contains { $0.name == "Authorization" && $0.value == "ApiKey key-123" })
        }
        // Bounds-checked: a slow run must fail the expectations above, not crash the whole suite.
        let bulk = try #require(requests.count == 3 ? requests[2] : nil)
        #expect(bulk.headers.contains { $0.name == "Content-Type" && $0.value == "application/x-ndjson" })
        // gzip by default (`compression: gzip`).
        #expect(bulk.headers.contains { $0.name == "Content-Encoding" && $0.value == "gzip" })
        #expect(
            String(decoding: try Gzip.decompress(bulk.body), as: UTF8.self) == """
                {"create":{"_index":"expvastic-2026.11.21","_id":"id-1"}}
                {"n":1}
                {"create":{"_index":"expvastic-2026.11.21","_id":"id-2"}}
                {"n":2}

                """)
        #expect(
            String(decoding: requests[1].body, as: UTF8.self)
                == IndexTemplate(indexPattern: "expvastic-*", kind: .composable).bodyText)
        await rig.recorder.finish(deadline: rig.clock.monotonicNanos() + 1_000_000_000)
        try await running
        #expect(rig.counter("bulk_requests") == 1)
        #expect(rig.counter("docs_queued") == 2)
        #expect(rig.counter("docs_dropped") == 0)
        #expect(rig.metrics.value(MetricKey("bulk_latency", labels: [.init("recorder", "es")])) != nil)
    }

    @Test func downtimeIsLoggedInTenthsOfSeconds() {
        #expect(ElasticsearchRecorder.seconds(tenthsOf: 0) == "0.0")
        #expect(ElasticsearchRecorder.seconds(tenthsOf: 49_999_999) == "0.0")
        #expect(ElasticsearchRecorder.seconds(tenthsOf: 50_000_000) == "0.1")
        #expect(ElasticsearchRecorder.seconds(tenthsOf: 12_345_000_000) == "12.3")
        #expect(ElasticsearchRecorder.seconds(tenthsOf: 19_960_000_000) == "20.0")
    }

    @Test func basicAuthHeaderAndNoSecretInAnyLog() async throws {
        var configuration = try Self.configuration()
        configuration.username = "user"
        configuration.password = Secret("s3cret-pw")
        let rig = Self.rig(configuration) { request in
            HTTPResponse(
                status: 401,
                body: Array(#"{"error":{"type":"security_exception","reason":"unable to authenticate"}}"#.utf8))
        }
        async let running: Void = rig.recorder.run()
        rig.recorder.accept(Self.doc(1))
        #expect(await eventually { rig.logs.records.contains { $0.message.contains("unreachable") } })
        let header = try #require(rig.transport.requests.first?.headers.first { $0.name == "Authorization" })
        #expect(header.value == "Basic " + Data("user:s3cret-pw".utf8).base64EncodedString())
        await rig.recorder.finish(deadline: rig.clock.monotonicNanos())
        try await running
        #expect(rig.logText.contains("401"))
        #expect(!rig.logText.contains("s3cret-pw"))
        #expect(!rig.logText.contains(Data("user:s3cret-pw".utf8).base64EncodedString()))
        #expect(rig.spool.documents == [Self.doc(1)])
    }

    @Test func unreachableClusterSpoolsThenReplaysOnceItAnswers() async throws {
        let rig = Self.rig(try Self.configuration()) { _ throws(HTTPError) in throw .connectFailed("connection refused")
        }
        async let running: Void = rig.recorder.run()
        for n in 1...2 { rig.recorder.accept(Self.doc(n)) }
        #expect(await eventually { rig.spool.documents.count == 2 })
        #expect(rig.counter("docs_spooled") == 2)
        rig.transport.setHandler(BulkFakeTransport.healthy)
        // Advance time until the probe backoff has passed and the spool is replayed.
        for _ in 0..<40 where rig.counter("docs_sent") < 2 {
            _ = await eventually(within: 1) { rig.clock.sleeperCount > 0 }
            rig.clock.advance(by: .milliseconds(500))
            _ = await eventually(within: 0.2) { rig.counter("docs_sent") == 2 }
        }
        #expect(rig.counter("docs_sent") == 2)
        #expect(await eventually { rig.spool.documents.isEmpty })
        #expect(rig.counter("docs_replayed") == 2)
        await rig.recorder.finish(deadline: rig.clock.monotonicNanos())
        try await running
        let messages = rig.logs.records.map(\.message)
        #expect(messages.filter { $0.contains("cluster unreachable") }.count == 1)
        // Never connected before: the first success is logged as the connection, once.
        #expect(messages.filter { $0.contains("connected to the cluster") }.count == 1)
    }

    @Test func rejectedItemsGoToTheDeadLetterFileWithTheirReason() async throws {
        try await withTemporaryDirectory(prefix: "expvastic-dl") { directory in
            let rig = Self.rig(try Self.configuration(spoolDirectory: directory)) { request throws(HTTPError) in
                guard request.path == "/_bulk" else { return try await BulkFakeTransport.healthy(request) }
                let body = #"""
                    {"took":1,"errors":true,"items":[{"create":{"_id":"id-1","status":201}},
                    {"create":{"_id":"id-2","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse"}}}]}
                    """#
                return HTTPResponse(status: 200, body: Array(body.utf8))
            }
            async let running: Void = rig.recorder.run()
            rig.recorder.accept(Self.doc(1))
            rig.recorder.accept(Self.doc(2))
            #expect(await eventually { rig.counter("docs_dead_lettered") == 1 })
            await rig.recorder.finish(deadline: rig.clock.monotonicNanos())
            try await running
            let text = try String(contentsOfFile: directory + "/dead-letter.ndjson", encoding: .utf8)
            let lines = text.split(separator: "\n")
            #expect(lines.count == 1)
            let line = try #require(lines.first)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["status"] as? Int == 400)
            let error = try #require(object["error"] as? [String: Any])
            #expect(error["type"] as? String == "mapper_parsing_exception")
            // No field is named: the document goes whole (a named field would be removed instead).
            #expect(error["reason"] as? String == "failed to parse")
            #expect((object["document"] as? [String: Any])?["n"] as? Int == 2)
            #expect(((object["action"] as? [String: Any])?["create"] as? [String: Any])?["_id"] as? String == "id-2")
            #expect(object["recorder"] as? String == "es")
            #expect(rig.counter("docs_sent") == 1)
        }
    }

    @Test func finishSpoolsWhatIsStillInFlightAtTheDeadline() async throws {
        let rig = Self.rig(try Self.configuration()) { request throws(HTTPError) in
            guard request.path == "/_bulk" else { return try await BulkFakeTransport.healthy(request) }
            try? await Task.sleep(for: .seconds(30))
            throw .timedOut(.seconds(30))
        }
        async let running: Void = rig.recorder.run()
        for n in 1...3 { rig.recorder.accept(Self.doc(n)) }
        #expect(await eventually { rig.transport.requests.contains { $0.path == "/_bulk" } })
        let deadline = rig.clock.monotonicNanos() + 2_000_000_000
        async let finished: Void = rig.recorder.finish(deadline: deadline)
        _ = await eventually { rig.clock.sleeperCount > 0 }
        rig.clock.advance(by: .seconds(2))
        await finished
        try await running
        #expect(Set(rig.spool.documents.map(\.id)) == ["id-1", "id-2", "id-3"])
        #expect(rig.counter("docs_spooled") == 3)
        // Accepted after shutdown: still kept.
        rig.recorder.accept(Self.doc(4))
        #expect(rig.spool.documents.count == 4)
    }
}

extension ElasticsearchRecorderTests {
    /// The typed status the status page and `/healthz` read (not metric names).
    @Test func statusIsConnectingThenSpoolingWithTheErrorThenConnected() async throws {
        let rig = Self.rig(try Self.configuration()) { _ throws(HTTPError) in throw .connectFailed("connection refused")
        }
        #expect(
            rig.recorder.status
                == RecorderStatus(
                    name: "es", kind: "elasticsearch", destination: "http://127.0.0.1:9/", state: .connecting))
        async let running: Void = rig.recorder.run()
        for n in 1...2 { rig.recorder.accept(Self.doc(n)) }
        #expect(await eventually { rig.spool.documents.count == 2 })
        let away = rig.recorder.status
        #expect(away.state == .spooling)
        #expect(away.spoolBytes == 14 && away.spoolSegments == 1 && away.queueLength == 0)
        #expect(away.lastError?.hasPrefix("cluster unreachable: ") == true, "\(away.lastError ?? "nil")")
        #expect(away.lastError?.contains("connection refused") == true)
        #expect(away.clusterVersion == nil && away.documentsSent == 0)
        rig.transport.setHandler(BulkFakeTransport.healthy)
        for _ in 0..<40 where rig.counter("docs_sent") < 2 {
            _ = await eventually(within: 1) { rig.clock.sleeperCount > 0 }
            rig.clock.advance(by: .milliseconds(500))
            _ = await eventually(within: 0.2) { rig.counter("docs_sent") == 2 }
        }
        #expect(await eventually { rig.recorder.status.state == .connected })
        let back = rig.recorder.status
        #expect(back.documentsSent == 2 && back.spoolBytes == 0 && back.clusterVersion != nil)
        await rig.recorder.finish(deadline: rig.clock.monotonicNanos())
        try await running
    }
}
