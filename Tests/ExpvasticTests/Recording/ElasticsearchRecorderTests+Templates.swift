import ExpvasticTestSupport
import Synchronization
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

/// `compression` on the wire, through the socket client to a loopback server.
extension ElasticsearchRecorderTests {
    @Test(arguments: ElasticsearchConfiguration.Compression.allCases)
    func bulkBodiesAreGzippedUnlessCompressionIsNone(_ compression: ElasticsearchConfiguration.Compression)
        async throws
    {
        let bulks = Mutex<[RawHTTPRequest]>([])
        let server = try RawTCPServer(
            handler: SocketHTTPTransportTests.serve { request, _ in
                switch (request.method, request.target) {
                case ("GET", "/"): return RawTCPServer.response(body: BulkFakeTransport.rootBody)
                case ("POST", "/_bulk"):
                    bulks.withLock { $0.append(request) }
                    return RawTCPServer.response(text: #"{"took":1,"errors":false,"items":[]}"#)
                default: return RawTCPServer.response(text: #"{"acknowledged":true}"#)
                }
            })
        defer { server.stop() }
        var configuration = try Self.configuration()
        configuration.endpoints = [server.endpoint]
        configuration.compression = compression
        configuration.template = false
        let clock = ManualClock()
        let metrics = MetricsRegistry()
        let recorder = ElasticsearchRecorder(
            name: "es", configuration: configuration, transport: SocketHTTPTransport(), spool: InMemorySpool(),
            clock: clock, metrics: metrics, logger: Logger(component: "recorder.es", level: .error),
            random: { $0.upperBound })
        async let running: Void = recorder.run()
        recorder.accept(Self.doc(1))
        recorder.accept(Self.doc(2))
        let sent = MetricKey("docs_sent", labels: [.init("recorder", "es")])
        #expect(await eventually { metrics.value(sent) == .counter(2) })
        await recorder.finish(deadline: clock.monotonicNanos() + 1_000_000_000)
        try await running
        let bulk = try #require(bulks.withLock { $0.first })
        let ndjson = """
            {"create":{"_index":"expvastic-2026.11.21","_id":"id-1"}}
            {"n":1}
            {"create":{"_index":"expvastic-2026.11.21","_id":"id-2"}}
            {"n":2}

            """
        switch compression {
        case .gzip:
            #expect(bulk.header("Content-Encoding") == "gzip")
            #expect(Array(bulk.body.prefix(2)) == [0x1f, 0x8b])
            #expect(String(decoding: try Gzip.decompress(bulk.body), as: UTF8.self) == ndjson)
        case .none:
            #expect(bulk.header("Content-Encoding") == nil)
            #expect(String(decoding: bulk.body, as: UTF8.self) == ndjson)
        }
    }
}

/// Log lines an operator reads while the cluster is away and after.
extension ElasticsearchRecorderTests {
    @Test func countsAreGroupedInThousands() {
        #expect(ElasticsearchRecorder.grouped(0) == "0")
        #expect(ElasticsearchRecorder.grouped(999) == "999")
        #expect(ElasticsearchRecorder.grouped(1200) == "1,200")
        #expect(ElasticsearchRecorder.grouped(4_800_000) == "4,800,000")
        #expect(ElasticsearchRecorder.grouped(-12345) == "-12,345")
    }

    @Test func failedConnectionsAreCountedAndShutdownSpoolIsLogged() async throws {
        let rig = Self.rig(try Self.configuration()) { _ throws(HTTPError) in
            throw HTTPError.connectFailed("connection refused")
        }
        async let running: Void = rig.recorder.run()
        rig.recorder.accept(Self.doc(1))
        #expect(await eventually { rig.counter("connection_failures") >= 1 })
        // The cluster is away: the document goes to the spool as it comes.
        #expect(await eventually { rig.spool.documents.count == 1 })
        await rig.recorder.finish(deadline: rig.clock.monotonicNanos())
        try await running
        #expect(rig.spool.documents == [Self.doc(1)])
        #expect(!rig.logText.contains("at shutdown"))
        // One that arrives after the loop is gone is spooled at once, and said so.
        rig.recorder.accept(Self.doc(2))
        #expect(rig.spool.documents == [Self.doc(1), Self.doc(2)])
        #expect(rig.logText.contains("spooled 1 documents at shutdown"))
    }

    @Test func replayProgressIsLoggedWhenTheSpoolIsEmpty() async throws {
        let rig = Self.rig(try Self.configuration()) { _ throws(HTTPError) in
            throw HTTPError.connectFailed("connection refused")
        }
        async let running: Void = rig.recorder.run()
        for n in 1...3 { rig.recorder.accept(Self.doc(n)) }
        #expect(await eventually { rig.spool.documents.count == 3 })
        rig.transport.setHandler(BulkFakeTransport.healthy)
        for _ in 0..<40 where !rig.spool.documents.isEmpty || rig.counter("docs_replayed") < 3 {
            _ = await eventually(within: 1) { rig.clock.sleeperCount > 0 }
            rig.clock.advance(by: .milliseconds(500))
            _ = await eventually(within: 0.2) { rig.counter("docs_replayed") == 3 }
        }
        #expect(await eventually { rig.logText.contains("spool replayed: 3 spooled documents sent since start") })
        await rig.recorder.finish(deadline: rig.clock.monotonicNanos())
        try await running
        #expect(rig.logs.records.filter { $0.message.hasPrefix("spool replayed") }.count == 1)
    }
}
