import Foundation
import Testing

@testable import Expvastic
@testable import ExpvasticPipeline

@Suite struct DocumentEncoderTests {
    static func encode(_ encoder: inout DocumentEncoder, _ keys: [String], maxFields: Int = .max, pinned: Int = 0)
        -> DocumentEncoder.Outcome
    {
        encoder.reset()
        for (index, key) in keys.enumerated() {
            encoder.beginField(key)
            JSONWriter.appendInt(Int64(index), to: &encoder.out)
            encoder.endField()
        }
        return encoder.finish(maxFields: maxFields, pinned: pinned)
    }

    static func keys(_ outcome: DocumentEncoder.Outcome) throws -> [String] {
        let object = try JSONSerialization.jsonObject(with: Data(outcome.body)) as? [String: Any]
        return try #require(object).keys.sorted()
    }

    /// The defect of issue 12: a reused key order skipped the conflict pass.
    @Test func conflictsAreDroppedWhenTheCachedOrderIsReused() throws {
        var encoder = DocumentEncoder()
        let clean = Self.encode(&encoder, ["a-0", "hosts.db0", "hosts.db1.example.com"])
        #expect(clean.conflicts == 0)
        #expect(encoder.cache.count == 3)
        for _ in 0..<3 {
            let colliding = Self.encode(&encoder, ["a-0", "hosts.db1", "hosts.db1.example.com"])
            #expect(colliding.conflicts == 1)
            #expect(try Self.keys(colliding) == ["a-0", "hosts.db1.example.com"])
            // The full sorted order is still cached, so the next poll need not sort.
            #expect(encoder.cache.count == 3)
        }
        // A key sorting between `a` and `a.b` (`a-b`) does not hide the conflict.
        let between = Self.encode(&encoder, ["a", "a-b", "a.b", "ab"])
        #expect(try Self.keys(between) == ["a-b", "a.b", "ab"])
        let again = Self.encode(&encoder, ["a", "a-b", "a.b", "ab"])
        #expect(again.conflicts == 1)
        #expect(try Self.keys(again) == ["a-b", "a.b", "ab"])
    }

    @Test func budgetCountsObjectsAndKeepsTheFirstKeysInSortedOrder() throws {
        var encoder = DocumentEncoder()
        // Costs in sorted order: a.x 2 (a, a.x), a.y 1, b 1, c.d.e 3, c.d.f 1; "type" is pinned.
        let keys = ["type", "c.d.f", "b", "a.y", "c.d.e", "a.x"]
        let unlimited = Self.encode(&encoder, keys)
        #expect(unlimited.mappingFields == 0)
        let exact = Self.encode(&encoder, keys, maxFields: 9, pinned: 1)
        #expect(exact.overBudget == 0)
        #expect(exact.mappingFields == 9)
        // Clearly within the budget (at most 13 by key lengths): not counted at all.
        #expect(Self.encode(&encoder, keys, maxFields: 13, pinned: 1).mappingFields == 0)
        for _ in 0..<2 {
            let cut = Self.encode(&encoder, keys, maxFields: 7, pinned: 1)
            #expect(cut.overBudget == 2)
            #expect(cut.firstOverBudget == "c.d.e")
            #expect(cut.mappingFields == 9)
            #expect(try Self.keys(cut) == ["a.x", "a.y", "b", "type"])
        }
        // The pinned field survives a budget smaller than itself.
        let tiny = Self.encode(&encoder, keys, maxFields: 1, pinned: 1)
        #expect(try Self.keys(tiny) == ["type"])
        #expect(tiny.overBudget == 5)
    }

    /// Writes fields with ids (as the flattener does): `(key, id)`, values their write position.
    static func encode(
        _ encoder: inout DocumentEncoder, ids fields: [(String, Int32)], epoch: UInt64 = 0, maxFields: Int = .max,
        pinned: Int = 0
    ) -> DocumentEncoder.Outcome {
        encoder.reset()
        encoder.keyEpoch = epoch
        for (index, (key, id)) in fields.enumerated() {
            Array(key.utf8).withUnsafeBytes { encoder.beginField(escapedKey: $0, id: id) }
            JSONWriter.appendInt(Int64(index), to: &encoder.out)
            encoder.endField()
        }
        return encoder.finish(maxFields: maxFields, pinned: pinned)
    }

    static func text(_ outcome: DocumentEncoder.Outcome) -> String { String(decoding: outcome.body, as: UTF8.self) }

