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
    /// Responses with status 400 or above sent by the server itself (limits, garbage, 404/405 from handlers
    /// are not counted here).
    public var protocolErrors = 0

    public init() {}
}
