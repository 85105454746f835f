import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

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

    public init(reader: String, endpoint: String) {
        self.reader = reader
        self.endpoint = endpoint
        var hasher = Hasher()
        hasher.combine(reader)
        hasher.combine(endpoint)
        hash = hasher.finalize()
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(hash) }

    public static func == (lhs: TargetID, rhs: TargetID) -> Bool {
        lhs.hash == rhs.hash && lhs.reader == rhs.reader && lhs.endpoint == rhs.endpoint
    }

    public static func < (lhs: TargetID, rhs: TargetID) -> Bool {
        (lhs.reader, lhs.endpoint) < (rhs.reader, rhs.endpoint)
    }

    public var description: String { reader + "@" + endpoint }

    /// A `self` reader's one target (the process's own metrics), which every pool member runs.
    public var isSelfReader: Bool { endpoint == "self" }
}
