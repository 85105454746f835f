import Synchronization

/// The identity of one metric series: a snake_case name and ordered labels,
/// e.g. `polls_ok` with `[("reader", "FirstApp")]`.
public struct MetricKey: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var labels: [Label]

    public struct Label: Hashable, Sendable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(_ name: String, labels: [Label] = []) {
        self.name = name
        self.labels = labels
    }

    /// Where the series sits in `/debug/vars` and in `self` documents, outermost first:
    /// `[readers|recorders, <value>, name, <other label values>…]` when it has a `reader` or
    /// `recorder` label (plural, because documents carry a `reader` string field), else
    /// `[name, <label values>…]`. `polls_ok{reader=app}` → `readers.app.polls_ok`,
    /// `fields_dropped{reader=app,reason=null}` → `readers.app.fields_dropped.null`.
    public var path: [String] {
        guard let owner = labels.firstIndex(where: { $0.name == "reader" || $0.name == "recorder" }) else {
            return [name] + labels.map(\.value)
        }
        var parts = [labels[owner].name + "s", labels[owner].value, name]
        for (index, label) in labels.enumerated() where index != owner { parts.append(label.value) }
        return parts
    }

    public var description: String {
        labels.isEmpty ? name : name + "{" + labels.map { "\($0.name)=\($0.value)" }.joined(separator: ",") + "}"
    }
}

extension MetricKey {
    /// A series name hashed once: the names every target's engine or reader registers.
    public struct Name: Sendable {
        public let text: String
        public let hash: Int

        public init(_ text: String) {
            self.text = text
            self.hash = text.hashValue
        }
    }

    /// A label set hashed once, label by label: the four series of a target's engine share it, so
    /// its strings (a 40-byte endpoint) are hashed once, not once per series and again per label.
    public struct Labels: Sendable {
        public let labels: [Label]
        /// `labels[i].hashValue`, in order.
        public let hashes: [Int]
        /// The hashes combined in order.
        public let hash: Int

        public init(_ labels: [Label]) {
            self.labels = labels
            var hashes: [Int] = []
            hashes.reserveCapacity(labels.count)
            var hash = 0
            for label in labels {
                let labelHash = label.hashValue
                hashes.append(labelHash)
                hash = PrehashMix.combine(hash, labelHash)
            }
            self.hashes = hashes
            self.hash = hash
        }
    }

    /// A key with its hash, computed from its name's and labels' hashes (``Name``, ``Labels``), and
    /// its labels' hashes, which the registry's index of labels uses.
    public struct Hashed: Hashable, Sendable {
        public let key: MetricKey
        public let hash: Int
        /// `key.labels[i].hashValue`, in order.
        public let labelHashes: [Int]

        public init(_ name: Name, _ labels: Labels) {
            key = MetricKey(name.text, labels: labels.labels)
            hash = PrehashMix.combine(name.hash, labels.hash)
            labelHashes = labels.hashes
        }

        public init(_ key: MetricKey) { self.init(Name(key.name), Labels(key.labels)) }

        public func hash(into hasher: inout Hasher) { hasher.combine(hash) }

        public func _rawHashValue(seed: Int) -> Int { PrehashMix.mix(hash, seed: seed) }

        public static func == (lhs: Hashed, rhs: Hashed) -> Bool { lhs.hash == rhs.hash && lhs.key == rhs.key }
    }
}

/// A monotonically increasing count.
public final class Counter: Sendable {
    private let storage = Atomic<Int64>(0)
    public init() {}
    public func increment(by amount: Int64 = 1) { storage.add(amount, ordering: .relaxed) }
    public var value: Int64 { storage.load(ordering: .relaxed) }
}

/// A value that goes up and down (queue length, spool bytes, RSS).
public final class Gauge: Sendable {
    private let bits = Atomic<UInt64>(0)
    public init() {}
    public func set(_ value: Double) { bits.store(value.bitPattern, ordering: .relaxed) }
    public var value: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }
}

/// Durations: count, sum, min, max and the last value, in nanoseconds.
public final class Timer: Sendable {
    public struct Summary: Sendable, Equatable {
        public var count: Int64 = 0
        public var sumNanos: UInt64 = 0
        public var minNanos: UInt64 = 0
        public var maxNanos: UInt64 = 0
        public var lastNanos: UInt64 = 0
        /// Mean in nanoseconds, 0 when empty.
        public var meanNanos: Double { count == 0 ? 0 : Double(sumNanos) / Double(count) }
    }

