/// Asks one discovery source for its current targets. The ``DiscoveryService`` decides when (see
/// ``DiscoveryRefresh``); a fetcher only knows how to ask once.
public protocol TargetFetcher: Sendable {
    /// The source's complete current target set, or why there is none (the last good set is then kept).
    func fetch() async throws(DiscoveryError) -> DiscoveryAnswer
}

/// One successful answer of a discovery source.
public struct DiscoveryAnswer: Sendable, Equatable {
    public var targets: [DiscoveredTarget]
    /// How long the answer may be used, when the source says (a DNS TTL); the refresh interval caps it.
    public var validForNanos: UInt64?

    public init(targets: [DiscoveredTarget], validForNanos: UInt64? = nil) {
        self.targets = targets
        self.validForNanos = validForNanos
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
