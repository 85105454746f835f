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
        out.append(contentsOf: key)
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

    /// Sorts, de-duplicates and joins the fields into one JSON object.
    /// Returns the body, how many duplicate keys were dropped and how many values were dropped because
    /// other fields are nested under their path.
    mutating func finish() -> (body: [UInt8], duplicates: Int, conflicts: Int) {
        precondition(open == nil, "finish with a field still open")
        if entries.isEmpty { return (Array("{}".utf8), 0, 0) }
        var duplicates = 0
        var conflicts = 0
        var total = 2
        let body: [UInt8] = out.withUnsafeBytes { scratch in
            entries.withUnsafeBufferPointer { entries in
                let base = scratch.baseAddress!
                @inline(__always) func compare(_ a: Int, _ b: Int) -> Int {
                    let ea = entries[a]
                    let eb = entries[b]
                    let la = ea.keyEnd - ea.start - 1
                    let lb = eb.keyEnd - eb.start - 1
                    let common = Int(memcmp(base + ea.start + 1, base + eb.start + 1, min(la, lb)))
                    if common != 0 { return common }
                    return la - lb
                }
                var kept = 0
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
                    kept = order.count
                    for k in 0..<kept { total += entries[order[k]].end - entries[order[k]].start + 1 }
                } else {
                    order.removeAll(keepingCapacity: true)
                    order.append(contentsOf: entries.indices)
                    // Ties (duplicate keys) keep write order, so the first occurrence survives.
                    order.sort { a, b in
                        let c = compare(a, b)
                        return c < 0 || (c == 0 && a < b)
                    }
                    for k in 0..<order.count {
                        if kept > 0, compare(order[kept - 1], order[k]) == 0 {
                            duplicates += 1
                            continue
                        }
                        let e = entries[order[k]]
                        total += e.end - e.start + 1
                        order[kept] = order[k]
                        kept += 1
                    }
                    order.removeLast(order.count - kept)
                    // A value at `a` and another at `a.b` cannot both go to Elasticsearch (`a` would have
                    // to be a value and an object): keep the deeper fields, drop `a`.
                    @inline(__always) func startsWithDotted(_ j: Int, _ a: Int) -> Int {
                        // Compares key j with key a followed by ".".
                        let ej = entries[j]
                        let ea = entries[a]
                        let lj = ej.keyEnd - ej.start - 1
                        let la = ea.keyEnd - ea.start - 1
                        let common = Int(memcmp(base + ej.start + 1, base + ea.start + 1, min(lj, la)))
                        if common != 0 { return common }
                        if lj <= la { return -1 }
                        let next = Int(base.load(fromByteOffset: ej.start + 1 + la, as: UInt8.self))
                        if next != 0x2E { return next - 0x2E }
                        return lj == la + 1 ? 0 : 1
                    }
                    var write = 0
                    for k in 0..<kept {
                        var low = k + 1
                        var high = kept
                        while low < high {
                            let mid = (low + high) / 2
                            if startsWithDotted(order[mid], order[k]) < 0 { low = mid + 1 } else { high = mid }
                        }
                        if low < kept, startsWithDotted(order[low], order[k]) > 0 {
                            let e = entries[order[low]]
                            let a = entries[order[k]]
                            let la = a.keyEnd - a.start - 1
                            let lj = e.keyEnd - e.start - 1
                            if lj > la + 1, memcmp(base + e.start + 1, base + a.start + 1, la) == 0,
                                base.load(fromByteOffset: e.start + 1 + la, as: UInt8.self) == 0x2E
                            {
                                conflicts += 1
                                total -= a.end - a.start + 1
                                continue
                            }
                        }
                        order[write] = order[k]
                        write += 1
                    }
                    kept = write
                    order.removeLast(order.count - kept)
                }
                let count = kept
                return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
                    var w = 0
                    buffer[w] = UInt8(ascii: "{")
                    w += 1
                    for k in 0..<count {
                        if k > 0 {
                            buffer[w] = UInt8(ascii: ",")
                            w += 1
                        }
                        let e = entries[order[k]]
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
        // Remember the order for the next document (only when it covers every field).
        if duplicates == 0, conflicts == 0 {
            swap(&order, &cachedOrder)
        } else {
            cachedOrder.removeAll(keepingCapacity: true)
        }
        return (body, duplicates, conflicts)
    }
}
