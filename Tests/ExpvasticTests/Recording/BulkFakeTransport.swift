import Expvastic
import Synchronization

/// An ``HTTPTransport`` that answers from a closure and records every request.
final class BulkFakeTransport: HTTPTransport {
    typealias Handler = @Sendable (HTTPRequest) async throws(HTTPError) -> HTTPResponse

    private let handler: Mutex<Handler>
    private let recorded = Mutex<[HTTPRequest]>([])

    init(_ handler: @escaping Handler) { self.handler = Mutex(handler) }

    func setHandler(_ handler: @escaping Handler) { self.handler.withLock { $0 = handler } }

    var requests: [HTTPRequest] { recorded.withLock { $0 } }

    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        recorded.withLock { $0.append(request) }
        let handler = self.handler.withLock { $0 }
        return try await handler(request)
    }

    static let rootBody = Array(
        #"{"name":"n","version":{"number":"8.13.4","build_flavor":"default"},"tagline":"You Know, for Search"}"#.utf8)

    /// A healthy Elasticsearch 8: `GET /`, template PUT and `_bulk` with every item created.
    static let healthy: Handler = { request in
        switch (request.method, request.path) {
        case ("GET", "/"): return HTTPResponse(status: 200, body: rootBody)
        case ("POST", "/_bulk"):
            let count = request.body.split(separator: UInt8(ascii: "\n")).count / 2
            let items = Array(repeating: #"{"create":{"status":201}}"#, count: count).joined(separator: ",")
            return HTTPResponse(status: 200, body: Array(#"{"took":1,"errors":false,"items":[\#(items)]}"#.utf8))
        default: return HTTPResponse(status: 200, body: Array(#"{"acknowledged":true}"#.utf8))
        }
    }
}

/// Waits (bounded, in real time) until `condition` holds; for effects of tasks the test does not await.
/// The bound is generous (a passing test returns as soon as the condition holds): the unit pass runs
/// ~580 tests on two cores, and on a machine busy with other builds a recorder's task could wait
/// longer than 5 s for a thread (the recorder suites failed that way at load 7).
func eventually(
    within seconds: Double = 20, _ condition: @Sendable () async -> Bool
) async -> Bool {
    let start = ContinuousClock.now
    while ContinuousClock.now - start < .milliseconds(Int(seconds * 1000)) {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return await condition()
}
