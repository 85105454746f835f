import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An open-addressing hash table from path bytes to ``FieldInfo``, without allocating a key per
/// lookup. Paths are kept in one byte arena. Bounded: past ``capacityLimit`` distinct paths (a
/// hostile or exploding endpoint) the table starts over, which only forgets type-stability history.
///
/// Every reader keeps one for as long as it lives, so it is kept small: the slots are allocated on
/// the first insert (a new table shares one static empty slot), a slot is 8 bytes (32 bits of the
/// mixed hash and the index), a path's place in the arena is its end offset (4 bytes; it starts
/// where the previous one ends), and ``compact()`` gives back the spare capacity the arrays took
/// while they grew (with 10,000 readers, 4 KB of empty slots per reader were 40 MB).
package struct PathTable {
    private struct Slot {
        /// The low 32 bits of ``PathTable/mix(_:)`` of the path's hash: the home slot is
        /// `tag & mask` (tables have at most 2^17 slots), and a cheap first comparison.
        package var tag: UInt32
        package var index: Int32
    }

    package static let capacityLimit = 1 << 16
    /// The arena's bytes are addressed with 32-bit offsets; past this the table starts over.
    private static let keyBytesLimit = Int(Int32.max)
    /// One empty slot, shared by every table that has no path yet.
    private static let noSlots = [Slot(tag: 0, index: -1)]
    private static let minimumSlots = 16

    private var slots: [Slot] = PathTable.noSlots
    /// Where each path ends in ``keys`` (it starts where the previous one ends).
    private var keyEnds: [UInt32] = []
    private var keys: [UInt8] = []
    private(set) package var infos: [FieldInfo] = []
    /// ``count`` when ``compact()`` last ran.
    private var compactedCount = 0

    package var count: Int { infos.count }

    /// Changes when the table starts over, after which an index may stand for another path.
    private(set) package var epoch: UInt64 = 0

    package init() {}

    /// The bytes of the path at `index` in ``keys``.
    @inline(__always)
    private func keyRange(_ index: Int) -> Range<Int> {
        (index == 0 ? 0 : Int(keyEnds[index - 1]))..<Int(keyEnds[index])
    }

    /// The index of `path`'s info, or nil.
    @inline(__always)
    package func find(hash: UInt64, path: UnsafeRawBufferPointer) -> Int? {
        let mask = slots.count - 1
        let tag = UInt32(truncatingIfNeeded: Self.mix(hash))
        var i = Int(tag) & mask
        while true {
            let slot = slots[i]
            if slot.index < 0 { return nil }
            if slot.tag == tag {
                let range = keyRange(Int(slot.index))
                if range.count == path.count,
                    keys.withUnsafeBytes({ k in
                        path.count == 0 || memcmp(k.baseAddress! + range.lowerBound, path.baseAddress!, path.count) == 0
                    })
                {
                    return Int(slot.index)
                }
            }
            i = (i + 1) & mask
        }
    }

    /// The index of the path `prefix` + `.` + `key` (just `key` when `prefix` is empty), or nil:
    /// ``find(hash:path:)`` without first copying the key behind the prefix.
    @inline(__always)
    package func find(hash: UInt64, prefix: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer) -> Int? {
        let separator = prefix.isEmpty ? 0 : 1
        let count = prefix.count + separator + key.count
        let mask = slots.count - 1
        let tag = UInt32(truncatingIfNeeded: Self.mix(hash))
        var i = Int(tag) & mask
        return slots.withUnsafeBufferPointer { slots in
            keyEnds.withUnsafeBufferPointer { keyEnds in
                keys.withUnsafeBytes { keys in
                    while true {
                        let slot = slots[i]
                        if slot.index < 0 { return nil }
                        if slot.tag == tag {
                            let index = Int(slot.index)
                            let end = Int(keyEnds[index])
                            let start = index == 0 ? 0 : Int(keyEnds[index - 1])
                            let range = start..<end
                            if range.count == count {
                                if count == 0 { return Int(slot.index) }
                                let stored = keys.baseAddress! + range.lowerBound
                                if (prefix.isEmpty || memcmp(stored, prefix.baseAddress!, prefix.count) == 0)
                                    && (key.isEmpty
                                        || memcmp(stored + prefix.count + separator, key.baseAddress!, key.count) == 0)
                                    && (separator == 0
                                        || stored.load(fromByteOffset: prefix.count, as: UInt8.self) == 0x2E)
                                {
                                    return Int(slot.index)
                                }
                            }
                        }
                        i = (i + 1) & mask
                    }
                }
            }
        }
    }

    /// Whether the path at `index` has `count` bytes and ends with `key` (not empty).
    @inline(__always)
    package func path(_ index: Int, count: Int, endsWith key: UnsafeRawBufferPointer) -> Bool {
        let range = keyRange(index)
        guard range.count == count, count >= key.count else { return false }
        return keys.withUnsafeBytes { keys in
            memcmp(keys.baseAddress! + range.upperBound - key.count, key.baseAddress!, key.count) == 0
        }
    }

    /// Adds a path that ``find(hash:path:)`` did not find; returns its index.
    package mutating func insert(hash: UInt64, path: UnsafeRawBufferPointer, info: FieldInfo) -> Int {
        if infos.count >= Self.capacityLimit || keys.count + path.count > Self.keyBytesLimit {
            let next = epoch &+ 1
            self = PathTable()
            epoch = next
        }
        if (infos.count + 1) * 2 > slots.count { grow() }
        let index = infos.count
        keys.append(contentsOf: path)
        keyEnds.append(UInt32(keys.count))
        infos.append(info)
        place(Slot(tag: UInt32(truncatingIfNeeded: Self.mix(hash)), index: Int32(index)))
        return index
    }

    /// Gives back the arrays' spare capacity when paths were added since the last call (after a
    /// poll that met new paths: the first, mostly). Copies what the table holds, so call it once a
    /// poll at most.
    package mutating func compact() {
        guard count != compactedCount else { return }
        compactedCount = count
        keys.shrinkToFit()
        keyEnds.shrinkToFit()
        infos.shrinkToFit()
    }

    /// The indices of the paths beneath `path` (starting with `path.`). Walks the whole table: for
    /// rare updates (a pinned field), never per poll.
    package func indices(beneath path: [UInt8]) -> [Int] {
        let prefix = path + [UInt8(ascii: ".")]
        return keys.withUnsafeBytes { keys in
            keyEnds.indices.filter { index in
                let range = keyRange(index)
                return range.count > prefix.count
                    && prefix.withUnsafeBytes {
                        memcmp(keys.baseAddress! + range.lowerBound, $0.baseAddress!, $0.count) == 0
                    }
            }
        }
    }

    package subscript(index: Int) -> FieldInfo {
        get { infos[index] }
        set { infos[index] = newValue }
    }

    private mutating func place(_ slot: Slot) {
        let mask = slots.count - 1
        var i = Int(slot.tag) & mask
        while slots[i].index >= 0 { i = (i + 1) & mask }
        slots[i] = slot
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(tag: 0, index: -1), count: max(old.count * 2, Self.minimumSlots))
        for slot in old where slot.index >= 0 { place(slot) }
    }

    @inline(__always)
    private static func mix(_ hash: UInt64) -> UInt64 {
        var h = hash
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        return h
    }

    /// FNV-1a 64, continued from `hash` over `bytes`.
    @inline(__always)
    package static func hash(_ bytes: UnsafeRawBufferPointer, from hash: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        var h = hash
        for byte in bytes {
            h ^= UInt64(byte)
            h = h &* 0x100_0000_01b3
        }
        return h
    }
}
