import Expvastic
import Foundation
import Testing

/// A path keeps the kind it was first seen with (issue 12, item 3).
@Suite struct FieldKindTests {
    typealias H = ReaderHarness

    @Test func valueOfAnotherKindIsDroppedAndTheRestShips() throws {
        let (reader, metrics) = H.reader()
        _ = try H.document(reader, #"{"v":1,"s":"a","b":true,"arr":[1],"strs":["x"],"o":{"x":1},"keep":1}"#)
        let shapes = [
            #"{"v":"s","s":2,"b":[true],"arr":["a"],"strs":[1],"o":3,"keep":2}"#,
            #"{"v":true,"s":false,"b":"t","arr":1.5,"strs":"x","o":[1],"keep":3}"#,
        ]
        for (index, shape) in shapes.enumerated() {
            let fields = try H.fields(try H.document(reader, shape, at: H.start + Int64(index + 1) * 1_000_000_000))
            #expect(fields["keep"] as? Int == index + 2)
            for path in ["v", "s", "b", "arr", "strs", "o", "o.x"] { #expect(fields[path] == nil, "\(path)") }
        }
        #expect(H.dropped(metrics, "type_conflict") == 10)
        #expect(H.dropped(metrics, "conflict") == 2)
        // Integers and doubles are one kind; empty arrays fit any array or object.
        let fields = try H.fields(try H.document(reader, #"{"v":2.5,"arr":[],"o":{"x":2}}"#))
        #expect(fields["v"] as? Double == 2.5)
        #expect(fields["arr"] as? [Any] != nil)
        #expect(fields["o.x"] as? Int == 2)
    }

    /// The leaf/object collision is resolved the same way on every poll of a body that alternates
    /// between two shapes, including polls where the encoder reuses the previous key order.
    @Test func leafObjectCollisionIsResolvedOnEveryPoll() throws {
        let (reader, metrics) = H.reader()
        let shapes = [
            #"{"hosts":{"db0":1,"db1.example.com":2},"n":1}"#,
            #"{"hosts":{"db1":1,"db1.example.com":2},"n":1}"#,
        ]
        for poll in 0..<6 {
            let fields = try H.fields(
                try H.document(reader, shapes[poll % 2], at: H.start + Int64(poll) * 1_000_000_000))
            #expect(fields["hosts.db1.example.com"] as? Int == 2, "poll \(poll)")
            #expect(fields["hosts.db1"] == nil, "poll \(poll)")
        }
        #expect(H.dropped(metrics, "conflict") == 3)
    }

    @Test func fieldsNestedUnderAnEarlierValueAreDropped() throws {
        let (reader, metrics) = H.reader()
        _ = try H.document(reader, #"{"hosts":{"db1":1}}"#)
        let fields = try H.fields(try H.document(reader, #"{"hosts":{"db1":{"cpu":2},"db1.mem":3,"db2":4}}"#))
        #expect(fields["hosts.db1"] == nil)
        #expect(fields["hosts.db1.cpu"] == nil)
        #expect(fields["hosts.db1.mem"] == nil)
        #expect(fields["hosts.db2"] as? Int == 4)
        #expect(H.dropped(metrics, "conflict") == 2)
        // The first shape still ships.
        let again = try H.fields(try H.document(reader, #"{"hosts":{"db1":5}}"#))
        #expect(again["hosts.db1"] as? Int == 5)
    }

    @Test func withinTheFirstDocumentNestedFieldsWinInAnyKeyOrder() throws {
        for body in [#"{"a":1,"a.b":2}"#, #"{"a.b":2,"a":1}"#] {
            let (reader, metrics) = H.reader()
            for poll in 0..<3 {
                let fields = try H.fields(try H.document(reader, body, at: H.start + Int64(poll) * 1_000_000_000))
                #expect(fields["a.b"] as? Int == 2, "\(body) poll \(poll)")
                #expect(fields["a"] == nil, "\(body) poll \(poll)")
            }
            #expect(H.dropped(metrics, "conflict") == 3)
        }
    }
}
