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
struct DocumentEncoder {
    private struct Entry {
        /// Offset of the opening quote of the key.
        var start: Int
        /// Offset of the closing quote of the key.
        var keyEnd: Int
        /// Offset just past the value.
        var end: Int
    }

    /// Fragments; public to writers between ``beginField(escapedKey:)`` and ``endField()``.
    var out: [UInt8] = []
    private var entries: [Entry] = []
    private var order: [Int] = []
    /// The previous document's field order; a reader's documents usually have the same fields in the
    /// same write order, so checking that order (n comparisons) replaces sorting (n log n). An encoder
    /// shared by several readers (``ParseScratchPool``) swaps in the current reader's own.
    var cachedOrder: [Int] = []
    private var open: (start: Int, keyEnd: Int)?
    /// Scratch of ``finish(maxFields:pinned:)``: the sorted order before removals, budget costs.
    private var fullOrder: [Int] = []
    private var costs: [Int] = []

    mutating func reset() {
        out.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
        open = nil
    }

    /// Starts a field whose key is already escaped; write the value into ``out``, then ``endField()``.
    @inline(__always)
    mutating func beginField(escapedKey key: UnsafeRawBufferPointer) {
        let start = out.count
        out.append(0x22)
        out.append(bytes: key)
        let keyEnd = out.count
        out.append(0x22)
        out.append(UInt8(ascii: ":"))
        open = (start, keyEnd)
    }

    /// Starts a field from a plain (unescaped) key.
    mutating func beginField(_ key: String) {
        let start = out.count
        JSONWriter.appendString(key, to: &out)
        open = (start, out.count - 1)
        out.append(UInt8(ascii: ":"))
    }

    @inline(__always)
    mutating func endField() {
        guard let (start, keyEnd) = open else { preconditionFailure("endField without beginField") }
        entries.append(Entry(start: start, keyEnd: keyEnd, end: out.count))
        open = nil
    }

    /// What ``finish(maxFields:pinned:)`` removed besides joining.
    struct Outcome {
        var body: [UInt8]
        /// Keys that occurred twice (the first is kept).
        var duplicates = 0
        /// Values dropped because other fields are nested under their path (`a` next to `a.b`).
        var conflicts = 0
        /// Fields dropped because the document exceeded its field budget.
        var overBudget = 0
        /// Mapping fields (values plus the objects their dotted paths create) before the budget cut;
        /// 0 when no budget applies or the document is clearly within it.
        var mappingFields = 0
        /// The key (as escaped in the body) of the first field the budget dropped.
        var firstOverBudget: String?
    }

