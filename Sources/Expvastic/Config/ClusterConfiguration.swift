import ExpvasticBase
import ExpvasticCodecs

/// The optional `cluster` section: this process is one member of a pool of shippers that share
/// the targets through etcd. Without it, a process runs every target.
public struct ClusterConfiguration: Sendable, Equatable {
    /// `cluster.etcd.endpoints`: etcd's client URLs (`http` or `https`), tried in order when one fails.
    public var endpoints: [Endpoint]
    /// `cluster.etcd.username` / `cluster.etcd.password`: etcd's own authentication; default none.
    public var username: String?
    public var password: Secret?
    /// `cluster.prefix`: where the pool lives in etcd, always ending with `/` (members are
    /// `<prefix>members/<member>`); default `/expvastic/`. Pools with different prefixes are separate.
    public var prefix: String = ClusterConfiguration.defaultPrefix
    /// `cluster.member`: this member's name, unique in the pool; nil means host name plus process id
    /// (``defaultMember(host:pid:)``).
    public var member: String?
    /// `cluster.lease_ttl`: how long after its last renewal a silent member (killed, cut off) is
    /// dropped and its targets are taken over; default 10s, whole seconds, 2s…5m.
    public var leaseTTL: Duration = .seconds(10)

    /// The default of `cluster.prefix`.
    public static let defaultPrefix = "/expvastic/"

    public init(endpoints: [Endpoint]) {
        self.endpoints = endpoints
    }

    /// `<host>-<pid>`: unique among live processes, different after a restart.
    public static func defaultMember(host: String, pid: Int32) -> String {
        "\(host.isEmpty ? "expvastic" : host)-\(pid)"
    }

    /// The key prefix of the members.
    public var membersPrefix: String { prefix + "members/" }
}
