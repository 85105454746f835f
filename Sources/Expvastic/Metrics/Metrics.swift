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
    /// A label set hashed once, label by label: the four series of a target's engine share it, so
    /// its strings (a 40-byte endpoint) are hashed once, not once per series and again per label.
    public struct Labels: Sendable {
        public let labels: [Label]
        /// The combined hash of the labels' hashes, in order.
        public let hash: Int
        /// The hashes of the first two labels, inline (most label sets have one or two: no array
        /// per label set), and of the others.
        private let firstHashes: (Int, Int)
        private let moreHashes: [Int]

        public init(_ labels: [Label]) {
            self.labels = labels
            var first = (0, 0)
            var more: [Int] = []
            var hash = 0
            for (index, label) in labels.enumerated() {
                let labelHash = label.hashValue
                switch index {
                case 0: first.0 = labelHash
                case 1: first.1 = labelHash
                default: more.append(labelHash)
                }
                hash = PrehashMix.combine(hash, labelHash)
            }
            self.firstHashes = first
            self.moreHashes = more
            self.hash = hash
        }

        /// `labels[index].hashValue`, computed when the labels were.
        public func labelHash(_ index: Int) -> Int {
            switch index {
            case 0: firstHashes.0
            case 1: firstHashes.1
            default: moreHashes[index - 2]
            }
        }
    }

    /// A key whose labels are hashed (``Labels``): the registry finds a series by its label set,
    /// then by name among the few series of that set, so the name is never hashed.
    public struct Hashed: Sendable {
        public let name: String
        public let labels: Labels

        public init(_ name: String, _ labels: Labels) {
            self.name = name
            self.labels = labels
        }

        public init(_ key: MetricKey) { self.init(key.name, Labels(key.labels)) }

        public var key: MetricKey { MetricKey(name, labels: labels.labels) }

        /// The same series (cheap when both were made from one ``Labels``: its arrays compare by
        /// identity first).
        public func names(_ other: Hashed) -> Bool {
            labels.hash == other.labels.hash && name == other.name && labels.labels == other.labels.labels
        }
    }
}

/// A monotonically increasing count.
public final class Counter: Sendable {
    // Inlinable: an opaque call on a counter read out of an array or a struct in another module
    // retains and releases it around the call (15 retains per poll for the reader's drop counters).
    @usableFromInline let storage = Atomic<Int64>(0)
    public init() {}
    @inlinable public func increment(by amount: Int64 = 1) { storage.add(amount, ordering: .relaxed) }
    @inlinable public var value: Int64 { storage.load(ordering: .relaxed) }
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

        public init() {}

        public mutating func record(nanos: UInt64) {
            minNanos = count == 0 ? nanos : min(minNanos, nanos)
            maxNanos = max(maxNanos, nanos)
            count += 1
            sumNanos &+= nanos
            lastNanos = nanos
        }
    }

    private let storage = Mutex(Summary())
    public init() {}

    public func record(nanos: UInt64) { storage.withLock { $0.record(nanos: nanos) } }

    public var summary: Summary { storage.withLock { $0 } }
}

/// Several series of one label set whose values one object holds: an engine's poll counters and
/// latency are one object per target, not four (10,000 targets are made and released at once).
public protocol SeriesBlock: AnyObject, Sendable {
    /// The current value of its series number `index` (in the order of the names it was
    /// registered with, ``MetricsFactory/block(_:labelled:make:)``).
    func value(_ index: Int) -> MetricsRegistry.Value
}

