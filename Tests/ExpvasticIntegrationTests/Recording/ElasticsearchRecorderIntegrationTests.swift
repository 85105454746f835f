import Expvastic
import ExpvasticTestSupport
import Foundation
import Synchronization
import Testing

/// The Elasticsearch recorder against a real OpenSearch-compatible server (osmem-server), directly
/// and through the fault-injecting proxy.
@Suite(.serialized) struct ElasticsearchRecorderIntegrationTests {
    /// 2026-11-21T18:00:00Z: every document lands in `expvastic-2026.11.21`.
    static let baseMillis: Int64 = 1_795_284_000_000
    static let index = "expvastic-2026.11.21"

    static func document(reader: Int, sequence: Int, extra: String = "") -> Document {
        let millis = baseMillis + Int64(sequence) * 1000 + Int64(reader)
        let body =
            #"{"@timestamp":"\#(RFC3339.format(millis: millis))","endpoint":"http://127.0.0.1:1/debug/vars","#
            + #""memstats.HeapAlloc":\#(1000 + sequence),"reader":"app_\#(reader)","type":"my_app"\#(extra)}"#
        return Document(
            id: "app_\(reader)-\(sequence)", timestampMillis: millis, reader: "app_\(reader)", body: Array(body.utf8))
    }

    /// 1,000 documents: 100 from each of 10 readers.
    static let thousand: [Document] = (0..<10).flatMap { reader in
        (0..<100).map { document(reader: reader, sequence: $0) }
    }

    struct Rig {
        let recorder: ElasticsearchRecorder
        let metrics: MetricsRegistry
        let logs: InMemoryLogHandler
        let spool: InMemorySpool
        let spoolDirectory: String
        let running: Task<Void, any Error>

        func counter(_ name: String) -> Int64 {
            if case .counter(let value)? = metrics.value(MetricKey(name, labels: [.init("recorder", "es")])) {
                return value
            }
            return -1
        }

        /// Finishes (10 s deadline) and waits for `run()` to return.
        func finish() async throws {
            await recorder.finish(deadline: SystemClock().monotonicNanos() + 10_000_000_000)
            try await running.value
            let directory = spoolDirectory
            _ = await Blocking.run { try? FileManager.default.removeItem(atPath: directory) }
        }
    }

    static func start(
        endpoints: [Endpoint], bulkMaxDocs: Int = 100, flushInterval: Duration = .milliseconds(50),
        configure: (inout ElasticsearchConfiguration) -> Void = { _ in }
    ) throws -> Rig {
        let spoolDirectory = NSTemporaryDirectory() + "expvastic-it-\(UUID().uuidString)"
        var configuration = ElasticsearchConfiguration(
            endpoints: endpoints, indexName: try IndexName("expvastic-%{+yyyy.MM.dd}"), spoolDirectory: spoolDirectory)
        configuration.bulkMaxDocs = bulkMaxDocs
        configuration.flushInterval = flushInterval
        configuration.timeout = .seconds(5)
        configure(&configuration)
        let logs = InMemoryLogHandler()
        let metrics = MetricsRegistry()
        let spool = InMemorySpool()
        let recorder = ElasticsearchRecorder(
            name: "es", configuration: configuration, transport: SocketHTTPTransport(), spool: spool,
            clock: SystemClock(), metrics: metrics,
            logger: Logger(component: "recorder.es", level: .debug, handler: logs))
        let running = Task { try await recorder.run() }
        return Rig(
            recorder: recorder, metrics: metrics, logs: logs, spool: spool, spoolDirectory: spoolDirectory,
            running: running)
    }

    /// Hands documents over from `readers` concurrent tasks, as engines would.
    static func feed(_ documents: [Document], to recorder: ElasticsearchRecorder, readers: Int = 10) async {
        await withTaskGroup(of: Void.self) { group in
            for reader in 0..<readers {
                group.addTask {
                    for (offset, document) in documents.enumerated() where offset % readers == reader {
                        recorder.accept(document)
                    }
                }
            }
        }
    }

