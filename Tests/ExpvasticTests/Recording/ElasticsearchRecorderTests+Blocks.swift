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
