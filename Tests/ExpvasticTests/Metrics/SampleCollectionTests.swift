import Expvastic
import ExpvasticTestSupport
import Testing

@Suite struct SampleCollectionTests {
    @Test func samplesOlderThanRetentionDisappearAsTheClockAdvances() {
        let clock = ManualClock()
        let samples = SampleCollection(retention: .seconds(300), clock: clock)
        samples.record(component: "reader.app1", kind: .poll, latency: .milliseconds(3), outcome: .ok)
        clock.advance(by: .seconds(200))
        samples.record(component: "recorder.es", kind: .bulk, latency: .milliseconds(40), outcome: .error)
        #expect(samples.count == 2)
        clock.advance(by: .seconds(100))
        // The first sample is now exactly 300s old: kept; a nanosecond later it is gone.
        #expect(samples.count == 2)
        clock.advance(by: .nanoseconds(1))
        #expect(samples.samples().map(\.component) == ["recorder.es"])
        clock.advance(by: .seconds(200))
        #expect(samples.count == 0)
        #expect(samples.aggregate(window: .seconds(3600)).isEmpty)
        #expect(samples.droppedCount == 0)
    }

    @Test func keepsAtMostCapacityDroppingTheOldest() {
        let clock = ManualClock()
        let samples = SampleCollection(retention: .seconds(60), capacity: 3, clock: clock)
        for latency in 1...5 {
            samples.record(component: "reader.a", kind: .poll, latency: .nanoseconds(latency), outcome: .ok)
        }
        #expect(samples.samples().map(\.latencyNanos) == [3, 4, 5])
        #expect(samples.droppedCount == 2)
    }

    @Test func filtersBySinceAndLimit() {
        let clock = ManualClock()
        let samples = SampleCollection(clock: clock)
        let start = clock.wallNanos()
        for index in 0..<5 {
            samples.record(component: "reader.a", kind: .poll, latency: .nanoseconds(index), outcome: .ok)
            clock.advance(by: .seconds(1))
        }
        #expect(samples.samples(sinceWallNanos: start + 2_000_000_000).map(\.latencyNanos) == [2, 3, 4])
        #expect(samples.samples(sinceWallNanos: start + 1, limit: 2).map(\.latencyNanos) == [1, 2])
        #expect(samples.samples().first?.wallNanos == start)
    }

    @Test func nearestRankPercentiles() throws {
        let small = try #require(SampleCollection.Aggregate(component: "c", latencies: [4, 1, 3, 2], errors: 1))
        #expect(small.p50Nanos == 2)
        #expect(small.p95Nanos == 4)
        #expect(small.minNanos == 1 && small.maxNanos == 4 && small.avgNanos == 2.5)
        let hundred = try #require(
            SampleCollection.Aggregate(component: "c", latencies: (1...100).reversed(), errors: 0))
        #expect([hundred.p50Nanos, hundred.p95Nanos, hundred.p99Nanos] == [50, 95, 99])
        let one = try #require(SampleCollection.Aggregate(component: "c", latencies: [7], errors: 0))
        #expect([one.p50Nanos, one.p99Nanos, one.minNanos, one.maxNanos] == [7, 7, 7, 7])
        #expect(SampleCollection.Aggregate(component: "c", latencies: [], errors: 0) == nil)
    }

    @Test func aggregatesEqualARecomputationFromRawSamples() throws {
        let clock = ManualClock()
        let samples = SampleCollection(clock: clock)
        var random = SplitMix64(seed: 42)
        let components = ["reader.app1", "reader.app2", "recorder.es"]
        for _ in 0..<3000 {
            let component = components[Int(random.next() % 3)]
            samples.record(
                component: component, kind: component.hasPrefix("reader") ? .poll : .bulk,
                latency: .nanoseconds(Int64(random.next() % 1_000_000)), outcome: random.next() % 10 == 0 ? .error : .ok
            )
            clock.advance(by: .milliseconds(Int64(random.next() % 100)))
        }
        let window = Duration.seconds(60)
        let since = clock.wallNanos() - 60_000_000_000
        let raw = samples.samples().filter { $0.wallNanos >= since }
        let aggregates = samples.aggregate(window: window)
        #expect(aggregates.map(\.component) == components)
        for aggregate in aggregates {
            let mine = raw.filter { $0.component == aggregate.component }
            let sorted = mine.map(\.latencyNanos).sorted()
            #expect(aggregate.count == mine.count)
            #expect(aggregate.errors == mine.filter { $0.outcome == .error }.count)
            #expect(aggregate.minNanos == sorted.first && aggregate.maxNanos == sorted.last)
            let mean = Double(sorted.reduce(0, +)) / Double(sorted.count)
            #expect(abs(aggregate.avgNanos - mean) < 1e-6 * mean)
            for (percent, value) in [(50, aggregate.p50Nanos), (95, aggregate.p95Nanos), (99, aggregate.p99Nanos)] {
                let rank = Int((Double(percent) / 100 * Double(sorted.count)).rounded(.up))
                #expect(value == sorted[rank - 1])
            }
        }
        #expect(aggregates.reduce(0) { $0 + $1.count } < 3000)
    }
}
