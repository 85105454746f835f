import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// Who a target is: its reader (the job) and its endpoint. The same endpoint found by two sources of
/// one job is one target; the same endpoint in two jobs is two.
public struct TargetID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The reader's (job's) name.
    public var reader: String
    /// The URL polled (`http://10.0.0.5:8080/debug/vars`), or `self` for a self reader.
    public var endpoint: String

    public init(reader: String, endpoint: String) {
        self.reader = reader
        self.endpoint = endpoint
    }

    public static func < (lhs: TargetID, rhs: TargetID) -> Bool {
        (lhs.reader, lhs.endpoint) < (rhs.reader, rhs.endpoint)
    }

    public var description: String { reader + "@" + endpoint }

    /// A `self` reader's one target (the process's own metrics), which every pool member runs.
    public var isSelfReader: Bool { endpoint == "self" }
}
