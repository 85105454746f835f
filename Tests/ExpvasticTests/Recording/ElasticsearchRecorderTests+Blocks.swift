import ExpvasticTestSupport
import Synchronization
import Testing

@testable import Expvastic

/// A read-only index (flood-stage disk watermark) for 30 s of the recorder's clock, then lifted.
extension ElasticsearchRecorderTests {
    /// Elasticsearch 7.x's answer to a bulk request while the index is read-only, item for item.
    static func blockedAnswer(_ request: HTTPRequest) throws -> HTTPResponse {
        let ndjson = try Gzip.decompress(request.body)
        let ids = ndjson.split(separator: UInt8(ascii: "\n")).enumerated().compactMap { index, line in
            index % 2 == 0 ? String(decoding: line, as: UTF8.self).split(separator: "\"")[9] : nil
        }
        let items = ids.map { id in
            #"{"create":{"_index":"expvastic-2026.11.21","_type":"_doc","_id":"\#(id)","status":403,"error":{"type":"cluster_block_exception","reason":"index [expvastic-2026.11.21] blocked by: [FORBIDDEN/12/index read-only / allow delete (api)];"}}}"#
        }
        return HTTPResponse(
            status: 200, body: Array(#"{"took":3,"errors":true,"items":[\#(items.joined(separator: ","))]}"#.utf8))
    }

    @Test func clusterBlockBacksOffForThirtySecondsThenDeliversOnceWithTwoLogLines() async throws {
        let blocked = Atomic<Bool>(true)
        let rig = Self.rig(try Self.configuration()) { request throws(HTTPError) in
            guard request.path == "/_bulk", blocked.load(ordering: .relaxed) else {
                return try await BulkFakeTransport.healthy(request)
            }
            do { return try Self.blockedAnswer(request) } catch { throw .malformedResponse("test: \(error)") }
        }
        let gauge = MetricKey("cluster_blocked", labels: [.init("recorder", "es")])
        async let running: Void = rig.recorder.run()
        rig.recorder.accept(Self.doc(1))
        rig.recorder.accept(Self.doc(2))
        #expect(await eventually { rig.metrics.value(gauge) == .gauge(1) })
        // 30 s of the recorder's clock, a second at a time.
        for _ in 0..<30 {
            _ = await eventually(within: 1) { rig.clock.sleeperCount > 0 }
            rig.clock.advance(by: .seconds(1))
        }
        let bulksWhileBlocked = rig.transport.requests.filter { $0.path == "/_bulk" }.count
        blocked.store(false, ordering: .relaxed)
        for _ in 0..<40 where rig.counter("docs_sent") < 2 {
            _ = await eventually(within: 1) { rig.clock.sleeperCount > 0 }
            rig.clock.advance(by: .seconds(1))
            _ = await eventually(within: 0.2) { rig.counter("docs_sent") == 2 }
        }
        #expect(rig.counter("docs_sent") == 2)
        #expect(rig.metrics.value(gauge) == .gauge(0))
        await rig.recorder.finish(deadline: rig.clock.monotonicNanos())
        try await running
        // Sent at 0, 1, 3, 7 and 15 s (1, 2, 4, 8, 16 s pauses, upper jitter bound), not every 100 ms.
        #expect(bulksWhileBlocked == 5)
        #expect(rig.transport.requests.filter { $0.path == "/_bulk" }.count == 6)
        #expect(rig.counter("docs_retried") == 10)
        #expect(rig.counter("docs_dead_lettered") == 0)
        #expect(rig.spool.appendCalls == 0)
        let messages = rig.logs.records.map(\.message)
        #expect(messages.filter { $0.hasPrefix("cluster refuses writes") }.count == 1)
        #expect(messages.filter { $0.hasPrefix("cluster accepts writes again") }.count == 1)
    }
}

/// Elasticsearch with a small `http.max_content_length`, over real sockets: every document is
/// stored once and none is dead-lettered.
extension ElasticsearchRecorderTests {
    @Test func requestsAboveTheClusterLimitAreSplitAndNothingIsDeadLettered() async throws {
        let limit = 1200
        let stored = Mutex<Set<String>>([])
        let server = try RawTCPServer { connection in
            while let request = connection.readRequest() {
                if request.body.count > limit {
                    // As Elasticsearch 7.2.1 does: 413 without Connection: close, then the body it
                    // did not want is parsed as a request and answered, then the connection closes.
                    connection.write(ConnectionPoolTests.tooLarge)
                    connection.write(ConnectionPoolTests.staleBadRequest)
                    return
                }
                guard request.target == "/_bulk" else {
                    let body =
                        request.target == "/" ? BulkFakeTransport.rootBody : Array(#"{"acknowledged":true}"#.utf8)
                    guard connection.write(RawTCPServer.response(body: body)) else { return }
                    continue
                }
                let ndjson = (try? Gzip.decompress(request.body)) ?? []
                let lines = ndjson.split(separator: UInt8(ascii: "\n"))
                var items: [String] = []
                for (index, line) in lines.enumerated() where index % 2 == 0 {
                    let id = String(String(decoding: line, as: UTF8.self).split(separator: "\"")[9])
                    let fresh = stored.withLock { $0.insert(id).inserted }
                    items.append(#"{"create":{"_id":"\#(id)","status":\#(fresh ? 201 : 409)}}"#)
                }
                let answer = #"{"took":1,"errors":false,"items":[\#(items.joined(separator: ","))]}"#
                guard connection.write(RawTCPServer.response(text: answer)) else { return }
            }
        }
        defer { server.stop() }
        var configuration = try Self.configuration()
        configuration.endpoints = [server.endpoint]
        configuration.bulkMaxDocs = 16
        let logs = InMemoryLogHandler()
        let clock = ManualClock()
        let metrics = MetricsRegistry()
        let recorder = ElasticsearchRecorder(
            name: "es", configuration: configuration, transport: SocketHTTPTransport(), spool: InMemorySpool(),
            clock: clock, metrics: metrics, logger: Logger(component: "recorder.es", level: .info, handler: logs),
            random: { $0.upperBound })
        async let running: Void = recorder.run()
        // Documents that do not compress away: each carries 150 pseudo-random hex digits.
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for n in 1...16 {
            var hex = ""
            for _ in 0..<10 {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                hex += String(seed >> 4, radix: 16)
            }
            recorder.accept(
                Document(
                    id: "id-\(n)", timestampMillis: 1_795_284_000_000 + Int64(n), reader: "r",
                    body: Array(#"{"n":\#(n),"noise":"\#(hex.prefix(150))"}"#.utf8)))
        }
        let sent = MetricKey("docs_sent", labels: [.init("recorder", "es")])
        let deadLettered = MetricKey("docs_dead_lettered", labels: [.init("recorder", "es")])
        #expect(await eventually { metrics.value(sent) == .counter(16) })
        await recorder.finish(deadline: clock.monotonicNanos() + 1_000_000_000)
        try await running
        #expect(stored.withLock { $0.count } == 16)
        #expect(
            metrics.value(deadLettered) == nil || metrics.value(deadLettered) == .counter(0))
        #expect(logs.records.filter { $0.message.hasPrefix("cluster refused a bulk request as too large") }.count == 1)
        #expect(server.acceptedConnections >= 2)
    }
}
