/// One request on its way through the event loop: from waiting for an address or a connection,
/// through writing and reading, to the single resumption of the caller. Lives on the loop thread.
final class HTTPExchange {
    /// What the caller hands to the loop: the encoded request and where to deliver the result.
    struct Request: Sendable {
        var id: UInt64
        var key: ConnectionPool.Key
        var head: [UInt8]
        var body: [UInt8]
        var isHead: Bool
        /// Monotonic nanoseconds by which the whole exchange must be done.
        var deadline: UInt64
        var timeout: Duration
        var maxResponseBytes: Int
        var maxHeadBytes: Int
        /// Streams the body (see ``HTTPRequest/onBody``).
        var onBody: (@Sendable ([UInt8]) -> Void)?
        var continuation: CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>
    }

    let request: Request
    /// The connection carrying (or being opened for) this exchange.
    var connection: HTTPConnection?
    var parser: HTTPResponseParser
    /// Bytes of head plus body written so far in this attempt.
    var written = 0
    /// Set when a stale pooled connection failed and this exchange went to a fresh one.
    var retried = false
    private(set) var isFinished = false

    init(request: Request) {
        self.request = request
        parser = Self.makeParser(request)
    }

    var id: UInt64 { request.id }
    var totalBytes: Int { request.head.count + request.body.count }
    var isWriteComplete: Bool { written == totalBytes }

    /// Forgets what the failed attempt wrote and read, so the request can start over.
    func resetForRetry() {
        written = 0
        retried = true
        parser = Self.makeParser(request)
    }

    /// Resumes the caller. Exactly once.
    func finish(_ result: Result<HTTPResponse, HTTPError>) {
        precondition(!isFinished, "HTTPExchange finished twice")
        isFinished = true
        connection = nil
        request.continuation.resume(returning: result)
    }

    private static func makeParser(_ request: Request) -> HTTPResponseParser {
        var limits = HTTPHeadParser.Limits()
        limits.maxHeadBytes = request.maxHeadBytes
        return HTTPResponseParser(
            requestWasHead: request.isHead, maxBodyBytes: request.maxResponseBytes, limits: limits,
            onBody: request.onBody)
    }
}
