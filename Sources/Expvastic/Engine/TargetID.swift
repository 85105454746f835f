import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

#if canImport(Glibc)
    import Glibc
#endif

/// Who a target is: its reader (the job) and its endpoint. The same endpoint found by two sources of
/// one job is one target; the same endpoint in two jobs is two.
public struct TargetID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The reader's (job's) name.
    public let reader: String
    /// The URL polled (`http://10.0.0.5:8080/debug/vars`), or `self` for a self reader.
    public let endpoint: String
    /// Hashed once (see ``Prehashed``): the reconciler's and the shipper's tables of 10,000 targets
    /// rehash their keys as they grow and as targets are removed.
    private let hash: Int
    /// Both names are ASCII: then they order as their bytes do (see `<`).
    let ascii: Bool

    public init(reader: String, endpoint: String) {
        self.reader = reader
        self.endpoint = endpoint
        var hasher = Hasher()
        hasher.combine(reader)
        hasher.combine(endpoint)
        hash = hasher.finalize()
        ascii = reader.isASCIIBytes && endpoint.isASCIIBytes
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(hash) }

    /// The stored hash mixed with the table's seed, without a `Hasher` (as ``Prehashed`` does): the
    /// builder and the reconciler look each of 10,000 targets up several times per answer.
    public func _rawHashValue(seed: Int) -> Int { PrehashMix.mix(hash, seed: seed) }

    public static func == (lhs: TargetID, rhs: TargetID) -> Bool {
        lhs.hash == rhs.hash && lhs.reader == rhs.reader && lhs.endpoint == rhs.endpoint
    }

    /// By reader, then endpoint (`String` order). ASCII names are compared as bytes, which is the
    /// same order (Unicode scalar order is byte order there) at a third of the cost: the reconciler
    /// sorts the 20,000 ids an answer that replaces 10,000 targets changes.
    public static func < (lhs: TargetID, rhs: TargetID) -> Bool {
        guard lhs.ascii && rhs.ascii else { return (lhs.reader, lhs.endpoint) < (rhs.reader, rhs.endpoint) }
        let readers = compareBytes(lhs.reader, rhs.reader)
        return readers != 0 ? readers < 0 : compareBytes(lhs.endpoint, rhs.endpoint) < 0
    }

    /// Negative, zero or positive as `a`'s bytes order before, with or after `b`'s.
    static func compareBytes(_ a: String, _ b: String) -> Int {
        let fast = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y -> Int in
                let shared = min(x.count, y.count)
                if shared > 0 {
                    let order = memcmp(x.baseAddress!, y.baseAddress!, shared)
                    if order != 0 { return Int(order) }
                }
                return x.count - y.count
            }
        }
        if let order = fast ?? nil { return order }
        return a == b ? 0 : (a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1)
    }

    public var description: String { reader + "@" + endpoint }

    /// A `self` reader's one target (the process's own metrics), which every pool member runs.
    public var isSelfReader: Bool { endpoint == "self" }
}
