import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// One target a discovery source found: an address (`host:port`, `host:port/path` or a URL) and
/// its labels. Labels whose name starts with `__` (Prometheus' meta labels) are not kept.
public struct DiscoveredTarget: Sendable, Hashable {
    public var address: String
    public var labels: [String: String]

    public init(address: String, labels: [String: String] = [:]) {
        self.address = address
        // Kept as given when none is a meta label: a file's group gives its one dictionary to each of
        // its targets (10,000 in one group), and filtering made a copy per target.
        self.labels = labels.keys.contains { $0.hasPrefix("__") } ? labels.filter { !$0.key.hasPrefix("__") } : labels
    }
}
