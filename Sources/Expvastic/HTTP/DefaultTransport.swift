import Synchronization

/// The transport Expvastic uses unless told otherwise: plain `http` through the fast
/// ``SocketHTTPTransport``, `https` through ``URLSessionTransport``.
public final class DefaultTransport: HTTPTransport {
    private let plain: SocketHTTPTransport
    /// Made on the first `https` request: a URLSession starts libcurl and a thread and costs about
    /// 5 MB of memory, which a configuration without `https` endpoints should not pay.
    private let secure = Mutex<URLSessionTransport?>(nil)

    /// - Parameters:
    ///   - configuration: tuning for the `http` socket client.
    ///   - clock: monotonic time for the socket client's deadlines.
    public init(configuration: SocketHTTPTransportConfiguration = .init(), clock: any Clock = SystemClock()) {
        plain = SocketHTTPTransport(configuration: configuration, clock: clock)
    }

    public func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        switch request.endpoint.scheme {
        case "http": try await plain.send(request)
        case "https": try await secureTransport().send(request)
        default: throw .unsupportedScheme(request.endpoint.scheme)
        }
    }

    private func secureTransport() -> URLSessionTransport {
        secure.withLock { transport in
            if let transport { return transport }
            let created = URLSessionTransport()
            transport = created
            return created
        }
    }

    /// Stops the socket client's loop thread and closes its connections.
    public func shutdown() {
        plain.shutdown()
    }
}
