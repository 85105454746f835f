import Expvastic
import Testing

/// The registry's series table: creation order, removal by labels, and the holes removals leave.
@Suite struct MetricsRegistryTests {
    static func labels(_ index: Int) -> [MetricKey.Label] {
        [MetricKey.Label("reader", "api"), MetricKey.Label("endpoint", "http://127.0.0.1:\(20_000 + index)/")]
    }

    /// Many targets come and go (enough holes to compact the order several times): what is left
    /// keeps its creation order and its values, and a removed target's series are all gone.
    @Test func removingManyTargetsKeepsTheOthersInCreationOrder() {
        let registry = MetricsRegistry()
        registry.counter(MetricKey("documents_sent", labels: [MetricKey.Label("recorder", "es")])).increment(by: 7)
        for index in 0..<300 {
            registry.counter(MetricKey("polls_ok", labels: Self.labels(index))).increment(by: Int64(index))
            registry.timer(MetricKey("poll_latency", labels: Self.labels(index))).record(nanos: UInt64(index))
        }
        for index in stride(from: 0, to: 300, by: 3) {
            #expect(registry.removeSeries(labelled: Self.labels(index)) == 2)
        }
        // Labels in another order name the same series.
        #expect(registry.removeSeries(labelled: Self.labels(1).reversed()) == 2)
        #expect(registry.removeSeries(labelled: Self.labels(1)) == 0)
        #expect(registry.removeSeries(labelled: [MetricKey.Label("endpoint", "nowhere")]) == 0)
        let kept = (0..<300).filter { $0 % 3 != 0 && $0 != 1 }
        var expected = ["documents_sent{recorder=es}"]
        for index in kept {
            expected.append(MetricKey("polls_ok", labels: Self.labels(index)).description)
            expected.append(MetricKey("poll_latency", labels: Self.labels(index)).description)
        }
        let snapshot = registry.snapshot()
        #expect(snapshot.map(\.key.description) == expected)
        #expect(registry.seriesCount == expected.count)
        #expect(registry.value(MetricKey("polls_ok", labels: Self.labels(299))) == .counter(299))
        #expect(registry.value(MetricKey("polls_ok", labels: Self.labels(3))) == nil)
        // Series made after the removals come last; the reader's label removes all of its series.
        registry.counter(MetricKey("polls_ok", labels: Self.labels(3))).increment()
        #expect(snapshot.count + 1 == registry.seriesCount)
        #expect(registry.snapshot().last?.key == MetricKey("polls_ok", labels: Self.labels(3)))
        #expect(registry.removeSeries(labelled: [MetricKey.Label("reader", "api")]) == 2 * kept.count + 1)
        #expect(registry.snapshot().map(\.key.description) == ["documents_sent{recorder=es}"])
    }

    /// A removed series' number is reused by the next new series: removing by the old labels finds
    /// nothing, the new series is found by its own, and the creation order stays.
    @Test func aReusedSeriesNumberCarriesOnlyTheNewSeries() {
        let registry = MetricsRegistry()
        let first = MetricKey("polls_ok", labels: Self.labels(1))
        let second = MetricKey("polls_ok", labels: Self.labels(2))
        registry.counter(first).increment(by: 1)
        registry.counter(second).increment(by: 2)
        #expect(registry.removeSeries(labelled: Self.labels(1)) == 1)
        let third = MetricKey("poll_latency", labels: Self.labels(3))
        registry.timer(third).record(nanos: 5)
        #expect(registry.removeSeries(labelled: Self.labels(1)) == 0)
        #expect(registry.snapshot().map(\.key) == [second, third])
        guard case .timer(let summary) = registry.value(third) else {
            Issue.record("no timer for \(third)")
            return
        }
        #expect(summary.count == 1 && summary.sumNanos == 5)
        #expect(registry.value(first) == nil)
        // The same key prehashed names the same series.
        #expect(registry.counter(MetricKey.Hashed(second)) === registry.counter(second))
        #expect(registry.removeSeries(labelled: Self.labels(3)) == 1)
        #expect(registry.removeSeries(labelled: [MetricKey.Label("reader", "api")]) == 1)
        #expect(registry.seriesCount == 0)
    }
}

/// Series grouped by label set (an engine's four series share one): keys made with labels hashed
/// once name the same series as plain keys, label order makes another series, and removing by
/// labels takes exactly the groups that carry all of them.
@Suite struct MetricsRegistryGroupTests {
    static let api = MetricKey.Label("reader", "api")
    static func endpoint(_ index: Int) -> MetricKey.Label {
        MetricKey.Label("endpoint", "http://127.0.0.1:\(20_000 + index)/debug/vars")
    }

