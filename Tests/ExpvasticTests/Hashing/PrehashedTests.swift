import Expvastic
import Testing

/// Prehashed keys in hash tables: the stored hash decides the bucket, the value decides equality.
@Suite struct PrehashedTests {
    /// Keys given the same hash stay distinct (equality compares the values), and a key made with
    /// a hash computed earlier finds the entry of one hashed on the spot.
    @Test func equalHashesDoNotMakeEqualKeys() {
        var table: [Prehashed<String>: Int] = [:]
        for index in 0..<100 { table[Prehashed("key \(index)", hash: 42)] = index }
        #expect(table.count == 100)
        #expect(table[Prehashed("key 57", hash: 42)] == 57)
        #expect(table[Prehashed("key 57", hash: 43)] == nil)
        let text = "http://127.0.0.1:20000/t/1/debug/vars"
        var plain: [Prehashed<String>: Int] = [Prehashed(text): 1]
        #expect(plain[Prehashed(text, hash: text.hashValue)] == 1)
        plain[Prehashed(text, hash: text.hashValue)] = 2
        #expect(plain.count == 1 && plain[Prehashed(text)] == 2)
    }

    /// The mixed hash spreads hashes that differ only in their high bits over a table's buckets
    /// (the low bits), and a table's seed changes where a key goes.
    @Test func mixingSpreadsHighBitsOverBuckets() {
        var buckets = Set<Int>()
        for index in 0..<1024 { buckets.insert(PrehashMix.mix(index << 40, seed: 0) & 1023) }
        // 1,024 keys in 1,024 buckets at random fill about 63 % of them; unmixed, they would fill 1.
        #expect(buckets.count > 550)
        #expect(PrehashMix.mix(7, seed: 1) != PrehashMix.mix(7, seed: 2))
        #expect(PrehashMix.combine(1, 2) != PrehashMix.combine(2, 1))
    }
}
