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
        for id in array {
            var index = 0
            for byte in id.endpoint.utf8 {
                guard index < common.count, common[index] == byte else { break }
                index += 1
            }
            common.removeSubrange(index...)
        }
        let start = common.count
        var keyed: [(high: UInt64, low: UInt64, index: Int)] = []
        keyed.reserveCapacity(array.count)
        for (index, id) in array.enumerated() {
            // Zero past the end: a shorter endpoint sorts first, and an equal key (a zero byte, or
            // equal 16 bytes) is settled by comparing the endpoints.
            var high: UInt64 = 0
            var low: UInt64 = 0
            var offset = 0
            for byte in id.endpoint.utf8.dropFirst(start).prefix(16) {
                if offset < 8 {
                    high |= UInt64(byte) << (56 - 8 * offset)
                } else {
                    low |= UInt64(byte) << (56 - 8 * (offset - 8))
                }
                offset += 1
            }
            keyed.append((high, low, index))
        }
        keyed.sort {
            if $0.high != $1.high { return $0.high < $1.high }
            if $0.low != $1.low { return $0.low < $1.low }
            return compareBytes(array[$0.index].endpoint, array[$1.index].endpoint) < 0
        }
        return keyed.map { array[$0.index] }
    }
}
