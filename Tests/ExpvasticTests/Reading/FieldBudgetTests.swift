import Expvastic
import Foundation
import Testing

/// `max_fields` (issue 12, item 1): identity keys never cost the whole document.
@Suite struct FieldBudgetTests {
    /// 60 shards × 100 values = 6,000 values plus 120 objects, keyed by identities.
    static func identityBody(shards: Int = 60, values: Int = 100, poll: Int = 0) -> String {
        let entries = (0..<shards).map { shard in
            let fields = (0..<values).map { "\"v\($0)\":\(shard * values + $0 + poll)" }.joined(separator: ",")
            return "\"shard:/var/lib/influxdb/data/\(shard):\(shard)\":{\"values\":{\(fields)}}"
        }
        return "{" + entries.joined(separator: ",") + "}"
    }

    @Test func overBudgetFieldsAreDroppedDeterministicallyAndLoggedOnce() throws {
        let metrics = MetricsRegistry()
        let logs = InMemoryLogHandler()
        var configuration = ReaderHarness.configuration()
        #expect(configuration.maxFields == 1_996)
        configuration.maxFields = 1_000
        let reader = ExpvarReader(
            configuration: configuration, transport: FakeTransport(), metrics: metrics,
            logger: Logger(component: "reader.FirstApp", level: .info, handler: logs))
        var kept: Set<String>?
        for poll in 0..<3 {
            let document = try ReaderHarness.document(
                reader, Self.identityBody(poll: poll), at: ReaderHarness.start + Int64(poll) * 1_000_000_000)
            let fields = try ReaderHarness.fields(document)
            let names = Set(fields.keys)
            // Leaves plus the objects they create stay within the budget; the envelope is extra.
            let objects = Set(
                names.flatMap { name in
                    let parts = name.split(separator: ".", omittingEmptySubsequences: false)
                    return (1..<parts.count).map { parts[..<$0].joined(separator: ".") }
                })
            #expect(names.count - 4 + objects.count <= 1_000)
            #expect(names.count - 4 >= 980)
            if let kept { #expect(names == kept, "the same fields every poll") }
            kept = names
        }
        // Each shard costs 102 (its object, `values`, 100 values): 980 of 6,000 values fit in 1,000.
        #expect(ReaderHarness.dropped(metrics, "budget") == 3 * 5_020)
        let warnings = logs.records.filter { $0.level == .warn }
        #expect(warnings.count == 1)
        let message = try #require(warnings.first?.message)
        #expect(message.hasPrefix("document has 6,120 fields; budget 1,000; dropped 5,020 "))
        #expect(message.contains("split:") && message.contains("exclude:"))
    }

    @Test func theDefaultBudgetKeepsARealGoDocumentWhole() throws {
        let (reader, metrics) = ReaderHarness.reader()
        _ = try reader.document(
            fromBody: try Fixtures.load("go-debug-vars-10k"), startedAtWallNanos: ReaderHarness.start)
        #expect(ReaderHarness.dropped(metrics, "budget") == 0)
    }
}
