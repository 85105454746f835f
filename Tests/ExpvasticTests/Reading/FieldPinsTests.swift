import Expvastic
import Testing

/// What a cluster refused, applied by the reader before its next poll (issue 12, item 4).
@Suite struct FieldPinsTests {
    typealias H = ReaderHarness

    @Test func aPinnedKindReplacesTheKindFirstSeen() throws {
        let pins = FieldPins()
        let (reader, metrics) = H.reader(fieldPins: pins)
        // First seen as a string; the cluster maps it as a number.
        var fields = try H.fields(try H.document(reader, #"{"v":"abc","w":1}"#))
        #expect(fields["v"] as? String == "abc")
        #expect(pins.pin("v", as: .kind(.number), reader: "FirstApp"))
        #expect(!pins.pin("v", as: .kind(.number), reader: "FirstApp"))
        fields = try H.fields(try H.document(reader, #"{"v":"def","w":2}"#))
        #expect(fields["v"] == nil)
        #expect(fields["w"] as? Int == 2)
        fields = try H.fields(try H.document(reader, #"{"v":7,"w":3}"#))
        #expect(fields["v"] as? Int == 7)
        #expect(H.dropped(metrics, "type_conflict") == 1)
    }

    @Test func underAPathPinnedAsAValueNothingIsSent() throws {
        let pins = FieldPins()
        let (reader, metrics) = H.reader(fieldPins: pins)
        _ = try H.document(reader, #"{"h":{"z":1,"y":2}}"#)
        pins.pin("h", as: .kind(.string), reader: "FirstApp")
        let fields = try H.fields(try H.document(reader, #"{"h":{"z":1,"y":2,"new":3},"k":1}"#))
        #expect(fields.keys.sorted() == ["@timestamp", "endpoint", "k", "reader", "type"])
        #expect(H.dropped(metrics, "cluster_refused") == 2)
        #expect(H.dropped(metrics, "conflict") == 1)
    }

    @Test func aRefusedPathIsLeftOutWithWhatIsUnderIt() throws {
        let pins = FieldPins()
        let (reader, metrics) = H.reader(fieldPins: pins)
        pins.pin("when", as: .refused, reader: "FirstApp")
        pins.pin("x", as: .refused, reader: "another reader")
        let fields = try H.fields(try H.document(reader, #"{"when":"soon","x":1}"#))
        #expect(fields["when"] == nil)
        #expect(fields["x"] as? Int == 1)
        #expect(H.dropped(metrics, "cluster_refused") == 1)
    }

    @Test func pinsAreBounded() {
        let pins = FieldPins()
        for n in 0..<FieldPins.maxPaths { pins.pin("f\(n)", as: .refused, reader: "r") }
        #expect(!pins.pin("one more", as: .refused, reader: "r"))
        #expect(pins.pins(reader: "r").count == FieldPins.maxPaths)
    }
}
