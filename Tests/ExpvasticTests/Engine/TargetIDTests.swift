import ExpvasticTestSupport
import Testing

@testable import Expvastic
@testable import ExpvasticEngine

/// Target ids order by reader, then endpoint, as `String` orders them, whether their bytes are
/// compared (ASCII) or their characters.
@Suite struct TargetIDTests {
    @Test func theOrderIsStringOrder() {
        let pieces = ["", "a", "b", "api", "http://10.0.0.", "1", "10", "9", ":80", "/", "é", "e\u{301}", "Z", "~"]
        var random = SplitMix64(seed: 1_990)
        func name() -> String {
            (0..<Int(random.next() % 4)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
        }
        let ids = (0..<400).map { _ in TargetID(reader: name(), endpoint: name()) }
        for a in ids {
            for b in ids.prefix(100) {
                #expect((a < b) == ((a.reader, a.endpoint) < (b.reader, b.endpoint)), "\(a) < \(b)")
            }
        }
        #expect(
            ids.sorted().map(\.description)
                == ids.sorted { ($0.reader, $0.endpoint) < ($1.reader, $1.endpoint) }.map(\.description))
    }

    /// The keyed sort of one job's ids gives `sorted()`'s order: long shared prefixes, endpoints
    /// that are prefixes of others, equal 16-byte keys, zero bytes; and mixed readers or non-ASCII.
    @Test func theKeyedSortIsTheUsualOrder() {
        var random = SplitMix64(seed: 2_019)
        let tails = ["", "0", "00", "\u{0}", "\u{0}1", "/debug/vars", "/t/", "9", "a", "~", "é"]
        for round in 0..<60 {
            let readers = round % 3 == 0 ? ["api", "db"] : ["api"]
            let count = 1 + Int(random.next() % 300)
            let ids = Set(
                (0..<count).map { _ in
                    var endpoint = "http://127.0.0.1:2000\(random.next() % 3)/t/\(random.next() % 50)"
                    for _ in 0..<(random.next() % 4) {
                        let tail = tails[Int(random.next() % UInt64(round % 2 == 0 ? tails.count - 1 : tails.count))]
                        endpoint += tail
                    }
                    return TargetID(reader: readers[Int(random.next() % UInt64(readers.count))], endpoint: endpoint)
                })
            let expected = ids.sorted { ($0.reader, $0.endpoint) < ($1.reader, $1.endpoint) }
            #expect(TargetID.sorted(ids) == expected)
        }
    }

    /// Tables hash ids by their stored hash mixed with the table's seed: equal ids (made apart) are
    /// found, different ones are told apart, whatever the table's size.
    @Test func tablesFindIdsMadeApart() {
        let endpoints = (0..<2_000).map { "http://10.0.\($0 / 250).\($0 % 250):80/debug/vars" }
        var table: [TargetID: Int] = [:]
        for (index, endpoint) in endpoints.enumerated() { table[TargetID(reader: "api", endpoint: endpoint)] = index }
        #expect(table.count == endpoints.count)
        for (index, endpoint) in endpoints.enumerated() {
            #expect(table[TargetID(reader: "api", endpoint: endpoint)] == index)
            #expect(table[TargetID(reader: "db", endpoint: endpoint)] == nil)
        }
        let id = TargetID(reader: "api", endpoint: endpoints[0])
        for seed in [0, 1, -1, 1 << 40] {
            #expect(
                id._rawHashValue(seed: seed)
                    == TargetID(reader: "api", endpoint: endpoints[0])._rawHashValue(seed: seed))
        }
        for index in endpoints.indices where index % 2 == 0 {
            table[TargetID(reader: "api", endpoint: endpoints[index])] = nil
        }
        #expect(table.count == endpoints.count / 2 && table.values.allSatisfy { $0 % 2 == 1 })
    }
}
