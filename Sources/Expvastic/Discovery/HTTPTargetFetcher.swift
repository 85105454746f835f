import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// Asks a Prometheus HTTP SD endpoint: `GET url` must answer 200 with a JSON list of target groups
/// (see ``TargetGroups``). Any other status, a transport failure or invalid content fails the answer
/// (the last good set is kept). A body equal to the last one is not parsed again (see
/// ``TargetContentCache``).
public struct HTTPTargetFetcher: TargetFetcher {
    public let url: Endpoint
    private let timeout: Duration
    private let transport: any HTTPTransport
    private let cache = TargetContentCache()
    /// Bodies larger than this are refused (64 MiB: about a million targets).
    package static let maxBodyBytes = 64 << 20

    public init(url: Endpoint, timeout: Duration, transport: any HTTPTransport) {
        self.url = url
        self.timeout = timeout
        self.transport = transport
    }

    public func fetch() async throws(DiscoveryError) -> DiscoveryAnswer {
        let request = HTTPRequest(
            method: "GET", endpoint: url, headers: [(name: "Accept", value: "application/json")], timeout: timeout,
            maxResponseBytes: HTTPTargetFetcher.maxBodyBytes)
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw DiscoveryError(code: error.code, message: "GET \(url): \(error); the last good targets are kept")
        }
        guard response.status == 200 else {
            let preview = response.body.withUnsafeBytes { JSONError.preview($0, limit: 200) }
            throw DiscoveryError(
                code: "http_status",
                message: "GET \(url) returned HTTP \(response.status) (body starts with \(preview)); "
                    + "the last good targets are kept")
        }
        let targets = try cache.targets(of: [("GET \(url)", response.body)]) { origin, body throws(DiscoveryError) in
            try TargetGroups.parse(json: body, origin: origin)
        }
        return DiscoveryAnswer(targets: targets)
    }
}