    @Test func theSameKeysInAnotherOrderAreJoinedInSortedOrder() {
        var encoder = DocumentEncoder()
        let first = Self.encode(&encoder, ids: [("type", -1), ("b.y", 2), ("a", 0), ("b.x", 1)])
        #expect(Self.text(first) == #"{"a":2,"b.x":3,"b.y":1,"type":0}"#)
        #expect(encoder.cache.count == 4)
        let second = Self.encode(&encoder, ids: [("type", -1), ("b.x", 1), ("a", 0), ("b.y", 2)])
        #expect(Self.text(second) == #"{"a":2,"b.x":1,"b.y":3,"type":0}"#)
        // Another anonymous key at the same position is not taken for the cached one.
        let renamed = Self.encode(&encoder, ids: [("c", -1), ("b.x", 1), ("a", 0), ("b.y", 2)])
        #expect(Self.text(renamed) == #"{"a":2,"b.x":1,"b.y":3,"c":0}"#)
        // A repeated id is a repeated key: the first occurrence is kept.
        let repeated = Self.encode(&encoder, ids: [("c", -1), ("a", 0), ("a", 0), ("b.y", 2)])
        #expect(repeated.duplicates == 1)
        #expect(Self.text(repeated) == #"{"a":1,"b.y":3,"c":0}"#)
        #expect(encoder.cache.count == 0)
    }

    /// In a new epoch an id may name other bytes: nothing cached from the old one is trusted.
    @Test func idsOfAnotherEpochAreNotTrusted() {
        var encoder = DocumentEncoder()
        _ = Self.encode(&encoder, ids: [("a", 0), ("b", 1), ("c", 2)], epoch: 1)
        let moved = Self.encode(&encoder, ids: [("z", 0), ("b", 1), ("c", 2)], epoch: 2)
        #expect(Self.text(moved) == #"{"b":1,"c":2,"z":0}"#)
        let swapped = Self.encode(&encoder, ids: [("c", 1), ("b", 2), ("z", 0)], epoch: 3)
        #expect(Self.text(swapped) == #"{"b":1,"c":0,"z":2}"#)
    }

    /// The removals are reused only for the same budget and the same pinned keys.
    @Test func pinnedFieldsDecideWhatTheBudgetKeepsInEveryOrder() {
        var encoder = DocumentEncoder()
        let first = Self.encode(&encoder, ids: [("a", 0), ("b", 1), ("c", 2)], maxFields: 2, pinned: 1)
        #expect(Self.text(first) == #"{"a":0,"b":1}"#)
        let again = Self.encode(&encoder, ids: [("a", 0), ("c", 2), ("b", 1)], maxFields: 2, pinned: 1)
        #expect(Self.text(again) == #"{"a":0,"b":2}"#)
        #expect(again.overBudget == 1)
        #expect(again.firstOverBudget == "c")
        // Now `c` is written first, so it is the pinned one.
        let pinnedC = Self.encode(&encoder, ids: [("c", 2), ("b", 1), ("a", 0)], maxFields: 2, pinned: 1)
        #expect(Self.text(pinnedC) == #"{"a":2,"c":0}"#)
        #expect(pinnedC.firstOverBudget == "b")
        let wider = Self.encode(&encoder, ids: [("c", 2), ("b", 1), ("a", 0)], maxFields: 3, pinned: 1)
        #expect(Self.text(wider) == #"{"a":2,"b":1,"c":0}"#)
        #expect(wider.overBudget == 0)
    }

    /// A target's labels are written as `labels.<name>` keys, escaped, and their keys take part in
    /// sorting and de-duplication like any other (a field of the body with the same key loses).
    @Test func envelopeLabelsAreEscapedKeysLikeAnyOther() throws {
        let envelope = DocumentEnvelope(
            type: "expvar", reader: "api", endpoint: "http://127.0.0.1:1/debug/vars",
            labels: DocumentEnvelope.sortedLabels(["zone": "eu\"1", "a\"b\\c": "x\ny"]))
        var encoder = DocumentEncoder()
        encoder.reset()
        envelope.write(millis: 0, into: &encoder)
        encoder.beginField("labels.zone")
        JSONWriter.appendInt(7, to: &encoder.out)
        encoder.endField()
        let outcome = encoder.finish(maxFields: .max, pinned: 0)
        #expect(outcome.duplicates == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(outcome.body)) as? [String: Any])
        #expect(object["labels.zone"] as? String == "eu\"1")
        #expect(object["labels.a\"b\\c"] as? String == "x\ny")
        #expect(object["endpoint"] as? String == "http://127.0.0.1:1/debug/vars")
        #expect(object.keys.sorted() == ["@timestamp", "endpoint", "labels.a\"b\\c", "labels.zone", "reader", "type"])
    }
}