    /// Sorts, de-duplicates and joins the fields into one JSON object.
    ///
    /// Then, on every document (also when the previous order is reused): a value at a path under
    /// which other fields are nested is dropped (`a` next to `a.b`, which Elasticsearch cannot map).
    /// Finally the budget: Elasticsearch counts every value and every object a dotted path creates
    /// against `index.mapping.total_fields.limit`, so fields are kept in sorted key order while that
    /// count stays within `maxFields`; the rest (the last paths in sorted order, the same ones every
    /// poll for the same keys) are dropped. The first `pinned` fields written (the envelope) are
    /// always kept and count against the budget.
    mutating func finish(maxFields: Int = .max, pinned: Int = 0) -> Outcome {
        precondition(open == nil, "finish with a field still open")
        if entries.isEmpty { return Outcome(body: Array("{}".utf8)) }
        var outcome = Outcome(body: [])
        var cacheable = true
        outcome.body = out.withUnsafeBytes { scratch in
            entries.withUnsafeBufferPointer { entries in
                let base = scratch.baseAddress!
                @inline(__always) func key(_ a: Int) -> (UnsafeRawPointer, Int) {
                    let e = entries[a]
                    return (base + e.start + 1, e.keyEnd - e.start - 1)
                }
                @inline(__always) func compare(_ a: Int, _ b: Int) -> Int {
                    let (pa, la) = key(a)
                    let (pb, lb) = key(b)
                    let common = Int(memcmp(pa, pb, min(la, lb)))
                    if common != 0 { return common }
                    return la - lb
                }
                var reused = cachedOrder.count == entries.count
                if reused {
                    for k in 1..<Swift.max(cachedOrder.count, 1) where compare(cachedOrder[k - 1], cachedOrder[k]) >= 0
                    {
                        reused = false
                        break
                    }
                }
                if reused {
                    swap(&order, &cachedOrder)
                } else {
                    order.removeAll(keepingCapacity: true)
                    order.append(contentsOf: entries.indices)
                    // Ties (duplicate keys) keep write order, so the first occurrence survives.
                    order.sort { a, b in
                        let c = compare(a, b)
                        return c < 0 || (c == 0 && a < b)
                    }
                    var kept = 0
                    for k in 0..<order.count {
                        if kept > 0, compare(order[kept - 1], order[k]) == 0 {
                            outcome.duplicates += 1
                            continue
                        }
                        order[kept] = order[k]
                        kept += 1
                    }
                    order.removeLast(order.count - kept)
                }
                // The order as sorted, before removals, is what the next document can reuse.
                cacheable = outcome.duplicates == 0
                var copied = false
                @inline(__always) func removing() {
                    if cacheable, !copied {
                        fullOrder.removeAll(keepingCapacity: true)
                        fullOrder.append(contentsOf: order)
                        copied = true
                    }
                }

                // Conflicts: key k is a strict prefix of a later key followed by ".". Keys sharing k's
                // bytes are contiguous after it; the next key settles it unless its next byte sorts
                // before "." (`a-b` between `a` and `a.b`), then a binary search finds `a.` keys.
                @inline(__always) func nested(under k: Int, _ j: Int) -> Int {
                    // Compares key j with key k followed by ".": <0, 0 (equal to "k."), >0.
                    let (pj, lj) = key(order[j])
                    let (pk, lk) = key(order[k])
                    let common = Int(memcmp(pj, pk, min(lj, lk)))
                    if common != 0 { return common }
                    if lj <= lk { return -1 }
                    let next = Int(pj.load(fromByteOffset: lk, as: UInt8.self))
                    if next != 0x2E { return next - 0x2E }
                    return lj == lk + 1 ? 0 : 1
                }
                var write = 0
                let count = order.count
                for k in 0..<count {
                    var conflict = false
                    if k + 1 < count {
                        let (pk, lk) = key(order[k])
                        let (pn, ln) = key(order[k + 1])
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
                        removing()
                        outcome.conflicts += 1
                        continue
                    }
                    order[write] = order[k]
                    write += 1
                }
                order.removeLast(order.count - write)

                // A key with n bytes creates at most 1 + (n - 1) / 2 mapping fields (levels are never
                // empty), so most documents are settled without walking their keys: payload-4k measured
                // 146,400 instructions per document with the exact count on every poll, 13,000 more
                // than before the budget.
                var bound = 0
                if maxFields < Int.max {
                    for k in 0..<order.count {
                        let e = entries[order[k]]
                        bound += 1 + (e.keyEnd - e.start - 2) / 2
                    }
                }
                if bound > maxFields {
                    // Cost of key k: itself plus the objects its path creates that the previous key's
                    // path did not (dots past their common prefix; sorted keys share prefixes).
                    var used = 0
                    var previous: (UnsafeRawPointer, Int)?
                    costs.removeAll(keepingCapacity: true)
                    for k in 0..<order.count {
                        let (pk, lk) = key(order[k])
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
                    outcome.mappingFields = used
                    if used > maxFields {
                        removing()
                        var budget = maxFields
                        for k in 0..<order.count where order[k] < pinned { budget -= costs[k] }
                        var write = 0
                        var over = false
                        for k in 0..<order.count {
                            if order[k] >= pinned {
                                if !over, costs[k] <= budget {
                                    budget -= costs[k]
                                } else {
                                    if !over {
                                        let (pk, lk) = key(order[k])
                                        outcome.firstOverBudget = String(
                                            decoding: UnsafeRawBufferPointer(start: pk, count: lk), as: UTF8.self)
                                    }
                                    over = true
                                    outcome.overBudget += 1
                                    continue
                                }
                            }
                            order[write] = order[k]
                            write += 1
                        }
                        order.removeLast(order.count - write)
                    }
                }
                if copied { swap(&fullOrder, &order) }
                let final = copied ? fullOrder : order
                var total = 2
                for k in 0..<final.count { total += entries[final[k]].end - entries[final[k]].start + 1 }
                return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
                    var w = 0
                    buffer[w] = UInt8(ascii: "{")
                    w += 1
                    for k in 0..<final.count {
                        if k > 0 {
                            buffer[w] = UInt8(ascii: ",")
                            w += 1
                        }
                        let e = entries[final[k]]
                        let length = e.end - e.start
                        UnsafeMutableRawPointer(buffer.baseAddress! + w).copyMemory(
                            from: base + e.start, byteCount: length)
                        w += length
                    }
                    buffer[w] = UInt8(ascii: "}")
                    w += 1
                    initialized = w
                }
            }
        }
        // Remember the sorted order for the next document (only when it is a permutation of all fields).
        if cacheable {
            swap(&order, &cachedOrder)
        } else {
            cachedOrder.removeAll(keepingCapacity: true)
        }
        return outcome
    }
}
