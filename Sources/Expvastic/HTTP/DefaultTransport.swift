/// The transport Expvastic uses unless told otherwise: plain `http` through the fast
/// ``SocketHTTPTransport``, `https` through ``URLSessionTransport``.
public final class DefaultTransport: HTTPTransport {
    private let plain: SocketHTTPTransport
    private let secure: URLSessionTransport

    /// - Parameters:
    ///   - configuration: tuning for the `http` socket client.
    ///   - clock: monotonic time for the socket client's deadlines.
    public init(configuration: SocketHTTPTransportConfiguration = .init(), clock: any Clock = SystemClock()) {
        plain = SocketHTTPTransport(configuration: configuration, clock: clock)
        secure = URLSessionTransport()
    }

    public func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        switch request.endpoint.scheme {
        case "http": try await plain.send(request)
        case "https": try await secure.send(request)
        default: throw .unsupportedScheme(request.endpoint.scheme)
        }
    }

    /// Stops the socket client's loop thread and closes its connections.
    public func shutdown() {
        plain.shutdown()
    }
}