/// Hands out counters, gauges and timers. Components ask once at start-up and keep the objects.
public protocol MetricsFactory: Sendable {
    func counter(_ key: MetricKey) -> Counter
    /// ``counter(_:)`` with the key's hash already computed: a component made once per target
    /// (10,000 readers of one job) asks for the same keys as every other target of its job, and an
    /// engine's series share their labels' hashes.
    func counter(_ key: MetricKey.Hashed) -> Counter
    /// The counters of `keys`, in order: what a component made once per target of a job (its
    /// reader) registers, asked for in one call.
    func counters(_ keys: [MetricKey.Hashed]) -> [Counter]
    func gauge(_ key: MetricKey) -> Gauge
    func timer(_ key: MetricKey) -> Timer
    /// ``timer(_:)`` with the key's hash already computed.
    func timer(_ key: MetricKey.Hashed) -> Timer
    /// The block holding the series `names`, all labelled `labels`: the one registered for them
    /// (a target that restarts keeps its series and their values), else `make()`'s, registered now.
    func block<Block: SeriesBlock>(_ names: [String], labelled labels: MetricKey.Labels, make: () -> Block) -> Block
    /// Forgets every series whose labels include all of `labels` (a target or reader that went away);
    /// objects handed out earlier keep working but are no longer reported. Returns how many went.
    /// (Hashed: an engine hands back the labels it registered with, ``block(_:labelled:make:)``.)
    @discardableResult func removeSeries(labelled labels: MetricKey.Labels) -> Int
}

extension MetricsFactory {
    /// ``removeSeries(labelled:)`` of labels not hashed yet.
    @discardableResult public func removeSeries(labelled labels: [MetricKey.Label]) -> Int {
        removeSeries(labelled: MetricKey.Labels(labels))
    }
    public func counter(_ key: MetricKey.Hashed) -> Counter { counter(key.key) }
    public func timer(_ key: MetricKey.Hashed) -> Timer { timer(key.key) }
    public func counters(_ keys: [MetricKey.Hashed]) -> [Counter] { keys.map { counter($0) } }
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
        /// All the series of a block, `names` in order, in one slot (an engine's four series are
        /// one slot, not four: a target taken on or dropped adds or frees one).
        case block(any SeriesBlock, names: [String])

        /// How many series it holds.
        var seriesCount: Int {
            if case .block(_, let names) = self { return names.count }
            return 1
        }

