import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Groups a scrape's samples by (label set, timestamp) in one pass: an open-addressing hash table of
/// group indices over label bytes that stay in the scrape's arena, so finding a sample's group
/// allocates nothing. Groups keep first-seen order; each group's samples form a linked list
/// through ``next`` in body order.
package struct SampleGrouping {
    package struct Group {
        /// The label set: `PrometheusScrape.labels[labelStart ..< labelStart + labelCount]` (sorted).
        package var labelStart: Int
        package var labelCount: Int
        package var timestamp: Int64
        package var hash: UInt64
        /// First and last sample index of the group's list; -1 when empty.
        package var first: Int = -1
        package var last: Int = -1
    }

    private(set) package var groups: [Group] = []
    /// Per sample index: the next sample of the same group, or -1.
    private(set) package var next: [Int] = []
    /// Group index + 1 per slot; 0 is empty.
    private var table: [Int32] = []
    private var mask = 0

    /// Empties the grouping for a scrape of at most `capacity` samples (plus the scrape group).
    package mutating func reset(capacity: Int) {
        groups.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        next.append(contentsOf: repeatElement(-1, count: capacity))
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        if table.count != size {
            table = [Int32](repeating: 0, count: size)
        } else {
            table.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
        mask = size - 1
    }

    /// The index of the group of this label set and timestamp, created when new.
    package mutating func group(labelStart: Int, labelCount: Int, timestamp: Int64, in scrape: PrometheusScrape) -> Int
    {
        scrape.text.withUnsafeBytes { text in
            scrape.labels.withUnsafeBufferPointer { labels in
                var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bitPattern: timestamp) &* 0x9E37_79B9_7F4A_7C15
                @inline(__always) func mix(_ span: PrometheusScrape.Span) {
                    for k in Int(span.start)..<Int(span.end) {
                        hash = (hash ^ UInt64(text[k])) &* 0x0000_0100_0000_01B3
                    }
                    hash = (hash ^ 0xFF) &* 0x0000_0100_0000_01B3
                }
                for k in labelStart..<(labelStart + labelCount) {
                    mix(labels[k].name)
                    mix(labels[k].value)
                }
                hash ^= hash >> 29
                @inline(__always) func same(_ a: PrometheusScrape.Span, _ b: PrometheusScrape.Span) -> Bool {
                    a.count == b.count
                        && (a.count == 0
                            || memcmp(text.baseAddress! + Int(a.start), text.baseAddress! + Int(b.start), a.count) == 0)
                }
                var slot = Int(truncatingIfNeeded: hash) & mask
                while true {
                    let entry = Int(table[slot])
                    if entry == 0 { break }
                    let group = groups[entry - 1]
                    if group.hash == hash, group.timestamp == timestamp, group.labelCount == labelCount {
                        var equal = true
                        for k in 0..<labelCount {
                            let a = labels[group.labelStart + k]
                            let b = labels[labelStart + k]
                            if !same(a.name, b.name) || !same(a.value, b.value) {
                                equal = false
                                break
                            }
                        }
                        if equal { return entry - 1 }
                    }
                    slot = (slot + 1) & mask
                }
                groups.append(Group(labelStart: labelStart, labelCount: labelCount, timestamp: timestamp, hash: hash))
                table[slot] = Int32(groups.count)
                return groups.count - 1
            }
        }
    }

    /// Appends sample `index` to group `group`'s list.
    package mutating func add(sample index: Int, to group: Int) {
        if groups[group].last >= 0 {
            next[groups[group].last] = index
        } else {
            groups[group].first = index
        }
        groups[group].last = index
    }
}
