import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// Bodies whose keys come in a new order on every poll (Go map order, as InfluxDB serves them): a
/// reader that has seen the keys before places them from its cache instead of sorting, and must
/// write exactly what a reader seeing the body for the first time writes.
@Suite struct ShuffledKeysTests {
    typealias H = ReaderHarness

    /// A seeded shuffle (the tests must not depend on the run).
    static func shuffled<T>(_ items: [T], seed: UInt64) -> [T] {
        var generator = SplitMix64(seed: seed)
        var items = items
        for index in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(index, Int(generator.next() % UInt64(index + 1)))
        }
        return items
    }

    /// `groups` top-level objects of `fields` numbers each, the groups in `order`.
    static func body(order: [Int], fields: Int, poll: Int = 0) -> String {
        let members = order.map { group in
            let values = (0..<fields).map { "\"v\($0)\":\(group * 1000 + $0 + poll)" }.joined(separator: ",")
            return "\"shard:/data/db\(group):\(group)\":{\(values)}"
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    static func reader(maxFields: Int? = nil) -> (ExpvarReader, MetricsRegistry) {
        var configuration = H.configuration()
        if let maxFields { configuration.maxFields = maxFields }
        let metrics = MetricsRegistry()
        let reader = ExpvarReader(
            configuration: configuration, transport: FakeTransport(), metrics: metrics,
            logger: Logger(component: "test", level: .error, handler: NoOpLogHandler()))
        return (reader, metrics)
    }

    /// What a reader that never saw the keys writes for `body` (it sorts).
    static func fresh(_ body: String, at nanos: Int64, maxFields: Int? = nil) throws -> String {
        H.text(try H.document(reader(maxFields: maxFields).0, body, at: nanos))
    }

    @Test func twoOrdersOfOneBodyGiveTheSameDocument() throws {
        let (reader, _) = H.reader()
        let first = try H.document(reader, #"{"b":{"y":2,"x":1},"a":1,"c":[1,2]}"#)
        let second = try H.document(reader, #"{"c":[1,2],"a":1,"b":{"y":2,"x":1}}"#)
        let expected =
            #"{"@timestamp":"2026-11-21T18:00:00.123Z","a":1,"b.x":1,"b.y":2,"c":[1,2],"#
            + #""endpoint":"http://localhost:1234/debug/vars","reader":"FirstApp","type":"my_app1"}"#
        #expect(H.text(first) == expected)
        #expect(H.text(second) == expected)
    }

    @Test func everyOrderMatchesAFreshReader() throws {
        let (reader, metrics) = Self.reader()
        for poll in 0..<12 {
            let order = Self.shuffled(Array(0..<20), seed: UInt64(poll))
            let body = Self.body(order: order, fields: 15, poll: poll)
            let nanos = H.start + Int64(poll) * 1_000_000_000
            let document = try H.document(reader, body, at: nanos)
            #expect(H.text(document) == (try Self.fresh(body, at: nanos)), "poll \(poll)")
            #expect(try H.fields(document).count == 4 + 20 * 15)
        }
        #expect(H.dropped(metrics, "duplicate") == 0)
    }

    /// Conflicts (`a` next to `a.b`) and the field budget are decided on the sorted keys: the same
    /// fields are dropped whatever the order, and counted on every poll.
    @Test func conflictsAndTheBudgetDoNotDependOnTheOrder() throws {
        let (reader, metrics) = Self.reader(maxFields: 100)
        var previous: Set<String>?
        for poll in 0..<6 {
            var members = (0..<10).map { group in
                "\"g\(group)\":{" + (0..<12).map { "\"v\($0)\":\(group * 100 + $0)" }.joined(separator: ",") + "}"
            }
            members += [#""a.y":1"#, #""a":{"y":{"z":2}}"#, #""a-1":3"#]
            let body = "{" + Self.shuffled(members, seed: UInt64(100 + poll)).joined(separator: ",") + "}"
            let nanos = H.start + Int64(poll) * 1_000_000_000
            let document = try H.document(reader, body, at: nanos)
            #expect(H.text(document) == (try Self.fresh(body, at: nanos, maxFields: 100)), "poll \(poll)")
            let names = Set(try H.fields(document).keys)
            #expect(!names.contains("a.y"))
            #expect(names.contains("a-1"))
            #expect(names.contains("a.y.z"))
            if let previous { #expect(names == previous) }
            previous = names
            #expect(H.dropped(metrics, "conflict") == Int64(poll + 1))
        }
        #expect(H.dropped(metrics, "budget") > 0)
    }

    /// The same number of keys, one of them new: placed by sorting, not from the cache.
    @Test func aChangedKeySetIsSortedAgain() throws {
        let (reader, _) = H.reader()
        let bodies = [
            #"{"m":1,"a":2,"z":3}"#, #"{"z":3,"b":2,"m":1}"#, #"{"a":2,"z":3,"m":1}"#, #"{"m":1,"zz":4,"a":2}"#,
            #"{"a":1,"a":2,"m":3}"#, #"{"m":3,"a":1,"z":2}"#,
        ]
        for (poll, body) in bodies.enumerated() {
            let nanos = H.start + Int64(poll) * 1_000_000_000
            #expect(H.text(try H.document(reader, body, at: nanos)) == (try Self.fresh(body, at: nanos)), "\(body)")
        }
    }

    /// `split` entities share one cache; their members come in any order.
    @Test func splitEntitiesInAnyOrder() throws {
        var configuration = H.configuration()
        configuration.split = SplitConfiguration(membersOf: "")
        func make() -> ExpvarReader {
            ExpvarReader(
                configuration: configuration, transport: FakeTransport(), metrics: MetricsRegistry(),
                logger: Logger(component: "test", level: .error, handler: NoOpLogHandler()))
        }
        let reader = make()
        for poll in 0..<5 {
            let members = Self.shuffled(
                (0..<6).map { entity in
                    "\"e\(entity)\":{"
                        + Self.shuffled(
                            (0..<8).map { "\"f\($0)\":\(entity * 10 + $0)" }, seed: UInt64(poll * 7 + entity)
                        )
                        .joined(separator: ",") + "}"
                }, seed: UInt64(poll))
            let body = Array(("{" + members.joined(separator: ",") + "}").utf8)
            let nanos = H.start + Int64(poll) * 1_000_000_000
            let warm = try reader.documents(fromBody: body, startedAtWallNanos: nanos)
            let cold = try make().documents(fromBody: body, startedAtWallNanos: nanos)
            #expect(warm.map(H.text) == cold.map(H.text), "poll \(poll)")
            #expect(warm.count == 7)
        }
    }

    /// The flattener remembers which path each member position had last time (per object); members
    /// that move, are renamed to a key of the same length, arrive escaped or as dotted keys must
    /// still land on their own paths.
    @Test func membersThatMoveOrChangeKeepTheirOwnPaths() throws {
        let (reader, _) = H.reader()
        let bodies = [
            #"{"p":{"v1":1,"v2":2},"q":{"v1":3,"v2":4}}"#,
            #"{"q":{"v2":4,"v1":3},"p":{"v2":2,"v1":1}}"#,
            #"{"q":{"w1":5,"v2":4},"p":{"v1":1,"w2":6}}"#,
            #"{"p":{"v\u0031":7,"v2":2},"q.v1":8,"q":{"v2":4}}"#,
            #"{"q.v1":8,"p.v2":9,"p":{"v1":1},"q":{"w1":5}}"#,
            #"{"p":{"v1":1,"v2":2},"q":{"v1":3,"v2":4}}"#,
        ]
        for (poll, body) in bodies.enumerated() {
            let nanos = H.start + Int64(poll) * 1_000_000_000
            #expect(H.text(try H.document(reader, body, at: nanos)) == (try Self.fresh(body, at: nanos)), "\(body)")
        }
    }
}
