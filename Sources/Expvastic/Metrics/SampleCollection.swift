import Synchronization

/// Recent raw poll and bulk events (time, component, latency, outcome) for `/api/v1/collection`, kept in
/// memory for `retention` and bounded in count.
///
/// Expiry is lazy and driven by the injected clock's monotonic time: every ``record(_:)`` and every query
/// first drops what is older than `retention`. When `capacity` samples are held, recording drops the
/// oldest and counts it in ``droppedCount``. Memory: about 40 bytes per sample (component names are
/// interned), so the default capacity of 1,000,000 costs at most ~40 MB.
public final class SampleCollection: Sendable {
    /// One event.
    public struct Sample: Sendable, Equatable {
        /// What was timed.
        public enum Kind: String, Sendable, Equatable, CaseIterable {
            /// A reader's poll of its endpoint.
            case poll
            /// A recorder's bulk request.
            case bulk
        }

        /// How it ended.
        public enum Outcome: String, Sendable, Equatable, CaseIterable {
            case ok
            case error
        }

        /// Wall-clock time of the event, nanoseconds since the Unix epoch.
        public var wallNanos: Int64
        /// `reader.<name>` or `recorder.<name>`.
        public var component: String
        public var kind: Kind
        /// How long it took, nanoseconds.
        public var latencyNanos: UInt64
        public var outcome: Outcome

        public init(wallNanos: Int64, component: String, kind: Kind, latencyNanos: UInt64, outcome: Outcome) {
            self.wallNanos = wallNanos
            self.component = component
            self.kind = kind
            self.latencyNanos = latencyNanos
            self.outcome = outcome
        }
    }

    /// Latency statistics of one component over a window. Percentiles use the nearest-rank method: with the
    /// `n` latencies sorted ascending, the p-th percentile is the value at 1-based rank `ceil(p / 100 * n)`
    /// (so it is always an observed latency; p50 of `[1, 2, 3, 4]` is 2).
    public struct Aggregate: Sendable, Equatable {
        public var component: String
        /// Samples in the window.
        public var count: Int
        /// Samples with outcome `error`.
        public var errors: Int
        public var minNanos: UInt64
        /// Arithmetic mean in nanoseconds.
        public var avgNanos: Double
        public var p50Nanos: UInt64
        public var p95Nanos: UInt64
        public var p99Nanos: UInt64
        public var maxNanos: UInt64

        public init(
            component: String, count: Int, errors: Int, minNanos: UInt64, avgNanos: Double, p50Nanos: UInt64,
            p95Nanos: UInt64, p99Nanos: UInt64, maxNanos: UInt64
        ) {
            self.component = component
            self.count = count
            self.errors = errors
            self.minNanos = minNanos
            self.avgNanos = avgNanos
            self.p50Nanos = p50Nanos
            self.p95Nanos = p95Nanos
            self.p99Nanos = p99Nanos
            self.maxNanos = maxNanos
        }

        /// Computes the statistics of `latencies` (any order); nil when empty.
        public init?(component: String, latencies: [UInt64], errors: Int) {
            guard !latencies.isEmpty else { return nil }
            let sorted = latencies.sorted()
            var sum: Double = 0
            for value in sorted { sum += Double(value) }
            func rank(_ percent: Int) -> UInt64 {
                // ceil(percent * n / 100) in integers, at least 1.
                let r = max(1, (percent * sorted.count + 99) / 100)
                return sorted[r - 1]
            }
            self.init(
                component: component, count: sorted.count, errors: errors, minNanos: sorted[0],
                avgNanos: sum / Double(sorted.count), p50Nanos: rank(50), p95Nanos: rank(95), p99Nanos: rank(99),
                maxNanos: sorted[sorted.count - 1])
        }
    }

    private struct Entry {
        package var monotonicNanos: UInt64
        package var wallNanos: Int64
        package var latencyNanos: UInt64
        package var component: UInt32
        package var kind: Sample.Kind
        package var outcome: Sample.Outcome
    }

    private struct State {
        package var entries: [Entry] = []
        /// Index of the oldest live entry; the prefix before it is garbage, compacted now and then.
        package var start = 0
        package var componentIDs: [String: UInt32] = [:]
        package var componentNames: [String] = []
        package var dropped = 0

        package var count: Int { entries.count - start }

        package mutating func expire(before cutoff: UInt64) {
            while start < entries.count, entries[start].monotonicNanos < cutoff { start += 1 }
            compactIfNeeded()
        }

        package mutating func compactIfNeeded() {
            if start == entries.count {
                entries.removeAll(keepingCapacity: entries.count < 4096)
                start = 0
            } else if start >= 4096, start * 2 >= entries.count {
                entries.removeFirst(start)
                start = 0
            }
        }
    }

    /// How long samples are kept.
    public let retention: Duration
    /// Most samples kept; beyond it the oldest are dropped.
    public let capacity: Int
    private let clock: any TimeSource
    private let state = Mutex(State())

    /// - Parameters:
    ///   - retention: how long samples are kept (`settings.http.retention`); default 5 minutes.
    ///   - capacity: most samples kept; default 1,000,000.
    ///   - clock: drives expiry and stamps samples recorded without a time.
    public init(retention: Duration = .seconds(300), capacity: Int = 1_000_000, clock: any TimeSource = SystemClock()) {
        precondition(capacity > 0, "capacity must be positive")
        self.retention = retention
        self.capacity = capacity
        self.clock = clock
    }

