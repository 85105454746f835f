import ExpvasticBase

/// An HTTP request as Expvastic sends it.
public struct HTTPRequest: Sendable {
    public var method: String
    /// Scheme, host, port; `path` below is sent as the request target.
    public var endpoint: Endpoint
    /// Request target: path plus optional query, e.g. `/debug/vars` or `/_bulk`.
    public var path: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Bounds the whole exchange: connect, send, and read the full response.
    public var timeout: Duration
    /// A response body larger than this is an error (`HTTPError.bodyTooLarge`).
    public var maxResponseBytes: Int
    /// Streams the response body: each piece is passed on as it arrives (on the transport's thread:
    /// keep it short) and the returned response has an empty body. For responses that may never
    /// complete (etcd's watch): they end with the request's `timeout` or when the sending task is
    /// cancelled. Transports that cannot stream deliver the whole body at the end. Default nil.
    public var onBody: (@Sendable ([UInt8]) -> Void)?
    /// The head as the transport that sends this request encodes it (``HTTPTransport/encodedHead(of:)``),
    /// for a request sent again and again unchanged (a reader's GET): written as it is instead of
    /// being encoded on every send. Set it only on the request it was encoded from. Default nil.
    public var encodedHead: [UInt8]?

    public init(
        method: String = "GET",
        endpoint: Endpoint,
        path: String? = nil,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        timeout: Duration,
        maxResponseBytes: Int = 16 << 20,
        onBody: (@Sendable ([UInt8]) -> Void)? = nil,
        encodedHead: [UInt8]? = nil
    ) {
        self.method = method
        self.endpoint = endpoint
        self.path = path ?? endpoint.path
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.onBody = onBody
        self.encodedHead = encodedHead
    }
}

/// A complete HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { HTTPHeadParser.equalsIgnoringCase($0.name, name) }?.value
    }
}

/// Why an HTTP exchange failed before a complete response arrived.
public enum HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// TCP connect failed (refused, unreachable, DNS failure).
    case connectFailed(String)
    /// The whole exchange took longer than the request's timeout.
    case timedOut(Duration)
    /// The response body exceeded the request's `maxResponseBytes`.
    case bodyTooLarge(limit: Int)
    /// The peer closed or reset the connection before the response was complete.
    case connectionClosed(String)
    /// The response was not valid HTTP/1.1.
    case malformedResponse(String)
    /// The scheme is not supported by this transport.
    case unsupportedScheme(String)
    /// `https` could not be used: OpenSSL is missing, the handshake failed, or the server's
    /// certificate was not accepted (the message names the host and OpenSSL's reason).
    case tlsFailed(String)

    /// A stable code for logs and metrics.
    public var code: String {
        switch self {
        case .connectFailed: "connect_failed"
        case .timedOut: "timeout"
        case .bodyTooLarge: "body_too_large"
        case .connectionClosed: "connection_closed"
        case .malformedResponse: "malformed_response"
        case .unsupportedScheme: "unsupported_scheme"
        case .tlsFailed: "tls_failed"
        }
    }

    public var description: String {
        switch self {
        case .connectFailed(let why): "cannot connect: \(why)"
        case .timedOut(let limit): "no complete response within \(limit)"
        case .bodyTooLarge(let limit): "response body larger than \(limit) bytes"
        case .connectionClosed(let why): "connection closed early: \(why)"
        case .malformedResponse(let why): "malformed HTTP response: \(why)"
        case .unsupportedScheme(let scheme): "unsupported URL scheme \(scheme)"
        case .tlsFailed(let why): "TLS failed: \(why)"
        }
    }
}

/// Sends HTTP requests. The seam between Expvastic and the network: readers and recorders take one
/// in their initializer, tests pass fakes.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse
    /// The head ``send(_:)`` would write for `request`, to set as its ``HTTPRequest/encodedHead``
    /// when it is sent again unchanged; nil when the transport has none (the default) or the
    /// request cannot be sent (``send(_:)`` says why).
    func encodedHead(of request: HTTPRequest) -> [UInt8]?
}

extension HTTPTransport {
    public func encodedHead(of request: HTTPRequest) -> [UInt8]? { nil }
}
