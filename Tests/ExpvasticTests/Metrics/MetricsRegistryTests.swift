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
