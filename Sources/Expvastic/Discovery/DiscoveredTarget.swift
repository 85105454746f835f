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
        self.labels = labels.filter { !$0.key.hasPrefix("__") }
    }
}