    /// Records one event that happened now (per the clock).
    public func record(component: String, kind: Sample.Kind, latency: Duration, outcome: Sample.Outcome) {
        record(
            Sample(
                wallNanos: clock.wallNanos(), component: component, kind: kind, latencyNanos: latency.nanoseconds,
                outcome: outcome))
    }

    /// Records one event. Its age for expiry counts from now (per the clock's monotonic time), whatever its
    /// `wallNanos`.
    public func record(_ sample: Sample) {
        let now = clock.monotonicNanos()
        let cutoff = cutoff(now)
        state.withLock { state in
            state.expire(before: cutoff)
            if state.count >= capacity {
                state.start += state.count - capacity + 1
                state.dropped += 1
                state.compactIfNeeded()
            }
            let id: UInt32
            if let known = state.componentIDs[sample.component] {
                id = known
            } else {
                id = UInt32(state.componentNames.count)
                state.componentIDs[sample.component] = id
                state.componentNames.append(sample.component)
            }
            state.entries.append(
                Entry(
                    monotonicNanos: now, wallNanos: sample.wallNanos, latencyNanos: sample.latencyNanos, component: id,
                    kind: sample.kind, outcome: sample.outcome))
        }
    }

    /// Samples dropped because the collection was full (not those that expired).
    public var droppedCount: Int { state.withLock { $0.dropped } }

    /// Samples held now (after expiry).
    public var count: Int {
        let cutoff = cutoff(clock.monotonicNanos())
        return state.withLock { state in
            state.expire(before: cutoff)
            return state.count
        }
    }

    /// Live samples with `wallNanos >= sinceWallNanos`, oldest recorded first, at most `limit` of them
    /// (the oldest ones; ask again with a later `since` for the rest).
    public func samples(sinceWallNanos: Int64 = .min, limit: Int = .max) -> [Sample] {
        let cutoff = cutoff(clock.monotonicNanos())
        return state.withLock { state in
            state.expire(before: cutoff)
            var result: [Sample] = []
            var index = state.start
            while index < state.entries.count, result.count < limit {
                let entry = state.entries[index]
                index += 1
                guard entry.wallNanos >= sinceWallNanos else { continue }
                result.append(
                    Sample(
                        wallNanos: entry.wallNanos, component: state.componentNames[Int(entry.component)],
                        kind: entry.kind, latencyNanos: entry.latencyNanos, outcome: entry.outcome))
            }
            return result
        }
    }

    /// The live samples of each of `components`, oldest first, as (latency, succeeded) pairs: one scan of
    /// the collection however many components are asked for (the status page asks for one page of rows).
    public func latencies(of components: Set<String>) -> [String: [(latencyNanos: UInt64, ok: Bool)]] {
        let cutoff = cutoff(clock.monotonicNanos())
        return state.withLock { state in
            state.expire(before: cutoff)
            // Component id -> slot in `series` (-1: not wanted): an array lookup per entry, not a hash.
            var slots = [Int32](repeating: -1, count: state.componentNames.count)
            var names: [String] = []
            for name in components {
                guard let id = state.componentIDs[name] else { continue }
                slots[Int(id)] = Int32(names.count)
                names.append(name)
            }
            var result: [String: [(latencyNanos: UInt64, ok: Bool)]] = [:]
            guard !names.isEmpty else { return result }
            var series = [[(latencyNanos: UInt64, ok: Bool)]](repeating: [], count: names.count)
            for index in state.start..<state.entries.count {
                let entry = state.entries[index]
                let slot = slots[Int(entry.component)]
                if slot >= 0 { series[Int(slot)].append((entry.latencyNanos, entry.outcome == .ok)) }
            }
            for (slot, name) in names.enumerated() where !series[slot].isEmpty { result[name] = series[slot] }
            return result
        }
    }

    /// Per-component statistics of the live samples recorded within the last `window` (per the clock's
    /// wall time: `wallNanos >= now - window`), sorted by component name.
    public func aggregate(window: Duration) -> [Aggregate] {
        let now = clock.monotonicNanos()
        let cutoff = cutoff(now)
        let since = clock.wallNanos() &- Int64(clamping: window.nanoseconds)
        let (names, groups): ([String], [UInt32: (latencies: [UInt64], errors: Int)]) = state.withLock { state in
            state.expire(before: cutoff)
            var groups: [UInt32: (latencies: [UInt64], errors: Int)] = [:]
            for index in state.start..<state.entries.count {
                let entry = state.entries[index]
                guard entry.wallNanos >= since else { continue }
                groups[entry.component, default: ([], 0)].latencies.append(entry.latencyNanos)
                if entry.outcome == .error { groups[entry.component, default: ([], 0)].errors += 1 }
            }
            return (state.componentNames, groups)
        }
        return groups.compactMap { id, group in
            Aggregate(component: names[Int(id)], latencies: group.latencies, errors: group.errors)
        }.sorted { $0.component < $1.component }
    }

    private func cutoff(_ now: UInt64) -> UInt64 {
        let age = retention.nanoseconds
        return now > age ? now - age : 0
    }
}