    @Test func hashedKeysNameTheSameSeriesAsPlainKeys() {
        let registry = MetricsRegistry()
        let labels = MetricKey.Labels([Self.api, Self.endpoint(1)])
        let ok = registry.counter(MetricKey.Hashed("polls_ok", labels))
        let latency = registry.timer(MetricKey.Hashed("poll_latency", labels))
        // Registered series are reported at zero before their first change.
        #expect(registry.value(MetricKey("polls_ok", labels: labels.labels)) == .counter(0))
        guard case .timer(let summary) = registry.value(MetricKey("poll_latency", labels: labels.labels)) else {
            Issue.record("no poll_latency timer")
            return
        }
        #expect(summary.count == 0)
        #expect(registry.counter(MetricKey("polls_ok", labels: [Self.api, Self.endpoint(1)])) === ok)
        #expect(registry.timer(MetricKey.Hashed(MetricKey("poll_latency", labels: labels.labels))) === latency)
        // Same labels in another order: another series (keys compare labels in order).
        let swapped = registry.counter(MetricKey("polls_ok", labels: [Self.endpoint(1), Self.api]))
        #expect(swapped !== ok)
        // Same label set, another name: a new series of the same group, after the others.
        registry.gauge(MetricKey("queue", labels: labels.labels)).set(3)
        #expect(registry.seriesCount == 4)
        #expect(
            registry.snapshot().map(\.key.description) == [
                "polls_ok{reader=api,endpoint=http://127.0.0.1:20001/debug/vars}",
                "poll_latency{reader=api,endpoint=http://127.0.0.1:20001/debug/vars}",
                "polls_ok{endpoint=http://127.0.0.1:20001/debug/vars,reader=api}",
                "queue{reader=api,endpoint=http://127.0.0.1:20001/debug/vars}",
            ])
        #expect(registry.removeSeries(labelled: [Self.endpoint(1)]) == 4)
        #expect(registry.seriesCount == 0)
    }

    /// Removing by one label takes every group carrying it, by two only the groups carrying both;
    /// groups made after removals (reused numbers) are found and removed by their own labels.
    @Test func removalTakesExactlyTheGroupsCarryingAllLabels() {
        let registry = MetricsRegistry()
        let db = MetricKey.Label("reader", "db")
        for index in 0..<50 {
            for reader in [Self.api, db] {
                let labels = MetricKey.Labels([reader, Self.endpoint(index)])
                registry.counter(MetricKey.Hashed("polls_ok", labels)).increment(by: Int64(index))
                _ = registry.counter(MetricKey.Hashed("polls_failed", labels))
            }
        }
        registry.counter(MetricKey("bytes_read", labels: [Self.api])).increment()
        #expect(registry.seriesCount == 201)
        #expect(registry.removeSeries(labelled: [Self.api, Self.endpoint(3)]) == 2)
        #expect(registry.removeSeries(labelled: [Self.endpoint(4)]) == 4)
        #expect(registry.removeSeries(labelled: [MetricKey.Label("reader", "other")]) == 0)
        #expect(registry.value(MetricKey("polls_ok", labels: [db, Self.endpoint(3)])) == .counter(3))
        #expect(registry.value(MetricKey("polls_ok", labels: [Self.api, Self.endpoint(3)])) == nil)
        // New groups take the freed numbers; each is found by its labels.
        registry.counter(MetricKey("polls_ok", labels: [Self.api, Self.endpoint(100)])).increment(by: 100)
        registry.counter(MetricKey("polls_ok", labels: [db, Self.endpoint(101)])).increment(by: 101)
        #expect(registry.value(MetricKey("polls_ok", labels: [Self.api, Self.endpoint(100)])) == .counter(100))
        #expect(registry.removeSeries(labelled: [db, Self.endpoint(100)]) == 0)
        // The api reader's series: 48 targets × 2, the new one, and bytes_read.
        #expect(registry.removeSeries(labelled: [Self.api]) == 48 * 2 + 1 + 1)
        #expect(registry.removeSeries(labelled: [db]) == 49 * 2 + 1)
        #expect(registry.seriesCount == 0 && registry.snapshot().isEmpty)
    }

    /// A block's series are series like any other: in the snapshot in order with the block's values,
    /// found by key, asked for again they give the same block (a restarted target keeps its
    /// values), and removed with their labels; once removed, a new block is made.
    @Test func aBlocksSeriesAreSeriesLikeAnyOther() {
        final class Pair: SeriesBlock {
            let made: Int
            init(_ made: Int) { self.made = made }
            func value(_ index: Int) -> MetricsRegistry.Value {
                index == 0 ? .counter(Int64(made)) : .gauge(Double(made) + 0.5)
            }
        }
        let registry = MetricsRegistry()
        var made = 0
        func pair(_ index: Int) -> Pair {
            registry.block(["a", "b"], labelled: MetricKey.Labels(MetricsRegistryTests.labels(index))) {
                made += 1
                return Pair(made)
            }
        }
        let first = pair(0)
        let second = pair(1)
        #expect(pair(0) === first && pair(1) === second && made == 2)
        #expect(
            registry.snapshot().map(\.key) == [
                MetricKey("a", labels: MetricsRegistryTests.labels(0)),
                MetricKey("b", labels: MetricsRegistryTests.labels(0)),
                MetricKey("a", labels: MetricsRegistryTests.labels(1)),
                MetricKey("b", labels: MetricsRegistryTests.labels(1)),
            ])
        #expect(registry.snapshot().map(\.value) == [.counter(1), .gauge(1.5), .counter(2), .gauge(2.5)])
        #expect(registry.value(MetricKey("b", labels: MetricsRegistryTests.labels(1))) == .gauge(2.5))
        #expect(registry.removeSeries(labelled: MetricsRegistryTests.labels(0)) == 2)
        #expect(registry.seriesCount == 2)
        #expect(pair(0) !== first && made == 3)
        #expect(registry.value(MetricKey("a", labels: MetricsRegistryTests.labels(0))) == .counter(3))
    }
}
