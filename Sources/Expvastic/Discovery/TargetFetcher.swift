import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// Asks one discovery source for its current targets. The ``DiscoveryService`` decides when (see
/// ``DiscoveryRefresh``); a fetcher only knows how to ask once.
public protocol TargetFetcher: Sendable {
    /// The source's complete current target set, or why there is none (the last good set is then kept).
    func fetch() async throws(DiscoveryError) -> DiscoveryAnswer
}

/// A source that can tell when its answer changes (etcd's watch): the ``DiscoveryService`` asks it
/// again as soon as it does, and the refresh is only the safety net.
public protocol WatchableTargetFetcher: TargetFetcher {
    /// Watches the source for changes after the answer of version `version` (``DiscoveryAnswer/version``)
    /// and calls `onChange` for each. Returns when the watch ends by itself (after a while; the
    /// service watches again from its newest answer), throws when it breaks (the service then asks
    /// again and watches from the new answer).
    func watch(after version: Int64, onChange: @escaping @Sendable () -> Void) async throws(DiscoveryError)
}

/// One successful answer of a discovery source.
public struct DiscoveryAnswer: Sendable, Equatable {
    public var targets: [DiscoveredTarget]
    /// How long the answer may be used, when the source says (a DNS TTL); the refresh interval caps it.
    public var validForNanos: UInt64?
    /// The source's version of this answer (etcd's revision), from which a watch starts; nil when the
    /// source has none.
    public var version: Int64?

    public init(targets: [DiscoveredTarget], validForNanos: UInt64? = nil, version: Int64? = nil) {
        self.targets = targets
        self.validForNanos = validForNanos
        self.version = version
    }
}

/// Why a discovery source gave no usable answer.
public struct DiscoveryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable code for logs and metrics (`file_missing`, `invalid_content`, `http_status`, `dns_timeout`, …).
    public var code: String
    /// What was wrong and, where it helps, what to do.
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// A fixed list: `static: [host:port, …]`.
public struct StaticTargetFetcher: TargetFetcher {
    public let addresses: [String]
    public init(addresses: [String]) { self.addresses = addresses }
    public func fetch() async throws(DiscoveryError) -> DiscoveryAnswer {
        DiscoveryAnswer(targets: addresses.map { DiscoveredTarget(address: $0) })
    }
}
