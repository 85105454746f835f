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
package struct PathTable {
    private struct Slot {
        package var hash: UInt64
        package var index: Int32
    }

    package static let capacityLimit = 1 << 16

    private var slots: [Slot] = Array(repeating: Slot(hash: 0, index: -1), count: 256)
    private var keyRanges: [Range<Int>] = []
    private var keys: [UInt8] = []
    private(set) package var infos: [FieldInfo] = []

    package var count: Int { infos.count }

    /// Changes when the table starts over, after which an index may stand for another path.
    private(set) package var epoch: UInt64 = 0

    /// The index of `path`'s info, or nil.
    @inline(__always)
    package func find(hash: UInt64, path: UnsafeRawBufferPointer) -> Int? {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: Self.mix(hash)) & mask
        while true {
            let slot = slots[i]
            if slot.index < 0 { return nil }
            if slot.hash == hash {
                let range = keyRanges[Int(slot.index)]
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
        var i = Int(truncatingIfNeeded: Self.mix(hash)) & mask
        return slots.withUnsafeBufferPointer { slots in
            keyRanges.withUnsafeBufferPointer { keyRanges in
                keys.withUnsafeBytes { keys in
                    while true {
                        let slot = slots[i]
                        if slot.index < 0 { return nil }
                        if slot.hash == hash {
                            let range = keyRanges[Int(slot.index)]
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
        let range = keyRanges[index]
        guard range.count == count, count >= key.count else { return false }
        return keys.withUnsafeBytes { keys in
            memcmp(keys.baseAddress! + range.upperBound - key.count, key.baseAddress!, key.count) == 0
        }
    }

    /// Adds a path that ``find(hash:path:)`` did not find; returns its index.
    package mutating func insert(hash: UInt64, path: UnsafeRawBufferPointer, info: FieldInfo) -> Int {
        if infos.count >= Self.capacityLimit {
            let next = epoch &+ 1
            self = PathTable()
            epoch = next
        }
        if (infos.count + 1) * 2 > slots.count { grow() }
        let index = infos.count
        let start = keys.count
        keys.append(contentsOf: path)
        keyRanges.append(start..<keys.count)
        infos.append(info)
        place(Slot(hash: hash, index: Int32(index)))
        return index
    }

    /// The indices of the paths beneath `path` (starting with `path.`). Walks the whole table: for
    /// rare updates (a pinned field), never per poll.
    package func indices(beneath path: [UInt8]) -> [Int] {
        let prefix = path + [UInt8(ascii: ".")]
        return keys.withUnsafeBytes { keys in
            keyRanges.indices.filter { index in
                let range = keyRanges[index]
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
        var i = Int(truncatingIfNeeded: Self.mix(slot.hash)) & mask
        while slots[i].index >= 0 { i = (i + 1) & mask }
        slots[i] = slot
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(hash: 0, index: -1), count: old.count * 2)
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
