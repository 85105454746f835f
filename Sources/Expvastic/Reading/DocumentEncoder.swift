import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Builds one document's JSON object: fields are written as `"key":value` fragments into a reusable
/// scratch buffer, then sorted by key bytes (the escaped key, compared byte-wise) and joined. A key
/// that occurs twice keeps its first occurrence (so the envelope, written first, wins over a payload
/// field named `type` or `reader`); the others are dropped and reported as duplicates.
///
/// Buffers keep their capacity across documents, so a reader's steady state allocates only the
/// final body.
///
/// A reader's documents usually have the same keys from one poll to the next, often in a different
/// write order (Go serves maps in random order: InfluxDB's top-level keys move on every poll). The
/// ``OrderCache`` remembers where each key went in the previous document's sorted order, so the
/// same keys in any order are placed without comparing them, and what the conflict and budget
/// passes removed is reused as well. Writers name keys with ids (``beginField(escapedKey:id:)``),
/// which the cache trusts: within one ``keyEpoch`` an id must always stand for the same key bytes.
package struct DocumentEncoder {
    private struct Entry {
        /// Offset of the opening quote of the key.
        package var start: Int
        /// Offset of the closing quote of the key.
        package var keyEnd: Int
        /// Offset just past the value.
        package var end: Int
        /// The writer's id of the key, or -1 (anonymous).
        package var id: Int32
    }

    /// What the previous document of a writer looked like after sorting, for the next one. A writer
    /// that shares the encoder with others (``ParseScratchPool``) swaps in its own.
    package struct OrderCache {
        /// The previous document's keys in sorted order (before conflict and budget removals): the
        /// key's id, or -1 - n for the n-th anonymous field in write order.
        fileprivate var sortedKeys: [Int32] = []
        /// The rank in ``sortedKeys`` of an id; stale values are told apart by checking
        /// `sortedKeys[rank] == id`, so the array is never cleared.
        fileprivate var rankOfID: [Int32] = []
        /// The rank of the n-th anonymous field.
        fileprivate var anonymousRanks: [Int32] = []
        /// The keys of the anonymous fields, one after the other, and where each ends.
        fileprivate var anonymousKeys: [UInt8] = []
        fileprivate var anonymousKeyEnds: [Int32] = []
        /// The ``DocumentEncoder/keyEpoch`` the ids belong to.
        fileprivate var keyEpoch: UInt64 = 0
        /// The ranks that survived the conflict and budget passes, for ``settled``'s arguments; empty
        /// when all did (``Settled/keptAll``: most documents, and 4 bytes a field less per reader).
        fileprivate var kept: [Int32] = []
        fileprivate var settled: Settled?

        /// What the removal passes decided for the keys of ``sortedKeys``.
        fileprivate struct Settled {
            package var maxFields: Int
            /// The ranks of the pinned fields (the first written), ascending.
            package var pinnedRanks: [Int32]
            package var conflicts: Int
            package var overBudget: Int
            package var mappingFields: Int
            package var firstOverBudget: String?
            package var keptAll: Bool
        }

        /// Number of keys remembered (0: the next document is sorted).
        package var count: Int { sortedKeys.count }
    }

    /// Fragments; public to writers between ``beginField(escapedKey:id:)`` and ``endField()``.
    package var out: [UInt8] = []
    private var entries: [Entry] = []
    /// Entry indices in sorted key order (before removals).
    private var order: [Int] = []
    /// Ranks (indices into ``order``) that survive the removals.
    private var kept: [Int32] = []
    /// Scratch: rank of each entry, budget costs, ranks of pinned fields.
    private var rankOfEntry: [Int32] = []
    private var costs: [Int] = []
    private var pinnedRanks: [Int32] = []
    /// The current writer's cache; see ``OrderCache``.
    package var cache = OrderCache()
    /// Names the id space of the keys written: set by the writer before ``finish(maxFields:pinned:)``
    /// and changed whenever an id may come to stand for other key bytes.
    package var keyEpoch: UInt64 = 0
    private var open: (start: Int, keyEnd: Int, id: Int32)?

    package mutating func reset() {
        out.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
        open = nil
    }

    /// Starts a field whose key is already escaped; write the value into ``out``, then ``endField()``.
    /// `id` (≥ 0) names the key bytes for the ``OrderCache`` (see ``keyEpoch``); -1 for none.
    @inline(__always)
    package mutating func beginField(escapedKey key: UnsafeRawBufferPointer, id: Int32 = -1) {
        let start = out.count
        out.appendWriting(maxCount: key.count + 3) { target in
            target[0] = 0x22
            let end = target.store(key, at: 1)
            target[end] = 0x22
            target[end + 1] = UInt8(ascii: ":")
            return end + 2
        }
        open = (start, start + 1 + key.count, id)
    }

    /// Starts a field whose escaped key is `prefix`, then (when neither is empty) `.`, then `key`.
    @inline(__always)
    package mutating func beginField(prefix: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer, id: Int32) {
        let start = out.count
        var keyEnd = 0
        out.appendWriting(maxCount: prefix.count + key.count + 4) { target in
            target[0] = 0x22
            var end = target.store(prefix, at: 1)
            if end > 1, !key.isEmpty {
                target[end] = UInt8(ascii: ".")
                end += 1
            }
            end = target.store(key, at: end)
            keyEnd = end
            target[end] = 0x22
            target[end + 1] = UInt8(ascii: ":")
            return end + 2
        }
        open = (start, start + keyEnd, id)
    }

    /// Starts a field from a plain (unescaped) key.
    package mutating func beginField(_ key: String) {
        beginField(UnsafeRawBufferPointer(start: nil, count: 0), key)
    }

    /// Starts a field whose key is `escapedPrefix` (written as it is) then `key` (plain, escaped
    /// here): a label's `labels.<name>` without a string made for it.
    package mutating func beginField(_ escapedPrefix: UnsafeRawBufferPointer, _ key: String) {
        let start = out.count
        out.append(0x22)
        out.append(bytes: escapedPrefix)
        var key = key
        key.withUTF8 { JSONWriter.appendEscaped(UnsafeRawBufferPointer($0), to: &out) }
        open = (start, out.count, -1)
        out.append(0x22)
        out.append(UInt8(ascii: ":"))
    }

    @inline(__always)
    package mutating func endField() {
        guard let (start, keyEnd, id) = open else { preconditionFailure("endField without beginField") }
        entries.append(Entry(start: start, keyEnd: keyEnd, end: out.count, id: id))
        open = nil
    }

    /// What ``finish(maxFields:pinned:)`` removed besides joining.
    package struct Outcome {
        package var body: [UInt8]
        /// Keys that occurred twice (the first is kept).
        package var duplicates = 0
        /// Values dropped because other fields are nested under their path (`a` next to `a.b`).
        package var conflicts = 0
        /// Fields dropped because the document exceeded its field budget.
        package var overBudget = 0
        /// Mapping fields (values plus the objects their dotted paths create) before the budget cut;
        /// 0 when no budget applies or the document is clearly within it.
        package var mappingFields = 0
        /// The key (as escaped in the body) of the first field the budget dropped.
        package var firstOverBudget: String?
    }

    /// Sorts, de-duplicates and joins the fields into one JSON object.
    ///
    /// Then: a value at a path under which other fields are nested is dropped (`a` next to `a.b`,
    /// which Elasticsearch cannot map). Finally the budget: Elasticsearch counts every value and every
    /// object a dotted path creates against `index.mapping.total_fields.limit`, so fields are kept in
    /// sorted key order while that count stays within `maxFields`; the rest (the last paths in sorted
    /// order, the same ones every poll for the same keys) are dropped. The first `pinned` fields
    /// written (the envelope) are always kept and count against the budget.
    ///
    /// When the keys are those of the previous document (``cache``), in any write order, they are
    /// placed by their previous ranks instead of sorted, and when `maxFields` and the pinned fields'
    /// ranks are the same too, the removals are the previous ones: both passes depend only on the
    /// sorted keys.
    package mutating func finish(maxFields: Int = .max, pinned: Int = 0) -> Outcome {
        precondition(open == nil, "finish with a field still open")
        if entries.isEmpty { return Outcome(body: Array("{}".utf8)) }
        var outcome = Outcome(body: [])
        let placed = placeFromCache()
        if !placed { sortAndDeduplicate(&outcome) }
        collectPinnedRanks(pinned)
        if placed, let settled = cache.settled, settled.maxFields == maxFields, settled.pinnedRanks == pinnedRanks {
            outcome.conflicts = settled.conflicts
            outcome.overBudget = settled.overBudget
            outcome.mappingFields = settled.mappingFields
            outcome.firstOverBudget = settled.firstOverBudget
            outcome.body = join(cache.kept, all: settled.keptAll)
            return outcome
        }
        removeConflicts(&outcome)
        removeOverBudget(maxFields: maxFields, pinned: pinned, &outcome)
        let keptAll = kept.count == order.count
        outcome.body = join(kept, all: keptAll)
        // Only a document without duplicates is a permutation of its keys' ranks.
        if outcome.duplicates == 0, placed || remember() {
            cache.keyEpoch = keyEpoch
            if keptAll {
                cache.kept = []
            } else {
                swap(&cache.kept, &kept)
            }
            cache.settled = OrderCache.Settled(
                maxFields: maxFields, pinnedRanks: pinnedRanks, conflicts: outcome.conflicts,
                overBudget: outcome.overBudget, mappingFields: outcome.mappingFields,
                firstOverBudget: outcome.firstOverBudget, keptAll: keptAll)
        } else {
            cache.sortedKeys.removeAll(keepingCapacity: true)
            cache.settled = nil
        }
        return outcome
    }

    /// Byte-wise comparison of escaped keys, by entry index.
    private struct Keys {
        package let base: UnsafeRawPointer
        package let entries: UnsafeBufferPointer<Entry>

        @inline(__always) package func key(_ a: Int) -> (UnsafeRawPointer, Int) {
            let e = entries[a]
            return (base + e.start + 1, e.keyEnd - e.start - 1)
        }

        @inline(__always) package func compare(_ a: Int, _ b: Int) -> Int {
            let (pa, la) = key(a)
            let (pb, lb) = key(b)
            let common = Int(memcmp(pa, pb, min(la, lb)))
            if common != 0 { return common }
            return la - lb
        }
    }

    /// Static, so that callers may change other stored properties (``order``) inside `body`.
    @inline(__always)
    private static func withKeys<R>(_ out: [UInt8], _ entries: [Entry], _ body: (Keys) -> R) -> R {
        out.withUnsafeBytes { scratch in
            entries.withUnsafeBufferPointer { entries in body(Keys(base: scratch.baseAddress!, entries: entries)) }
        }
    }

    /// Fills ``order`` from the cache when this document's keys are exactly the cached ones: every
    /// id at a distinct cached rank, and the anonymous fields as many as before with the same keys
    /// in the same write order.
    private mutating func placeFromCache() -> Bool {
        let n = entries.count
        guard cache.sortedKeys.count == n, cache.keyEpoch == keyEpoch else { return false }
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: repeatElement(-1, count: n))
        return order.withUnsafeMutableBufferPointer { order in
            Self.withKeys(out, entries) { keys in
                cache.sortedKeys.withUnsafeBufferPointer { sortedKeys in
                    cache.rankOfID.withUnsafeBufferPointer { rankOfID in
                        cache.anonymousRanks.withUnsafeBufferPointer { anonymousRanks in
                            cache.anonymousKeys.withUnsafeBytes { anonymousKeys in
                                var anonymous = 0
                                var anonymousStart = 0
                                for i in 0..<n {
                                    let id = keys.entries[i].id
                                    let rank: Int
                                    if id >= 0 {
                                        guard Int(id) < rankOfID.count else { return false }
                                        rank = Int(rankOfID[Int(id)])
                                        guard rank >= 0, rank < n, sortedKeys[rank] == id else { return false }
                                    } else {
                                        guard anonymous < anonymousRanks.count else { return false }
                                        let end = Int(cache.anonymousKeyEnds[anonymous])
                                        let (key, length) = keys.key(i)
                                        guard length == end - anonymousStart,
                                            length == 0
                                                || memcmp(key, anonymousKeys.baseAddress! + anonymousStart, length) == 0
                                        else { return false }
                                        rank = Int(anonymousRanks[anonymous])
                                        anonymous += 1
                                        anonymousStart = end
                                    }
                                    guard order[rank] < 0 else { return false }
                                    order[rank] = i
                                }
                                return anonymous == anonymousRanks.count
                            }
                        }
                    }
                }
            }
        }
    }

    /// Sorts ``order`` by key and drops later occurrences of a key.
    private mutating func sortAndDeduplicate(_ outcome: inout Outcome) {
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: entries.indices)
        let duplicates = Self.withKeys(out, entries) { keys in
            // Ties (duplicate keys) keep write order, so the first occurrence survives.
            order.sort { a, b in
                let c = keys.compare(a, b)
                return c < 0 || (c == 0 && a < b)
            }
            var kept = 0
            for k in 0..<order.count {
                if kept > 0, keys.compare(order[kept - 1], order[k]) == 0 { continue }
                order[kept] = order[k]
                kept += 1
            }
            return order.count - kept
        }
        order.removeLast(duplicates)
        outcome.duplicates = duplicates
    }

    /// The ranks of the first `pinned` entries written, ascending, into ``pinnedRanks``.
    private mutating func collectPinnedRanks(_ pinned: Int) {
        pinnedRanks.removeAll(keepingCapacity: true)
        guard pinned > 0 else { return }
        for r in order.indices where order[r] < pinned { pinnedRanks.append(Int32(r)) }
    }

    /// Keeps in ``kept`` the ranks whose key is not a strict prefix of a later key followed by ".".
    /// Keys sharing k's bytes are contiguous after it; the next key settles it unless its next byte
    /// sorts before "." (`a-b` between `a` and `a.b`), then a binary search finds `a.` keys.
    private mutating func removeConflicts(_ outcome: inout Outcome) {
        kept.removeAll(keepingCapacity: true)
        let conflicts = Self.withKeys(out, entries) { keys in
            @inline(__always) func nested(under k: Int, _ j: Int) -> Int {
                // Compares key j with key k followed by ".": <0, 0 (equal to "k."), >0.
                let (pj, lj) = keys.key(order[j])
                let (pk, lk) = keys.key(order[k])
                let common = Int(memcmp(pj, pk, min(lj, lk)))
                if common != 0 { return common }
                if lj <= lk { return -1 }
                let next = Int(pj.load(fromByteOffset: lk, as: UInt8.self))
                if next != 0x2E { return next - 0x2E }
                return lj == lk + 1 ? 0 : 1
            }
            var conflicts = 0
            let count = order.count
            for k in 0..<count {
                var conflict = false
                if k + 1 < count {
                    let (pk, lk) = keys.key(order[k])
                    let (pn, ln) = keys.key(order[k + 1])
                    if ln > lk, memcmp(pk, pn, lk) == 0 {
                        let next = pn.load(fromByteOffset: lk, as: UInt8.self)
                        if next == 0x2E {
                            conflict = ln > lk + 1
                        } else if next < 0x2E {
                            var low = k + 1
                            var high = count
                            while low < high {
                                let mid = (low + high) / 2
                                if nested(under: k, mid) < 0 { low = mid + 1 } else { high = mid }
                            }
                            conflict = low < count && nested(under: k, low) > 0
                        }
                    }
                }
                if conflict {
                    conflicts += 1
                } else {
                    kept.append(Int32(k))
                }
            }
            return conflicts
        }
        outcome.conflicts = conflicts
    }

    /// The budget pass over ``kept``.
    private mutating func removeOverBudget(maxFields: Int, pinned: Int, _ outcome: inout Outcome) {
        guard maxFields < Int.max else { return }
        // A key with n bytes creates at most 1 + (n - 1) / 2 mapping fields (levels are never
        // empty), so most documents are settled without walking their keys: payload-4k measured
        // 146,400 instructions per document with the exact count on every poll, 13,000 more
        // than before the budget.
        var bound = 0
        for rank in kept {
            let e = entries[order[Int(rank)]]
            bound += 1 + (e.keyEnd - e.start - 2) / 2
        }
        guard bound > maxFields else { return }
        // Cost of key k: itself plus the objects its path creates that the previous key's path did
        // not (dots past their common prefix; sorted keys share prefixes).
        costs.removeAll(keepingCapacity: true)
        let used = Self.withKeys(out, entries) { keys in
            var used = 0
            var previous: (UnsafeRawPointer, Int)?
            for rank in kept {
                let (pk, lk) = keys.key(order[Int(rank)])
                var common = 0
                if let (pp, lp) = previous {
                    let limit = min(lp, lk)
                    while common < limit,
                        pp.load(fromByteOffset: common, as: UInt8.self)
                            == pk.load(fromByteOffset: common, as: UInt8.self)
                    {
                        common += 1
                    }
                }
                var cost = 1
                for i in common..<lk where pk.load(fromByteOffset: i, as: UInt8.self) == 0x2E { cost += 1 }
                costs.append(cost)
                used += cost
                previous = (pk, lk)
            }
            return used
        }
        outcome.mappingFields = used
        guard used > maxFields else { return }
        var budget = maxFields
        for k in kept.indices where order[Int(kept[k])] < pinned { budget -= costs[k] }
        var write = 0
        var over = false
        for k in kept.indices {
            if order[Int(kept[k])] >= pinned {
                if !over, costs[k] <= budget {
                    budget -= costs[k]
                } else {
                    if !over {
                        outcome.firstOverBudget = Self.withKeys(out, entries) { keys in
                            let (pk, lk) = keys.key(order[Int(kept[k])])
                            return String(decoding: UnsafeRawBufferPointer(start: pk, count: lk), as: UTF8.self)
                        }
                    }
                    over = true
                    outcome.overBudget += 1
                    continue
                }
            }
            kept[write] = kept[k]
            write += 1
        }
        kept.removeLast(kept.count - write)
    }

    /// `{`, the fields at `ranks` (at every rank when `all`) joined by `,`, `}`.
    private func join(_ ranks: [Int32], all: Bool) -> [UInt8] {
        out.withUnsafeBytes { scratch in
            entries.withUnsafeBufferPointer { entries in
                order.withUnsafeBufferPointer { order in
                    ranks.withUnsafeBufferPointer { ranks in
                        let base = scratch.baseAddress!
                        let count = all ? order.count : ranks.count
                        @inline(__always) func entry(_ k: Int) -> Entry {
                            entries[all ? order[k] : order[Int(ranks[k])]]
                        }
                        var total = 2
                        for k in 0..<count {
                            let e = entry(k)
                            total += e.end - e.start + 1
                        }
                        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
                            let target = UnsafeMutableRawPointer(buffer.baseAddress!)
                            var w = 0
                            target.storeBytes(of: UInt8(ascii: "{"), toByteOffset: w, as: UInt8.self)
                            w += 1
                            for k in 0..<count {
                                if k > 0 {
                                    target.storeBytes(of: UInt8(ascii: ","), toByteOffset: w, as: UInt8.self)
                                    w += 1
                                }
                                let e = entry(k)
                                let length = e.end - e.start
                                (target + w).copyMemory(from: base + e.start, byteCount: length)
                                w += length
                            }
                            target.storeBytes(of: UInt8(ascii: "}"), toByteOffset: w, as: UInt8.self)
                            w += 1
                            initialized = w
                        }
                    }
                }
            }
        }
    }

    /// Records ``order`` (sorted, without duplicates) in the cache; false when two entries carry one
    /// id (the writer's ids changed meaning within the document), which nothing can be cached for.
    private mutating func remember() -> Bool {
        let n = order.count
        rankOfEntry.removeAll(keepingCapacity: true)
        rankOfEntry.append(contentsOf: repeatElement(0, count: n))
        for r in 0..<n { rankOfEntry[order[r]] = Int32(r) }
        cache.sortedKeys.removeAll(keepingCapacity: true)
        cache.sortedKeys.append(contentsOf: repeatElement(Int32.min, count: n))
        cache.anonymousRanks.removeAll(keepingCapacity: true)
        cache.anonymousKeys.removeAll(keepingCapacity: true)
        cache.anonymousKeyEnds.removeAll(keepingCapacity: true)
        // Grown once to the largest id: every reader keeps its cache between polls, and growing it
        // id by id left up to twice the room it needs.
        var largest: Int32 = -1
        for i in 0..<n { largest = max(largest, entries[i].id) }
        if Int(largest) >= cache.rankOfID.count {
            cache.rankOfID.reserveCapacity(Int(largest) + 1)
            cache.rankOfID.append(contentsOf: repeatElement(-1, count: Int(largest) + 1 - cache.rankOfID.count))
        }
        for i in 0..<n {
            let id = entries[i].id
            let rank = rankOfEntry[i]
            if id < 0 {
                cache.sortedKeys[Int(rank)] = -1 - Int32(cache.anonymousRanks.count)
                cache.anonymousRanks.append(rank)
                let e = entries[i]
                out.withUnsafeBytes {
                    cache.anonymousKeys.append(bytes: UnsafeRawBufferPointer(rebasing: $0[(e.start + 1)..<e.keyEnd]))
                }
                cache.anonymousKeyEnds.append(Int32(cache.anonymousKeys.count))
                continue
            }
            let slot = Int(id)
            let previous = Int(cache.rankOfID[slot])
            if previous >= 0, previous < n, cache.sortedKeys[previous] == id { return false }
            cache.rankOfID[slot] = rank
            cache.sortedKeys[Int(rank)] = id
        }
        return true
    }
}
