import ExpvasticTestSupport
import Foundation
import Testing

@testable import Expvastic
@testable import ExpvasticPipeline

/// Which mapping updates the ledger asks for, and what it remembers, with no I/O.
@Suite struct FieldMetaLedgerTests {
    static func meta(_ field: String, _ type: String) -> FieldMeta {
        FieldMeta(
            field: field, mappingType: "double",
            entries: [FieldMeta.Entry("prometheus_type", type), FieldMeta.Entry("metric_type", type)])
    }

    static func document(day: Int64, _ fieldMeta: [FieldMeta]) -> Document {
        Document(id: "d\(day)", timestampMillis: day, reader: "r", body: Array("{}".utf8), fieldMeta: fieldMeta)
    }

    static func index(_ millis: Int64) -> String { "prom-\(millis)" }

    @Test func newFieldsAreSentOncePerIndex() {
        var ledger = FieldMetaLedger()
        let first = Self.document(day: 1, [Self.meta("a_total", "counter"), Self.meta("g", "gauge")])
        let plain = Document(id: "p", timestampMillis: 1, reader: "r", body: [])
        let updates = ledger.updates(for: [plain, first, first], index: Self.index, now: 0)
        #expect(updates == [FieldMetaLedger.Update(index: "prom-1", fields: first.fieldMeta)])
        // While in flight, the same index is not asked again.
        #expect(ledger.updates(for: [first], index: Self.index, now: 1).isEmpty)
        ledger.finished(updates[0], outcome: .applied, now: 2)
        #expect(ledger.updates(for: [first], index: Self.index, now: 3).isEmpty)
        // A new field, a changed type, and a new (daily) index.
        let next = Self.document(
            day: 1, [Self.meta("a_total", "counter"), Self.meta("g", "counter"), Self.meta("n", "gauge")])
        let tomorrow = Self.document(day: 2, [Self.meta("g", "gauge")])
        #expect(
            ledger.updates(for: [next, tomorrow], index: Self.index, now: 4) == [
                FieldMetaLedger.Update(index: "prom-1", fields: [Self.meta("g", "counter"), Self.meta("n", "gauge")]),
                FieldMetaLedger.Update(index: "prom-2", fields: [Self.meta("g", "gauge")]),
            ])
    }

    @Test func aFailedUpdateIsRetriedAfterAMinuteARefusedOneNever() {
        var ledger = FieldMetaLedger()
        let document = Self.document(day: 1, [Self.meta("a_total", "counter")])
        let update = ledger.updates(for: [document], index: Self.index, now: 0)
        ledger.finished(update[0], outcome: .failed, now: 10)
        #expect(ledger.updates(for: [document], index: Self.index, now: 10 + FieldMetaLedger.retryNanos - 1).isEmpty)
        let retry = ledger.updates(for: [document], index: Self.index, now: 10 + FieldMetaLedger.retryNanos)
        #expect(retry == update)
        ledger.finished(retry[0], outcome: .refused, now: 20)
        #expect(ledger.updates(for: [document], index: Self.index, now: 30 + FieldMetaLedger.retryNanos).isEmpty)
    }

    @Test func onlyTheMostRecentlyWrittenIndicesAreRemembered() {
        var ledger = FieldMetaLedger()
        let fields = [Self.meta("a_total", "counter")]
        for day in 0..<Int64(FieldMetaLedger.maxIndices + 1) {
            let update = ledger.updates(for: [Self.document(day: day, fields)], index: Self.index, now: 0)
            #expect(update.count == 1)
            ledger.finished(update[0], outcome: .applied, now: 0)
        }
        // Day 0 was forgotten (sent again), day 1 is still known.
        #expect(ledger.updates(for: [Self.document(day: 1, fields)], index: Self.index, now: 0).isEmpty)
        #expect(ledger.updates(for: [Self.document(day: 0, fields)], index: Self.index, now: 0).count == 1)
    }

    @Test func theMappingBodyNamesTypeAndMeta() throws {
        let body = FieldMetaLedger.body([Self.meta("a_total", "counter"), Self.meta("q\"x", "gauge")])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        let properties = try #require(object["properties"] as? [String: [String: Any]])
        #expect(properties["a_total"]?["type"] as? String == "double")
        #expect(
            properties["a_total"]?["meta"] as? [String: String] == [
                "metric_type": "counter", "prometheus_type": "counter",
            ])
        #expect(
            properties["q\"x"]?["meta"] as? [String: String] == ["metric_type": "gauge", "prometheus_type": "gauge"])
    }

    /// The recorder sends `PUT <index>/_mapping` after the bulk request that stored the document,
    /// once, and not at all for Elasticsearch before 7.6.
    @Test(arguments: [("8.13.4", true), ("7.5.2", false)])
    func theRecorderPutsTheMappingAfterTheBulkRequest(version: String, expectsPut: Bool) async throws {
        let root = Array(#"{"name":"n","version":{"number":"\#(version)"}}"#.utf8)
        let rig = ElasticsearchRecorderTests.rig(try ElasticsearchRecorderTests.configuration()) {
            (request) async throws(HTTPError) -> HTTPResponse in
            if request.method == "GET", request.path == "/" { return HTTPResponse(status: 200, body: root) }
            return try await BulkFakeTransport.healthy(request)
        }
        async let running: Void = rig.recorder.run()
        let fields = [Self.meta("a_total", "counter")]
        let document = Document(
            id: "x", timestampMillis: 1_795_284_000_000, reader: "r", body: Array(#"{"a_total":1.0}"#.utf8),
            fieldMeta: fields)
        // bulk_max_docs is 2 in this configuration: two documents make a request.
        for id in ["x1", "x2"] {
            var copy = document
            copy.id = id
            rig.recorder.accept(copy)
        }
        #expect(await eventually { rig.counter("docs_sent") == 2 })
        if expectsPut {
            #expect(
                await eventually {
                    rig.transport.requests.contains { $0.method == "PUT" && $0.path.hasSuffix("_mapping") }
                })
        }
        for id in ["y1", "y2"] {
            var copy = document
            copy.id = id
            rig.recorder.accept(copy)
        }
        #expect(await eventually { rig.counter("docs_sent") == 4 })
        await rig.recorder.finish(deadline: rig.clock.monotonicNanos() + 1_000_000_000)
        try await running
        let puts = rig.transport.requests.filter { $0.method == "PUT" && $0.path.hasSuffix("/_mapping") }
        #expect(puts.map { $0.path } == (expectsPut ? ["/expvastic-2026.11.21/_mapping"] : []))
        if let put = puts.first {
            #expect(put.body == FieldMetaLedger.body(fields))
            let bulk = try #require(rig.transport.requests.firstIndex { $0.path == "/_bulk" })
            let mapping = try #require(rig.transport.requests.firstIndex { $0.path.hasSuffix("/_mapping") })
            #expect(bulk < mapping)
        }
    }
}
