import Expvastic
import ExpvasticTestSupport
import Testing

/// The `wal` and `wal_sync_interval` keys of an Elasticsearch recorder.
@Suite struct ConfigurationLoaderWriteAheadLogTests {
    private func elasticsearch(_ extra: String) -> (ElasticsearchConfiguration?, [String]) {
        let recorder = "type: elasticsearch\n    endpoint: 127.0.0.1:9200\n    index_name: expvastic" + extra
        let result = loadConfiguration(configuration(recorder: recorder))
        let messages = result.diagnostics.map(\.description)
        guard case .elasticsearch(let es)? = result.configuration?.recorders.first?.kind else { return (nil, messages) }
        return (es, messages)
    }

    @Test func onByDefaultSyncedEvery100ms() throws {
        let (es, messages) = elasticsearch("")
        let loaded = try #require(es, "\(messages)")
        #expect(loaded.writeAheadLog == true)
        #expect(loaded.walSyncInterval == .milliseconds(100))
    }

    @Test func bothKeysAreRead() throws {
        let (es, messages) = elasticsearch("\n    wal: false\n    wal_sync_interval: 1s")
        let loaded = try #require(es, "\(messages)")
        #expect(loaded.writeAheadLog == false)
        #expect(loaded.walSyncInterval == .seconds(1))
        #expect(messages.isEmpty, "\(messages)")
    }

    @Test func aBareNumberIsAnErrorWithTheKeysPath() {
        let (es, messages) = elasticsearch("\n    wal_sync_interval: 100")
        #expect(es == nil)
        #expect(
            messages.contains { $0.contains("recorders.es.wal_sync_interval") && $0.contains("has no unit") },
            "\(messages)")
    }
}
