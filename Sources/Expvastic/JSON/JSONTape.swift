/// A parsed JSON document as a flat array of nodes in document order ("tape"), built by
/// ``JSONScanner``. Containers store the index just past their last descendant, so a consumer can
/// skip a whole subtree in O(1). Strings without escapes point into the source bytes; strings with
/// escapes are decoded into ``arena``. Reused across parses to avoid allocations.
struct JSONTape {
    enum Kind: UInt8 {
        case object, array, key, string, int, uint, double, nonFinite, bool, null
    }

    struct Node {
        var kind: Kind
        /// Strings and keys: the bytes are in ``JSONTape/arena`` (decoded), not in the source.
        var decoded: Bool = false
        /// Containers: number of members/elements. Strings and keys: byte length.
        var count: UInt32 = 0
        /// Strings and keys: byte offset in the source or arena.
        var start: UInt32 = 0
        /// Containers: index of the node after the container's last descendant. `int`: Int64 bits,
        /// `uint`: UInt64 (> Int64.max), `double`: Double bits, `bool`: 0 or 1,
        /// `nonFinite`: 0 `+Inf`, 1 `-Inf`, 2 `NaN`.
        var payload: UInt64 = 0

        var int: Int64 { Int64(bitPattern: payload) }
        var double: Double { Double(bitPattern: payload) }
        /// For containers: where the next sibling starts.
        var end: Int { Int(truncatingIfNeeded: payload) }
    }

    var nodes: [Node] = []
    var arena: [UInt8] = []

    mutating func reset() {
        nodes.removeAll(keepingCapacity: true)
        arena.removeAll(keepingCapacity: true)
    }
}