    private let storage = Mutex(Summary())
    public init() {}

    public func record(nanos: UInt64) {
        storage.withLock { s in
            s.minNanos = s.count == 0 ? nanos : min(s.minNanos, nanos)
            s.maxNanos = max(s.maxNanos, nanos)
            s.count += 1
            s.sumNanos &+= nanos
            s.lastNanos = nanos
        }
    }

    public var summary: Summary { storage.withLock { $0 } }
}

/// Hands out counters, gauges and timers. Components ask once at start-up and keep the objects.
public protocol MetricsFactory: Sendable {
    func counter(_ key: MetricKey) -> Counter
    /// ``counter(_:)`` with the key's hash already computed: a component made once per target
    /// (10,000 readers of one job) asks for the same keys as every other target of its job, and an
    /// engine's series share their labels' hashes.
    func counter(_ key: MetricKey.Hashed) -> Counter
    func gauge(_ key: MetricKey) -> Gauge
    func timer(_ key: MetricKey) -> Timer
    /// ``timer(_:)`` with the key's hash already computed.
    func timer(_ key: MetricKey.Hashed) -> Timer
    /// Forgets every series whose labels include all of `labels` (a target or reader that went away);
    /// objects handed out earlier keep working but are no longer reported. Returns how many went.
    @discardableResult func removeSeries(labelled labels: [MetricKey.Label]) -> Int
}

extension MetricsFactory {
    public func counter(_ key: MetricKey.Hashed) -> Counter { counter(key.key) }
    public func timer(_ key: MetricKey.Hashed) -> Timer { timer(key.key) }
}

/// The process's metrics: every series created through it, readable as a snapshot for the
/// monitoring endpoint and the self reader. Also the in-memory factory tests use.
public final class MetricsRegistry: MetricsFactory {
    /// One series' current value.
    public enum Value: Sendable, Equatable {
        case counter(Int64)
        case gauge(Double)
        case timer(Timer.Summary)
    }

    private enum Entry {
        case counter(Counter)
        case gauge(Gauge)
        case timer(Timer)
    }

    /// Every series, in creation order, findable by any of its labels: a target that goes away
    /// takes its series with it in time proportional to its own series, not to all of them (with
    /// 10,000 targets, scanning every series per removed target made replacing 1,000 targets cost
    /// seconds of CPU). The label index holds series numbers, not keys: a job's `reader` label is
    /// on 40,000 series at 10,000 targets, and inserting or removing a key there hashed the whole
    /// key again (a tenth of the CPU of replacing all 10,000 targets).
    ///
    /// A series' number is its slot in `slots` (a removed series' slot is reused), so going from a
    /// number to its key, entry and place in the creation order is an array access, not a hash
    /// lookup; with 40,000 series, a table from numbers to keys cost a fifth of adding and removing
    /// a target's series (`target-churn-10000`).
    private struct State: ~Copyable {
        package struct Slot {
            package var key: MetricKey.Hashed
            package var entry: Entry
            /// Where it sits in `order`.
            package var position: Int
        }

        /// Keys and labels carry their hashes (``MetricKey/Hashed``, ``Prehashed``): growing or
        /// removing moves their neighbours without hashing their strings again.
        package var entries: [MetricKey.Hashed: Int] = [:]
        /// Every series by its number; nil: free (its number is in `free`).
        package var slots: [Slot?] = []
        package var free: [Int] = []
        /// Series numbers in creation order; a removed series leaves a hole (-1) until more than
        /// half are holes.
        package var order: [Int] = []
        package var holes = 0
        package var byLabel: [Prehashed<MetricKey.Label>: Set<Int>] = [:]

        package mutating func add(_ key: MetricKey.Hashed, _ entry: Entry) {
            let slot = Slot(key: key, entry: entry, position: order.count)
            let number: Int
            if let reused = free.popLast() {
                number = reused
                slots[number] = slot
            } else {
                number = slots.count
                slots.append(slot)
            }
            entries[key] = number
            order.append(number)
            for (label, hash) in zip(key.key.labels, key.labelHashes) {
                byLabel[Prehashed(label, hash: hash), default: []].insert(number)
            }
        }

