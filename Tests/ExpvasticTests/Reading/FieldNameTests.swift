import Expvastic
import Foundation
import Testing

/// Names Elasticsearch refuses are never sent (issue 12, item 2).
@Suite struct FieldNameTests {
    typealias H = ReaderHarness

    @Test func refusedNamesAreDroppedAndCounted() throws {
        let (reader, metrics) = H.reader()
        let long = String(repeating: "k", count: 1025)
        let payload = """
            {"a..b":1," ":2,"x":{" ":3,"ok":4,"\\t\\u000b":5},"_id":6,"_source":{"n":7},"_index.x":8,"\(long)":9,
             "":10,".a":11,"a.":12,"\u{3000}":13,"_custom":14,"y":{"_id":15}," pad ":16,"\u{a0}":17,"b.c":18}
            """
        let first = try H.fields(try H.document(reader, payload))
        #expect(
            Set(first.keys) == [
                "@timestamp", "type", "reader", "endpoint", "x.ok", "_custom", "y._id", " pad ", "\u{a0}", "b.c",
            ])
        #expect(H.dropped(metrics, "invalid_key") == 12)
        // Every poll, not just the first.
        let second = try H.fields(try H.document(reader, payload, at: H.start + 1_000_000_000))
        #expect(second.count == first.count)
        #expect(H.dropped(metrics, "invalid_key") == 24)
    }
}
