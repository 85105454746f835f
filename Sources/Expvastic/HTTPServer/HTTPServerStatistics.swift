import ExpvasticBase

/// Counters of an ``HTTPServer`` since it started, for tests, health and self metrics.
public struct HTTPServerStatistics: Sendable, Equatable {
    /// Client connections open right now.
    public var openConnections = 0
    /// Connections accepted in total (including those closed at once because of the limit).
    public var acceptedConnections = 0
    /// New connections closed at once (with 503) because every slot was busy writing.
    public var rejectedConnections = 0
    /// Idle or slow connections closed to make room for a new one at the connection limit.
    public var evictedConnections = 0
    /// Connections closed because a request head, an idle period or a write took too long.
    public var timedOutConnections = 0
    /// Complete request heads handled (any status).
    public var requests = 0
    /// Error responses the server sent on its own for malformed, over-limit or too slow requests (400, 408,
    /// 414, 431, 505) and for unread-response overload (503). Not counted: 405 and whatever handlers return.
    public var protocolErrors = 0

    public init() {}
}