        package mutating func remove(_ number: Int) {
            guard let slot = slots[number] else { return }
            slots[number] = nil
            free.append(number)
            entries.removeValue(forKey: slot.key)
            order[slot.position] = -1
            holes += 1
            for (label, hash) in zip(slot.key.key.labels, slot.key.labelHashes) {
                guard let index = byLabel.index(forKey: Prehashed(label, hash: hash)) else { continue }
                byLabel.values[index].remove(number)
                if byLabel.values[index].isEmpty { byLabel.remove(at: index) }
            }
            guard holes > 64, holes * 2 > order.count else { return }
            order.removeAll { $0 < 0 }
            holes = 0
            for (position, number) in order.enumerated() { slots[number]!.position = position }
        }

        /// The key of series `number`, which exists.
        package func key(_ number: Int) -> MetricKey { slots[number]!.key.key }
    }

    private let state = Mutex(State())
    /// Help texts by metric name, for Prometheus `# HELP` lines.
    private let helps = Mutex<[String: String]>([:])

    public init() {}

    /// Records a one-line description for a metric name.
    public func describe(_ name: String, _ help: String) {
        helps.withLock { $0[name] = help }
    }

    public func help(for name: String) -> String? { helps.withLock { $0[name] } }

    /// The series of `key`; `make()` is registered when there is none.
    private func series(_ key: MetricKey.Hashed, or make: @autoclosure () -> Entry) -> Entry {
        state.withLock { state in
            if let number = state.entries[key] { return state.slots[number]!.entry }
            let made = make()
            state.add(key, made)
            return made
        }
    }

    public func counter(_ key: MetricKey) -> Counter { counter(MetricKey.Hashed(key)) }

    public func counter(_ key: MetricKey.Hashed) -> Counter {
        if case .counter(let existing) = series(key, or: .counter(Counter())) { return existing }
        preconditionFailure("metric \(key.key) registered with another kind")
    }

    public func gauge(_ key: MetricKey) -> Gauge {
        if case .gauge(let existing) = series(MetricKey.Hashed(key), or: .gauge(Gauge())) { return existing }
        preconditionFailure("metric \(key) registered with another kind")
    }

    public func timer(_ key: MetricKey) -> Timer { timer(MetricKey.Hashed(key)) }

    public func timer(_ key: MetricKey.Hashed) -> Timer {
        if case .timer(let existing) = series(key, or: .timer(Timer())) { return existing }
        preconditionFailure("metric \(key.key) registered with another kind")
    }

    @discardableResult public func removeSeries(labelled labels: [MetricKey.Label]) -> Int {
        precondition(!labels.isEmpty, "removing every series is not a release")
        return state.withLock { state in
            // The series carrying the rarest of the labels are the only candidates.
            var candidates: Set<Int> = []
            for (index, label) in labels.enumerated() {
                let carrying = state.byLabel[Prehashed(label)] ?? []
                if index == 0 || carrying.count < candidates.count { candidates = carrying }
            }
            let gone = candidates.filter { number in labels.allSatisfy(state.key(number).labels.contains) }
            for number in gone { state.remove(number) }
            return gone.count
        }
    }

    /// How many series exist.
    public var seriesCount: Int { state.withLock { $0.entries.count } }

    /// Every series in creation order with its current value.
    public func snapshot() -> [(key: MetricKey, value: Value)] {
        let entries: [(MetricKey, Entry)] = state.withLock { state in
            state.order.compactMap { number in
                guard number >= 0, let slot = state.slots[number] else { return nil }
                return (slot.key.key, slot.entry)
            }
        }
        return entries.map { key, entry in
            switch entry {
            case .counter(let c): (key, .counter(c.value))
            case .gauge(let g): (key, .gauge(g.value))
            case .timer(let t): (key, .timer(t.summary))
            }
        }
    }

    /// The current value of one series, if it exists (for tests and health checks).
    public func value(_ key: MetricKey) -> Value? {
        let key = MetricKey.Hashed(key)
        let entry: Entry? = state.withLock { state in state.entries[key].map { state.slots[$0]!.entry } }
        switch entry {
        case .counter(let c)?: return .counter(c.value)
        case .gauge(let g)?: return .gauge(g.value)
        case .timer(let t)?: return .timer(t.summary)
        case nil: return nil
        }
    }
}
