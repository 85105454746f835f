import ExpvasticBase

/// Tuning for ``SocketHTTPTransport``. The defaults suit polling many expvar endpoints once a
/// second and posting bulk requests to a few Elasticsearch nodes.
public struct SocketHTTPTransportConfiguration: Sendable, Equatable {
    /// `User-Agent` sent unless a request sets its own. Default `expvastic/<version>`.
    public var userAgent: String
    /// Most connections open (connecting, busy or idle) to one host and port. Requests beyond it
    /// wait, inside their own timeout, for a connection to come free. Default 64.
    public var maxConnectionsPerHost: Int
    /// Most idle keep-alive connections kept per host and port; extra ones are closed when their
    /// response completes. Keep it near the number of requests a host sees at once: below that,
    /// connections are closed and reopened all the time. Default 32.
    public var maxIdleConnectionsPerHost: Int
    /// An idle pooled connection unused for this long is closed. Default 30 seconds.
    public var idleTimeout: Duration
    /// How long a host name's resolved addresses are reused before `getaddrinfo` runs again (IP
    /// literals and `localhost` are never looked up). Default 60 seconds.
    public var addressCacheDuration: Duration
    /// Largest response head (status line and header fields) accepted, in bytes. Default 64 KiB.
    public var maxResponseHeadBytes: Int
    /// A PEM file of certificates trusted for `https` besides the system's (or `SSL_CERT_FILE`'s).
    /// For tests, which cannot set `SSL_CERT_FILE` safely in a process running other tests on other
    /// threads; users set `SSL_CERT_FILE` or `SSL_CERT_DIR`. Default nil.
    package var extraTrustedCertificatesFile: String?

    /// The `User-Agent` of this build.
    public static let defaultUserAgent = "expvastic/0.1.0"

    public init(
        userAgent: String = SocketHTTPTransportConfiguration.defaultUserAgent,
        maxConnectionsPerHost: Int = 64,
        maxIdleConnectionsPerHost: Int = 32,
        idleTimeout: Duration = .seconds(30),
        addressCacheDuration: Duration = .seconds(60),
        maxResponseHeadBytes: Int = 64 * 1024
    ) {
        precondition(maxConnectionsPerHost >= 1, "maxConnectionsPerHost must be at least 1")
        precondition(maxIdleConnectionsPerHost >= 0, "maxIdleConnectionsPerHost must not be negative")
        precondition(maxResponseHeadBytes >= 1024, "maxResponseHeadBytes must be at least 1024")
        self.userAgent = userAgent
        self.maxConnectionsPerHost = maxConnectionsPerHost
        self.maxIdleConnectionsPerHost = maxIdleConnectionsPerHost
        self.idleTimeout = idleTimeout
        self.addressCacheDuration = addressCacheDuration
        self.maxResponseHeadBytes = maxResponseHeadBytes
    }
}
