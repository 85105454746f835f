import Foundation
import Testing

@testable import Expvastic

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
        #expect(encoder.cachedOrder.count == 3)
        for _ in 0..<3 {
            let colliding = Self.encode(&encoder, ["a-0", "hosts.db1", "hosts.db1.example.com"])
            #expect(colliding.conflicts == 1)
            #expect(try Self.keys(colliding) == ["a-0", "hosts.db1.example.com"])
            // The full sorted order is still cached, so the next poll need not sort.
            #expect(encoder.cachedOrder.count == 3)
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
}
