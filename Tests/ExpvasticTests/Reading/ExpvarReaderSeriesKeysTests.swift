import Testing

@testable import Expvastic
@testable import ExpvasticPipeline

/// A reader made with series keys hashed once per job registers exactly the series it would
/// register without them, and keys made for another reader are not used.
@Suite struct ExpvarReaderSeriesKeysTests {
    static func reader(_ name: String, keys: ExpvarReader.SeriesKeys?, metrics: MetricsRegistry) -> ExpvarReader {
        let configuration = ReaderConfiguration(name: name, kind: .expvar, typeName: "t", url: nil)
        return ExpvarReader(
            configuration: configuration, transport: FakeTransport(), metrics: metrics,
            logger: Logger(component: "test", level: .error, handler: NoOpLogHandler()),
            job: ExpvarReader.JobParts(configuration: configuration, keys: keys))
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

    static func target(_ index: Int, include: [String] = []) -> ReaderConfiguration {
        var configuration = ReaderConfiguration(
            name: "api", kind: .expvar, typeName: "app",
            url: try? Endpoint.parse("127.0.0.1:\(20_000 + index)/debug/vars").get())
        configuration.labels = ["zone": "z\(index)", "app": "a\(index)"]
        configuration.include = include
        configuration.headers = ["X-Token": Secret("t")]
        return configuration
    }

    /// A job's parts made from one target serve its other targets: a reader made with them writes
    /// the same documents and registers the same series as one made without; parts of another
    /// job, or of the same job with other settings, are not used.
    @Test func jobPartsServeEveryTargetOfTheJobAlike() throws {
        let cache = ExpvarReader.SeriesKeysCache()
        let parts = cache.parts(for: Self.target(1))
        #expect(cache.parts(for: Self.target(2)) === parts)
        #expect(parts.fits(Self.target(3)))
        #expect(!parts.fits(Self.target(3, include: ["memstats.*"])))
        var renamed = Self.target(3)
        renamed.name = "db"
        #expect(!parts.fits(renamed))
        var retyped = Self.target(3)
        retyped.typeName = "other"
        #expect(!parts.fits(retyped))
        #expect(cache.parts(for: retyped) !== parts)

        let body = Array(#"{"memstats": {"Alloc": 5, "HeapAlloc": 7}, "cmdline": ["x"], "n": null}"#.utf8)
        let logger = Logger(component: "test", level: .error, handler: NoOpLogHandler())
        func made(_ configuration: ReaderConfiguration, job: ExpvarReader.JobParts?) throws -> ([UInt8], [String]) {
            let registry = MetricsRegistry()
            let reader = ExpvarReader(
                configuration: configuration, transport: FakeTransport(), metrics: registry, logger: logger, job: job)
            let document = try reader.document(fromBody: body, startedAtWallNanos: 1_700_000_000_000_000_000)
            return (document.body, registry.snapshot().map { "\($0.key) \($0.value)" })
        }
        for configuration in [Self.target(4), Self.target(5, include: ["memstats.Alloc"])] {
            let plain = try made(configuration, job: nil)
            let shared = try made(configuration, job: parts)
            #expect(shared.0 == plain.0)
            #expect(shared.1 == plain.1)
            #expect(!plain.1.isEmpty)
        }
    }

    /// Readers of one job get the same counters array until one of its series is removed; then the
    /// next reader registers them again, and they are reported (at zero) as before.
    @Test func jobCountersAreSharedUntilTheirSeriesGo() {
        let registry = MetricsRegistry()
        let keys = ExpvarReader.SeriesKeys(reader: "api")
        let first = registry.counters(keys.all)
        #expect(first.count == 2 + DropReason.allCases.count)
        #expect(zip(registry.counters(ExpvarReader.SeriesKeys(reader: "api").all), first).allSatisfy { $0 === $1 })
        // Another target's series come and go: the job's counters stay.
        registry.counter(MetricKey("polls_ok", labels: [MetricKey.Label("reader", "db")])).increment()
        #expect(registry.removeSeries(labelled: [MetricKey.Label("reader", "db")]) == 1)
        #expect(zip(registry.counters(keys.all), first).allSatisfy { $0 === $1 })
        first[0].increment(by: 3)
        #expect(registry.removeSeries(labelled: [MetricKey.Label("reader", "api")]) == first.count)
        #expect(registry.seriesCount == 0)
        let again = registry.counters(keys.all)
        #expect(zip(again, first).allSatisfy { $0 !== $1 })
        #expect(registry.seriesCount == first.count)
        #expect(registry.value(MetricKey("bytes_read", labels: [MetricKey.Label("reader", "api")])) == .counter(0))
        #expect(registry.counter(keys.bytesRead) === again[0])
    }
}
