import ExpvasticBase

/// One request on its way through the event loop: from waiting for an address or a connection,
/// through writing and reading, to the single resumption of the caller. Lives on the loop thread.
package final class HTTPExchange {
    /// What the caller hands to the loop: the encoded request and where to deliver the result.
    package struct Request: Sendable {
        package var id: UInt64
        package var key: ConnectionPool.Key
        package var head: [UInt8]
        package var body: [UInt8]
        package var isHead: Bool
        /// Monotonic nanoseconds by which the whole exchange must be done.
        package var deadline: UInt64
        package var timeout: Duration
        package var maxResponseBytes: Int
        package var maxHeadBytes: Int
        /// Streams the body (see ``HTTPRequest/onBody``).
        package var onBody: (@Sendable ([UInt8]) -> Void)?
        package var continuation: CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>
    }

    package let request: Request
    /// The connection carrying (or being opened for) this exchange.
    package var connection: HTTPConnection?
    package var parser: HTTPResponseParser
    /// Bytes of head plus body written so far in this attempt.
    package var written = 0
    /// Set when a stale pooled connection failed and this exchange went to a fresh one.
    package var retried = false
    private(set) package var isFinished = false

    package init(request: Request) {
        self.request = request
        parser = Self.makeParser(request)
    }

    package var id: UInt64 { request.id }
    package var totalBytes: Int { request.head.count + request.body.count }
    package var isWriteComplete: Bool { written == totalBytes }

    /// Forgets what the failed attempt wrote and read, so the request can start over.
    package func resetForRetry() {
        written = 0
        retried = true
        parser = Self.makeParser(request)
    }

    /// Resumes the caller. Exactly once.
    package func finish(_ result: Result<HTTPResponse, HTTPError>) {
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
