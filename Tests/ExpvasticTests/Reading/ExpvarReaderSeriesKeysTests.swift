import Testing

@testable import Expvastic
@testable import ExpvasticPipeline

/// A reader made with series keys hashed once per job registers exactly the series it would
/// register without them, and keys made for another reader are not used.
@Suite struct ExpvarReaderSeriesKeysTests {
    static func reader(_ name: String, keys: ExpvarReader.SeriesKeys?, metrics: MetricsRegistry) -> ExpvarReader {
        ExpvarReader(
            configuration: ReaderConfiguration(name: name, kind: .expvar, typeName: "t", url: nil),
            transport: FakeTransport(), metrics: metrics,
            logger: Logger(component: "test", level: .error, handler: NoOpLogHandler()), seriesKeys: keys)
    }

    @Test func keysGiveTheSameSeriesAsNoKeys() {
        let plain = MetricsRegistry()
        _ = Self.reader("api", keys: nil, metrics: plain)
        let keyed = MetricsRegistry()
        let keys = ExpvarReader.SeriesKeysCache().keys(reader: "api")
        _ = Self.reader("api", keys: keys, metrics: keyed)
        #expect(keyed.snapshot().map(\.key) == plain.snapshot().map(\.key))
        #expect(keyed.seriesCount == 2 + DropReason.allCases.count)
        // A second reader of the job shares the counters: 10 bytes read by it are the job's.
        let first = keyed.value(MetricKey("bytes_read", labels: [MetricKey.Label("reader", "api")]))
        _ = Self.reader("api", keys: keys, metrics: keyed)
        #expect(keyed.seriesCount == 2 + DropReason.allCases.count)
        #expect(first == .counter(0))
    }

    @Test func keysOfAnotherReaderAreNotUsed() {
        let registry = MetricsRegistry()
        _ = Self.reader("db", keys: ExpvarReader.SeriesKeys(reader: "api"), metrics: registry)
        let readers = Set(registry.snapshot().flatMap { $0.key.labels.filter { $0.name == "reader" }.map(\.value) })
        #expect(readers == ["db"])
    }

    @Test func theCacheMakesKeysAgainOnlyForAnotherReader() {
        let cache = ExpvarReader.SeriesKeysCache()
        let api = cache.keys(reader: "api")
        #expect(api.reader == "api")
        #expect(cache.keys(reader: "api") === api)
        let db = cache.keys(reader: "db")
        #expect(db.reader == "db")
        #expect(db.bytesRead.labels.labels == [MetricKey.Label("reader", "db")])
        #expect(cache.keys(reader: "api").bytesRead.labels.labels == [MetricKey.Label("reader", "api")])
    }
}
