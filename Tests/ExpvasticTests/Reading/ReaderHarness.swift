import Expvastic
import Foundation
import Synchronization

/// Builds expvar readers over a fake transport and decodes their documents.
enum ReaderHarness {
    static let start: Int64 = 1_795_284_000_123_456_789

    static func configuration(
        include: [String] = [], exclude: [String] = [], fieldMap: FieldMap = .defaults
    ) -> ReaderConfiguration {
        var configuration = ReaderConfiguration(
            name: "FirstApp", kind: .expvar, typeName: "my_app1",
            url: try? Endpoint.parse("localhost:1234/debug/vars").get())
        configuration.include = include
        configuration.exclude = exclude
        configuration.fieldMap = fieldMap
        configuration.timeout = .seconds(3)
        return configuration
    }

    static func reader(
        include: [String] = [], exclude: [String] = [], fieldMap: FieldMap = .defaults,
        transport: any HTTPTransport = FakeTransport(), fieldPins: FieldPins? = nil
    ) -> (ExpvarReader, MetricsRegistry) {
        let metrics = MetricsRegistry()
        let reader = ExpvarReader(
            configuration: configuration(include: include, exclude: exclude, fieldMap: fieldMap),
            transport: transport, metrics: metrics,
            logger: Logger(component: "test", level: .error, handler: NoOpLogHandler()), fieldPins: fieldPins)
        return (reader, metrics)
    }

    /// The document's fields, via Foundation (loses uint64 precision: check exact digits on the text).
    static func fields(_ document: Document) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(document.body), options: [.fragmentsAllowed])
        guard let fields = object as? [String: Any] else { throw FakeTransport.Failure() }
        return fields
    }

    static func text(_ document: Document) -> String { String(decoding: document.body, as: UTF8.self) }

    static func dropped(_ metrics: MetricsRegistry, _ reason: String) -> Int64 {
        let key = MetricKey(
            "fields_dropped", labels: [MetricKey.Label("reader", "FirstApp"), MetricKey.Label("reason", reason)])
        if case .counter(let value)? = metrics.value(key) { return value }
        return -1
    }

    static func document(_ reader: ExpvarReader, _ body: String, at nanos: Int64 = start) throws -> Document {
        try reader.document(fromBody: Array(body.utf8), startedAtWallNanos: nanos)
    }
}

/// Answers every request with the next canned response (the last one repeats) and records requests.
final class FakeTransport: HTTPTransport {
    struct Failure: Error {}

    private let state: Mutex<(responses: [Result<HTTPResponse, HTTPError>], requests: [HTTPRequest])>
    /// Whether ``encodedHead(of:)`` encodes (as `<method> <path>`), and how often it was asked.
    private let encodesHeads: Bool
    private let headsEncoded = Atomic<Int>(0)

    init(
        _ responses: [Result<HTTPResponse, HTTPError>] = [.success(HTTPResponse(status: 200, body: Array("{}".utf8)))],
        encodesHeads: Bool = false
    ) {
        state = Mutex((responses, []))
        self.encodesHeads = encodesHeads
    }

    convenience init(status: Int, body: String) {
        self.init([.success(HTTPResponse(status: status, body: Array(body.utf8)))])
    }

    var requests: [HTTPRequest] { state.withLock { $0.requests } }

    var headsEncodedCount: Int { headsEncoded.load(ordering: .relaxed) }

    func encodedHead(of request: HTTPRequest) -> [UInt8]? {
        guard encodesHeads else { return nil }
        headsEncoded.add(1, ordering: .relaxed)
        return Array("\(request.method) \(request.path)".utf8)
    }

    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let next = state.withLock { state in
            state.requests.append(request)
            return state.responses.count > 1 ? state.responses.removeFirst() : state.responses[0]
        }
        return try next.get()
    }
}
