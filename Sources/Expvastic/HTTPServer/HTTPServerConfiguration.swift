import ExpvasticBase

/// Limits and timeouts of an ``HTTPServer``. The defaults suit a loopback monitoring endpoint.
public struct HTTPServerConfiguration: Sendable, Equatable {
    /// Numeric IPv4 or IPv6 address (or `localhost`) to bind; default `127.0.0.1`.
    public var host: String
    /// TCP port; 0 lets the kernel choose (read it back with ``HTTPServer/boundPort``).
    public var port: Int
    /// Longest request line accepted, in bytes; longer gets 414 and the connection is closed. Default 8 KiB.
    public var maxRequestLineBytes: Int = 8 << 10
    /// Largest header section (everything after the request line), in bytes; larger gets 431. Default 32 KiB.
    public var maxHeaderBytes: Int = 32 << 10
    /// Most header fields accepted; more gets 431. Default 100.
    public var maxHeaderCount: Int = 100
    /// Time a client has to deliver a complete request head, counted from its first byte (or from the
    /// connection for a fresh connection). Slow-drip clients get 408 and are closed. Default 10s.
    public var requestHeadTimeout: Duration = .seconds(10)
    /// How long a keep-alive connection may sit idle between requests. Default 30s.
    public var idleTimeout: Duration = .seconds(30)
    /// Time a client has to read a response before the connection is dropped. Default 10s.
    public var writeTimeout: Duration = .seconds(10)
    /// After an error response the server stops sending, discards what the client still sends and closes
    /// after at most this long, so that the client can read the error instead of a reset. Default 2s.
    public var lingerTimeout: Duration = .seconds(2)
    /// Most open client connections. At the limit, the connection idle the longest is closed to make room;
    /// if every connection is busy writing a response, the new one gets 503 and is closed. Default 256.
    public var maxConnections: Int = 256
    /// Most response bytes waiting for slow readers across all connections; a response that would exceed it
    /// is replaced by 503 and its connection closed, so clients that ask and never read cannot pile up
    /// memory. Default 64 MiB.
    public var maxPendingResponseBytes: Int = 64 << 20
    /// Listen backlog handed to `listen(2)` (the kernel caps it at `net.core.somaxconn`). Large enough that a
    /// burst of connections while the server thread waits for a CPU is queued, not dropped (a dropped SYN
    /// costs the client a one-second retransmission). Default 1024.
    public var backlog: Int = 1024

    /// Binds `host:port` with default limits.
    public init(host: String = "127.0.0.1", port: Int = 0) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `[ipv6]:port` or `:port` (which means `127.0.0.1`), as in `settings.http.listen`.
    public init(listen: String) throws(HTTPServerError) {
        var hostPart: Substring
        var portPart: Substring
        if listen.hasPrefix("[") {
            guard let close = listen.firstIndex(of: "]"), listen[close...].hasPrefix("]:") else {
                throw HTTPServerError(
                    code: .invalidListenAddress,
                    message: "listen address \"\(listen)\" is not [ipv6]:port; write e.g. [::1]:9800")
            }
            hostPart = listen[listen.index(after: listen.startIndex)..<close]
            portPart = listen[listen.index(close, offsetBy: 2)...]
        } else {
            guard let colon = listen.lastIndex(of: ":") else {
                throw HTTPServerError(
                    code: .invalidListenAddress,
                    message: "listen address \"\(listen)\" has no port; write host:port, e.g. 127.0.0.1:9800")
            }
            hostPart = listen[..<colon]
            portPart = listen[listen.index(after: colon)...]
        }
        guard let port = Int(portPart), (0...65535).contains(port) else {
            throw HTTPServerError(
                code: .invalidListenAddress,
                message: "listen address \"\(listen)\" has an invalid port; use 0-65535, e.g. 127.0.0.1:9800")
        }
        if hostPart.isEmpty { hostPart = "127.0.0.1" }
        self.init(host: String(hostPart), port: port)
    }
}