        /// The value of its series `index` (0 unless a block).
        func value(_ index: Int) -> Value {
            switch self {
            case .counter(let c): .counter(c.value)
            case .gauge(let g): .gauge(g.value)
            case .timer(let t): .timer(t.summary)
            case .block(let block, _): block.value(index)
            }
        }
    }

    /// Every series, in creation order, findable by any of its labels: a target that goes away
    /// takes its series with it in time proportional to its own series, not to all of them (with
    /// 10,000 targets, scanning every series per removed target made replacing 1,000 targets cost
    /// seconds of CPU).
    ///
    /// Series are grouped by label set (a group: a target's engine's four series share one), and
    /// the tables hold groups: a series is found by its labels' group, then by name among the
    /// group's few slots (a slot: one series, or all of a block's); the label index holds group
    /// numbers. Taking on or dropping a target is one entry in the group table, one per label in
    /// the label index and one slot (its engine's block), not one per series and label, and no
    /// string is hashed again (labels carry their hashes, ``MetricKey/Labels``).
    ///
    /// A slot's number is its place in `slots` (a removed slot's is reused), so going from a
    /// number to its key, entry and place in the creation order is an array access; the same for
    /// groups.
    ///
    /// The integers that chain a group's series and place them in the creation order live in
    /// tables of their own (`links`, `heads`), beside the keys and entries: reading a field of an
    /// optional element copied the whole element, so walking a group's four series through `slots`
    /// retained and released each one's key and entry twice, and adding a series copied its group's
    /// labels (together about 70 of the ~700 reference-count operations that taking on and dropping
    /// a discovered target cost).
    private struct State: ~Copyable {
        /// One series, or a block's series (`key` names the first).
        package struct Slot {
            package var key: MetricKey
            package var entry: Entry
        }

        /// Where a slot sits in `order`, and the next slot of its group (-1 for none).
        package struct Link {
            package var position: Int
            package var next: Int
        }

        /// A group's slots: a list through ``Link/next`` from `first` (no array per group; an
        /// expvar job has ten groups of one series), and how many slots and series it has.
        package struct Head {
            package var first = -1
            package var slots = 0
            package var series = 0
        }

        /// A label set as a table key, with its hash.
        package struct LabelSet: Hashable {
            package let labels: [MetricKey.Label]
            package let hash: Int

            package init(_ labels: MetricKey.Labels) {
                self.labels = labels.labels
                self.hash = labels.hash
            }

            package func hash(into hasher: inout Hasher) { hasher.combine(hash) }
            package func _rawHashValue(seed: Int) -> Int { PrehashMix.mix(hash, seed: seed) }
            package static func == (lhs: LabelSet, rhs: LabelSet) -> Bool {
                lhs.hash == rhs.hash && lhs.labels == rhs.labels
            }
        }

        package var groupNumbers: [LabelSet: Int] = [:]
        /// Every group's labels by its number; nil: free (its number is in `freeGroups`).
        package var groups: [MetricKey.Labels?] = []
        /// Every group's series, by the group's number (a free group's is stale: `place` sets it again).
        package var heads: [Head] = []
        package var freeGroups: [Int] = []
        /// Every slot by its number; nil: free (its number is in `free`).
        package var slots: [Slot?] = []
        /// Every slot's place, by its number (a free slot's is stale: `place` sets it again).
        package var links: [Link] = []
        package var free: [Int] = []
        /// Slot numbers in creation order; a removed slot leaves a hole (-1) until more than
        /// half are holes.
        package var order: [Int] = []
        package var holes = 0
        /// How many series (not slots).
        package var count = 0
        /// The groups carrying each label.
        package var byLabel: [Prehashed<MetricKey.Label>: LabelGroups] = [:]

        /// The groups carrying one label: most labels (a target's endpoint) are carried by one
        /// group, kept inline instead of in a set of its own.
        package enum LabelGroups {
            case one(Int)
            case many(Set<Int>)

            package var count: Int {
                switch self {
                case .one: 1
                case .many(let groups): groups.count
                }
            }

            package mutating func insert(_ group: Int) {
                switch self {
                case .one(let only) where only == group: return
                case .one(let only): self = .many([only, group])
                case .many(var groups):
                    // Not kept in `self` while inserting: that would copy the set.
                    self = .one(-1)
                    groups.insert(group)
                    self = .many(groups)
                }
            }

            /// Removes `group`; returns false when no group is left.
            package mutating func remove(_ group: Int) -> Bool {
                switch self {
                case .one(let only): return only != group
                case .many(var groups):
                    self = .one(-1)
                    groups.remove(group)
                    self = groups.count == 1 ? .one(groups.first!) : .many(groups)
                    return true
                }
            }
        }
        /// The last ``MetricsRegistry/counters(_:)`` call: its keys, answer and the groups of its
        /// series; forgotten when one of those groups is removed. The next reader of the same job
        /// asks for the same keys and gets the same array.
        package var lastCounters: (keys: [MetricKey.Hashed], counters: [Counter], groups: [Int])?

        /// The slot of the series `key` and its index there, if it exists.
        package func find(_ key: MetricKey.Hashed) -> (number: Int, index: Int)? {
            guard let group = groupNumbers[LabelSet(key.labels)] else { return nil }
            return find(key.name, in: group)
        }

        /// The slot of the series named `name` in group `group` and its index there (0 unless a
        /// block's), if there is one.
        package func find(_ name: String, in group: Int) -> (number: Int, index: Int)? {
            var number = heads[group].first
            while number >= 0 {
                if let slot = slots[number] {
                    if case .block(_, let names) = slot.entry {
                        if let index = names.firstIndex(of: name) { return (number, index) }
                    } else if slot.key.name == name {
                        return (number, 0)
                    }
                }
                number = links[number].next
            }
            return nil
        }

        /// The series `key`, `make()` registered when there is none, and its group.
        package mutating func series(_ key: MetricKey.Hashed, or make: () -> Entry) -> (entry: Entry, group: Int) {
            if let group = groupNumbers[LabelSet(key.labels)], let found = find(key.name, in: group) {
                return (slots[found.number]!.entry, group)
            }
            let made = make()
            return (made, add(key, made))
        }

        /// Registers the series `key`, which does not exist; returns its group.
        @discardableResult package mutating func add(_ key: MetricKey.Hashed, _ entry: Entry) -> Int {
            let group = group(key.labels)
            add(key.name, labelled: key.labels.labels, entry, to: group)
            return group
        }

        /// The number of the group of `labels`, made (and filed under each label) when there is none.
        package mutating func group(_ labels: MetricKey.Labels) -> Int {
            let set = LabelSet(labels)
            if let existing = groupNumbers[set] { return existing }
            let group = Self.place(labels, in: &groups, beside: &heads, Head(), reusing: &freeGroups)
            groupNumbers[set] = group
            for (index, label) in labels.labels.enumerated() {
                let key = Prehashed(label, hash: labels.labelHash(index))
                if let index = byLabel.index(forKey: key) {
                    byLabel.values[index].insert(group)
                } else {
                    byLabel[key] = .one(group)
                }
            }
            return group
        }

        /// Registers the series `name` of group `group` (whose labels are `labels`), which does not
        /// exist: `entry` (a block's slot is named by its first series).
        package mutating func add(_ name: String, labelled labels: [MetricKey.Label], _ entry: Entry, to group: Int) {
            let series = entry.seriesCount
            let number = Self.place(
                Slot(key: MetricKey(name, labels: labels), entry: entry), in: &slots, beside: &links,
                Link(position: order.count, next: heads[group].first), reusing: &free)
            heads[group].first = number
            heads[group].slots += 1
            heads[group].series += series
            order.append(number)
            count += series
        }

        /// Stores `element` at a free number of `table` (the last one freed) or at its end, and
        /// `companion` at the same number of `companions`; returns the number.
        private static func place<Element, Companion>(
            _ element: Element, in table: inout [Element?], beside companions: inout [Companion],
            _ companion: Companion, reusing free: inout [Int]
        ) -> Int {
            if let number = free.popLast() {
                table[number] = element
                companions[number] = companion
                return number
            }
            table.append(element)
            companions.append(companion)
            return table.count - 1
        }

        /// Removes group `group` and its series; returns how many series went.
        package mutating func remove(group number: Int) -> Int {
            guard let labels = groups[number] else { return 0 }
            let head = heads[number]
            if let last = lastCounters, last.groups.contains(number) { lastCounters = nil }
            groups[number] = nil
            freeGroups.append(number)
            groupNumbers.removeValue(forKey: LabelSet(labels))
            for (position, label) in labels.labels.enumerated() {
                let key = Prehashed(label, hash: labels.labelHash(position))
                guard let index = byLabel.index(forKey: key) else { continue }
                if !byLabel.values[index].remove(number) { byLabel.remove(at: index) }
            }
            var series = head.first
            while series >= 0 {
                let link = links[series]
                order[link.position] = -1
                slots[series] = nil
                free.append(series)
                series = link.next
            }
            holes += head.slots
            count -= head.series
            if holes > 64, holes * 2 > order.count {
                order.removeAll { $0 < 0 }
                holes = 0
                for (position, series) in order.enumerated() { links[series].position = position }
            }
            return head.series
        }
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
        state.withLock { state in state.series(key, or: make).entry }
    }

    public func counter(_ key: MetricKey) -> Counter { counter(MetricKey.Hashed(key)) }

    public func counter(_ key: MetricKey.Hashed) -> Counter {
        if case .counter(let existing) = series(key, or: .counter(Counter())) { return existing }
        preconditionFailure("metric \(key.key) registered with another kind")
    }

    public func counters(_ keys: [MetricKey.Hashed]) -> [Counter] {
        state.withLock { state in
            // The same array first (a job's readers pass the one array of its keys): then no key
            // is compared (15 comparisons were 2 % of replacing 10,000 targets).
            if let last = state.lastCounters, last.keys.count == keys.count,
                Self.sameStorage(last.keys, keys) || zip(last.keys, keys).allSatisfy({ $0.names($1) })
            {
                return last.counters
            }
            var counters: [Counter] = []
            var groups: [Int] = []
            counters.reserveCapacity(keys.count)
            groups.reserveCapacity(keys.count)
            for key in keys {
                let (entry, group) = state.series(key) { .counter(Counter()) }
                guard case .counter(let counter) = entry else {
                    preconditionFailure("metric \(key.key) registered with another kind")
                }
                counters.append(counter)
                groups.append(group)
            }
            state.lastCounters = (keys, counters, groups)
            return counters
        }
    }

    /// `a` and `b` are one array (share their storage).
    private static func sameStorage<Element>(_ a: [Element], _ b: [Element]) -> Bool {
        a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress } }
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

    public func block<Block: SeriesBlock>(_ names: [String], labelled labels: MetricKey.Labels, make: () -> Block)
        -> Block
    {
        state.withLock { state in
            // The group found or made once for all the block's series (a target's engine: four).
            let group = state.group(labels)
            if let found = state.find(names[0], in: group) {
                guard found.index == 0, case .block(let existing as Block, _) = state.slots[found.number]!.entry else {
                    preconditionFailure(
                        "metric \(MetricKey(names[0], labels: labels.labels)) registered with another kind")
                }
                return existing
            }
            let block = make()
            state.add(names[0], labelled: labels.labels, .block(block, names: names), to: group)
            return block
        }
    }

    @discardableResult public func removeSeries(labelled hashed: MetricKey.Labels) -> Int {
        let labels = hashed.labels
        precondition(!labels.isEmpty, "removing every series is not a release")
        return state.withLock { state in
            // The groups carrying the rarest of the labels are the only candidates.
            var candidates: State.LabelGroups = .many([])
            for (index, label) in labels.enumerated() {
                let carrying = state.byLabel[Prehashed(label, hash: hashed.labelHash(index))] ?? .many([])
                if index == 0 || carrying.count < candidates.count { candidates = carrying }
            }
            func matches(_ group: Int) -> Bool { labels.allSatisfy(state.groups[group]!.labels.contains) }
            let matching: [Int]
            switch candidates {
            case .one(let group):
                // A target's endpoint: its one group, without a list.
                return matches(group) ? state.remove(group: group) : 0
            case .many(let groups):
                matching = groups.filter(matches)
            }
            // Not kept while the label index changes (it may share that index's storage).
            candidates = .many([])
            return matching.reduce(0) { $0 + state.remove(group: $1) }
        }
    }

    /// How many series exist.
    public var seriesCount: Int { state.withLock { $0.count } }

    /// Every series in creation order with its current value (a block's in the order of its names).
    public func snapshot() -> [(key: MetricKey, value: Value)] {
        let entries: [(MetricKey, Entry)] = state.withLock { state in
            state.order.compactMap { number in
                guard number >= 0, let slot = state.slots[number] else { return nil }
                return (slot.key, slot.entry)
            }
        }
        var series: [(key: MetricKey, value: Value)] = []
        series.reserveCapacity(entries.count)
        for (key, entry) in entries {
            guard case .block(_, let names) = entry else {
                series.append((key, entry.value(0)))
                continue
            }
            for (index, name) in names.enumerated() {
                series.append((MetricKey(name, labels: key.labels), entry.value(index)))
            }
        }
        return series
    }

    /// The current value of one series, if it exists (for tests and health checks).
    public func value(_ key: MetricKey) -> Value? {
        let key = MetricKey.Hashed(key)
        let found: (entry: Entry, index: Int)? = state.withLock { state in
            state.find(key).map { (state.slots[$0.number]!.entry, $0.index) }
        }
        return found.map { $0.entry.value($0.index) }
    }
}
