import Testing

@testable import Expvastic

/// Fields taken out of a document body byte for byte: the rest keeps its exact text.
@Suite struct DocumentFieldRemovalTests {
    static func remove(_ path: String, includesPath: Bool = true, from body: String) -> (String, [String: String])? {
        let rejection = FieldRejection(path: path, includesPath: includesPath, pin: .refused)
        guard let result = DocumentFieldRemoval.removing(rejection, from: Array(body.utf8)) else { return nil }
        var removed: [String: String] = [:]
        for field in result.removed { removed[field.path] = String(decoding: field.value, as: UTF8.self) }
        return (String(decoding: result.body, as: UTF8.self), removed)
    }

    @Test func removesTheFieldAndKeepsEveryOtherByteOfTheDocument() throws {
        let body = #"{"@timestamp":"2026-12-06T00:00:00.000Z","a":1.50,"b":"x,}]","c":[1,2],"d":{"e":"}"}}"#
        let (kept, removed) = try #require(Self.remove("b", from: body))
        #expect(kept == #"{"@timestamp":"2026-12-06T00:00:00.000Z","a":1.50,"c":[1,2],"d":{"e":"}"}}"#)
        #expect(removed == ["b": #""x,}]""#])
        let (first, _) = try #require(Self.remove("@timestamp", from: body))
        #expect(first == #"{"a":1.50,"b":"x,}]","c":[1,2],"d":{"e":"}"}}"#)
        let (last, lastRemoved) = try #require(Self.remove("d", from: body))
        #expect(last == #"{"@timestamp":"2026-12-06T00:00:00.000Z","a":1.50,"b":"x,}]","c":[1,2]}"#)
        #expect(lastRemoved == ["d": #"{"e":"}"}"#])
    }

    @Test func removesWhatIsNestedUnderThePath() throws {
        let body = #"{"h":"v","h.z":7,"h.y.w":true,"hz":1}"#
        let (kept, removed) = try #require(Self.remove("h", includesPath: false, from: body))
        #expect(kept == #"{"h":"v","hz":1}"#)
        #expect(removed == ["h.z": "7", "h.y.w": "true"])
        let (all, _) = try #require(Self.remove("h", from: body))
        #expect(all == #"{"hz":1}"#)
    }

    @Test func matchesEscapedKeysByTheirText() throws {
        let body = #"{"a\"b":1,"c":2}"#
        let (kept, removed) = try #require(Self.remove(#"a"b"#, from: body))
        #expect(kept == #"{"c":2}"#)
        #expect(removed == [#"a"b"#: "1"])
    }

    @Test func nothingToRemoveOrNotAnObject() {
        #expect(Self.remove("x", from: #"{"a":1}"#) == nil)
        #expect(Self.remove("x", from: "xxxxxxxx") == nil)
        #expect(Self.remove("x", from: #"{"x":1"#) == nil)
        #expect(Self.remove("x", from: "{}") == nil)
    }

    @Test func removingTheOnlyFieldLeavesAnEmptyObject() throws {
        let (kept, _) = try #require(Self.remove("x", from: #"{ "x" : [1, {"y": 2}] }"#))
        #expect(kept == "{}")
    }
}