    /// Polls (bounded) until the index holds `expected` documents; returns the last count.
    static func waitForCount(_ server: OsmemServer, _ expected: Int, within seconds: Double = 8) async -> Int {
        let start = ContinuousClock.now
        var last = -1
        while ContinuousClock.now - start < .milliseconds(Int(seconds * 1000)) {
            last = (try? await server.count(index: index)) ?? -1
            if last >= expected { return last }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return last
    }

    // MARK: - Straight to the server

    @Test func thousandDocumentsFromTenReadersArriveExactlyOnceWithTheTemplate() async throws {
        let server = try await OsmemServer()
        defer { server.stop() }
        let rig = try Self.start(endpoints: [server.endpoint])
        await Self.feed(Self.thousand, to: rig.recorder)
        #expect(await Self.waitForCount(server, 1000) == 1000)
        try await rig.finish()
        #expect(try await server.count(index: Self.index) == 1000)
        let ids = try await server.search(index: Self.index)
        #expect(ids.count == 1000)
        #expect(Set(ids) == Set(Self.thousand.map(\.id)))
        #expect(try await server.indexTemplates().contains("expvastic"))
        #expect(try await server.fieldType(index: Self.index, path: "memstats.HeapAlloc") == "long")
        #expect(try await server.fieldType(index: Self.index, path: "reader") == "keyword")
        #expect(try await server.fieldType(index: Self.index, path: "@timestamp") == "date")
        #expect(rig.counter("docs_sent") == 1000)
        #expect(rig.counter("docs_dropped") == 0)
        #expect(rig.counter("docs_spooled") == 0)
        #expect(rig.spool.documents.isEmpty)
    }

    @Test func aNumberFirstWrittenAsZeroIsMappedAsFloatingPoint() async throws {
        let server = try await OsmemServer()
        defer { server.stop() }
        let rig = try Self.start(endpoints: [server.endpoint])
        let zero = Self.document(reader: 0, sequence: 1, extra: #","gauge.ratio":0"#)
        let quarter = Self.document(reader: 0, sequence: 2, extra: #","gauge.ratio":0.25"#)
        rig.recorder.accept(zero)
        rig.recorder.accept(quarter)
        #expect(await Self.waitForCount(server, 2) == 2)
        try await rig.finish()
        #expect(try await server.fieldType(index: Self.index, path: "gauge.ratio") == "double")
        let source = try #require(try await server.source(index: Self.index, id: quarter.id))
        #expect((source["gauge.ratio"] as? NSNumber)?.doubleValue == 0.25)
    }

    @Test func outageIsSpooledAndReplayedWithTheTemplateReinstalled() async throws {
        let server = try await OsmemServer()
        defer { server.stop() }
        let rig = try Self.start(endpoints: [server.endpoint], bulkMaxDocs: 20)
        let first = Array(Self.thousand.prefix(20))
        let later = Array(Self.thousand.dropFirst(20).prefix(80))
        await Self.feed(first, to: rig.recorder)
        #expect(await Self.waitForCount(server, 20) == 20)
        await server.terminate()
        await Self.feed(later, to: rig.recorder)
        let spooled = await waitUntil { rig.spool.documents.count == 80 }
        #expect(spooled)
        try await server.start()
        // The fresh server knows nothing: the template comes back, then the spooled documents.
        #expect(await Self.waitForCount(server, 80) == 80)
        try await rig.finish()
        #expect(Set(try await server.search(index: Self.index)) == Set(later.map(\.id)))
        #expect(try await server.indexTemplates().contains("expvastic"))
        let messages = rig.logs.records.map(\.message)
        #expect(messages.filter { $0.contains("cluster unreachable") }.count == 1)
        #expect(messages.filter { $0.contains("cluster reachable again") }.count == 1)
        #expect(rig.counter("docs_replayed") == 80)
    }

    @Test func twoEndpointsOneRefusingEverythingArrivesThroughTheOther() async throws {
        let server = try await OsmemServer()
        defer { server.stop() }
        let refusing = Endpoint(scheme: "http", host: "127.0.0.1", port: try FaultProxy.refusingPort(), path: "/")
        let rig = try Self.start(endpoints: [refusing, server.endpoint], bulkMaxDocs: 50)
        let documents = Array(Self.thousand.prefix(300))
        await Self.feed(documents, to: rig.recorder)
        #expect(await Self.waitForCount(server, 300) == 300)
        try await rig.finish()
        #expect(Set(try await server.search(index: Self.index)).count == 300)
        #expect(rig.counter("docs_sent") == 300)
        #expect(rig.counter("docs_spooled") == 0)
        #expect(rig.logs.records.contains { $0.message.contains("endpoint not answering") })
    }

    // MARK: - Through the fault proxy

    @Test func tenPercentOfItemsRejectedWith429AreRetriedAloneAndStoredOnce() async throws {
        let server = try await OsmemServer()
        defer { server.stop() }
        let proxy = try FaultProxy(
            upstreamPort: server.port,
            rules: .init(item: { $0.timesSeenBefore == 0 && $0.sequence % 10 == 0 ? .tooManyRequests : nil }))
        defer { proxy.stop() }
        let rig = try Self.start(endpoints: [proxy.endpoint])
        await Self.feed(Self.thousand, to: rig.recorder)
        #expect(await Self.waitForCount(server, 1000) == 1000)
        try await rig.finish()
        #expect(try await server.count(index: Self.index) == 1000)
        #expect(Set(try await server.search(index: Self.index)).count == 1000)
        let faulted = proxy.faultedItems
        #expect(faulted.count == 100)
        // Only the rejected items were sent again: each of them twice, everything else once.
        let forwarded = proxy.forwardedIDs
        #expect(forwarded.count == 1000)
        #expect(forwarded.values.allSatisfy { $0 == 1 })
        #expect(proxy.createdIDs.values.allSatisfy { $0 == 1 })
        #expect(proxy.createdIDs.count == 1000)
        #expect(rig.counter("docs_retried") == 100)
        #expect(rig.counter("docs_sent") == 1000)
    }

    @Test func onePercentMappingErrorsGoToTheDeadLetterFileAndTheRestIsIndexed() async throws {
        let server = try await OsmemServer()
        defer { server.stop() }
        let rejected = Set(Self.thousand.enumerated().filter { $0.offset % 100 == 7 }.map(\.element.id))
        let proxy = try FaultProxy(
            upstreamPort: server.port, rules: .init(item: { rejected.contains($0.id) ? .mappingError : nil }))
        defer { proxy.stop() }
        let rig = try Self.start(endpoints: [proxy.endpoint])
        await Self.feed(Self.thousand, to: rig.recorder)
        #expect(await Self.waitForCount(server, 990) == 990)
        let deadLetterPath = rig.spoolDirectory + "/dead-letter.ndjson"
        #expect(await waitUntil { rig.counter("docs_dead_lettered") == 10 })
        let text = try String(contentsOfFile: deadLetterPath, encoding: .utf8)
        try await rig.finish()
        var ids = Set<String>()
        for line in text.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["status"] as? Int == 400)
            let error = object["error"] as? [String: Any]
            #expect(error?["type"] as? String == "mapper_parsing_exception")
            #expect((error?["reason"] as? String)?.contains("failed to parse") == true)
            let action = (object["action"] as? [String: Any])?["create"] as? [String: Any]
            #expect(action?["_index"] as? String == Self.index)
            if let id = action?["_id"] as? String { ids.insert(id) }
            #expect(object["document"] is [String: Any])
        }
        #expect(ids == rejected)
        #expect(try await server.count(index: Self.index) == 990)
        #expect(Set(try await server.search(index: Self.index)).isDisjoint(with: rejected))
    }

    @Test func wholeRequest429IsNotRetriedBeforeRetryAfter() async throws {
        let server = try await OsmemServer()
        defer { server.stop() }
        let proxy = try FaultProxy(
            upstreamPort: server.port,
            rules: .init(request: {
                $0.path.hasSuffix("/_bulk") && $0.bulkSequence == 0 ? .status(429, retryAfter: "2") : nil
            }))
        defer { proxy.stop() }
        let rig = try Self.start(endpoints: [proxy.endpoint])
        let documents = Array(Self.thousand.prefix(10))
        await Self.feed(documents, to: rig.recorder)
        #expect(await Self.waitForCount(server, 10) == 10)
        try await rig.finish()
        let bulks = proxy.requests.filter { $0.path.hasSuffix("/_bulk") }
        #expect(bulks.count == 2)
        if bulks.count == 2 {
            let gap = Double(bulks[1].receivedAt - bulks[0].receivedAt) / 1e9
            #expect(gap >= 2.0)
            #expect(gap < 4.0)
        }
        #expect(rig.counter("bulk_failures") == 1)
        #expect(rig.logs.records.contains { $0.message.contains("slow down") })
    }

    @Test func resetInTheMiddleOfTheBodyIsRetriedAndEndsExact() async throws {
        let server = try await OsmemServer()
        defer { server.stop() }
        let proxy = try FaultProxy(
            upstreamPort: server.port,
            rules: .init(request: { $0.path.hasSuffix("/_bulk") && $0.bulkSequence == 1 ? .resetMidBody : nil }))
        defer { proxy.stop() }
        // URLSession on Linux notices the reset only at the request timeout; keep it short.
        let rig = try Self.start(endpoints: [proxy.endpoint]) { $0.timeout = .seconds(2) }
        let documents = Array(Self.thousand.prefix(500))
        await Self.feed(documents, to: rig.recorder)
        #expect(await Self.waitForCount(server, 500) == 500)
        try await rig.finish()
        #expect(proxy.resets == 1)
        #expect(try await server.count(index: Self.index) == 500)
        #expect(Set(try await server.search(index: Self.index)) == Set(documents.map(\.id)))
        #expect(proxy.createdIDs.values.allSatisfy { $0 == 1 })
    }

    @Test(arguments: ["basic", "api_key"])
    func credentialsReachTheServerAndNeverTheLogs(_ kind: String) async throws {
        let server = try await OsmemServer()
        defer { server.stop() }
        // Every bulk is refused once and one item is rejected, so errors are logged too.
        let proxy = try FaultProxy(
            upstreamPort: server.port,
            rules: .init(
                request: { $0.path.hasSuffix("/_bulk") && $0.bulkSequence == 0 ? .status(503, retryAfter: nil) : nil },
                item: { $0.sequence == 3 ? .mappingError : nil }))
        defer { proxy.stop() }
        let secret = "Sup3r-s3cret-\(kind)"
        let rig = try Self.start(endpoints: [proxy.endpoint]) { configuration in
            if kind == "basic" {
                configuration.username = "shipper"
                configuration.password = Secret(secret)
            } else {
                configuration.apiKey = Secret(secret)
            }
        }
        await Self.feed(Array(Self.thousand.prefix(20)), to: rig.recorder)
        #expect(await Self.waitForCount(server, 19) == 19)
        try await rig.finish()
        let expected =
            kind == "basic" ? "Basic " + Data("shipper:\(secret)".utf8).base64EncodedString() : "ApiKey " + secret
        let requests = proxy.requests
        #expect(!requests.isEmpty)
        #expect(requests.allSatisfy { $0.headers["authorization"] == expected })
        let logText = rig.logs.records.map(\.formatted).joined(separator: "\n")
        #expect(logText.contains("dead-letter"))
        #expect(!logText.contains(secret))
        #expect(!logText.contains(Data("shipper:\(secret)".utf8).base64EncodedString()))
    }
}

/// Polls (bounded, real time) until `condition` holds.
func waitUntil(within seconds: Double = 8, _ condition: () -> Bool) async -> Bool {
    let start = ContinuousClock.now
    while ContinuousClock.now - start < .milliseconds(Int(seconds * 1000)) {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
