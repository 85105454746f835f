extension TargetID {
    /// `ids` in order (`<`), sorted by a key of 16 bytes of each endpoint held in the array itself
    /// when every id has the same reader and is ASCII (one job's answer), else as usual.
    ///
    /// Why: sorting the 20,000 ids that replacing 10,000 targets changes compared endpoints spread
    /// over the heap, and each comparison waited on memory for two of them (about 300,000 such
    /// comparisons, a few ms). The bytes after the endpoints' common prefix usually tell two ids
    /// apart, so the full endpoints are compared only when those 16 bytes are equal.
    static func sorted(_ ids: some Collection<TargetID>) -> [TargetID] {
        let array = Array(ids)
        guard array.count > 32, let first = array.first,
            array.allSatisfy({ $0.ascii && $0.reader == first.reader })
        else { return array.sorted() }
        // The longest prefix every endpoint shares.
        var common = Array(first.endpoint.utf8)
        for id in array where !common.isEmpty {
            let shared =
                id.endpoint.utf8.withContiguousStorageIfAvailable { bytes in
                    var index = 0
                    let limit = min(bytes.count, common.count)
                    while index < limit && bytes[index] == common[index] { index += 1 }
                    return index
                } ?? zip(id.endpoint.utf8, common).prefix { $0 == $1 }.count
            if shared < common.count { common.removeSubrange(shared...) }
        }
        let start = common.count
        var keyed: [(high: UInt64, low: UInt64, index: Int)] = []
        keyed.reserveCapacity(array.count)
        for (index, id) in array.enumerated() {
            // Big-endian, zero past the end: a shorter endpoint sorts first, and an equal key (a
            // zero byte, or 16 equal bytes) is settled by comparing the endpoints.
            var key: (UInt64, UInt64) = (0, 0)
            let copied: Void? = id.endpoint.utf8.withContiguousStorageIfAvailable { bytes in
                let count = min(max(bytes.count - start, 0), 16)
                withUnsafeMutableBytes(of: &key) { raw in
                    raw.copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<start + count]))
                }
            }
            if copied == nil {
                withUnsafeMutableBytes(of: &key) { raw in
                    for (offset, byte) in id.endpoint.utf8.dropFirst(start).prefix(16).enumerated() {
                        raw[offset] = byte
                    }
                }
            }
            keyed.append((UInt64(bigEndian: key.0), UInt64(bigEndian: key.1), index))
        }
        keyed.sort {
            if $0.high != $1.high { return $0.high < $1.high }
            if $0.low != $1.low { return $0.low < $1.low }
            return compareBytes(array[$0.index].endpoint, array[$1.index].endpoint) < 0
        }
        return keyed.map { array[$0.index] }
    }
}
