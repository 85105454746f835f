import Synchronization

/// Polls a Go `expvar` endpoint (`/debug/vars`) and turns each response into a ``Document``
/// (SPEC §2, §3.1).
///
/// One ``read(startedAtWallNanos:)`` is one GET of `configuration.url` with the configured headers,
/// `timeout` bounding the whole exchange and `max_body_bytes` bounding the body. A non-2xx status,
/// a body that is not a JSON object (empty, HTML, truncated, trailing data, too deep, invalid UTF-8)
/// or a transport failure is a ``ReaderError`` whose message names the URL and shows the first bytes
/// of the body, sanitised.
///
/// The engine owns scheduling, skipping and backoff. Polls of one reader are expected to be serial;
/// the parse/flatten state (type stability, previous `NumGC`) sits behind a mutex, so concurrent
/// calls are safe, merely serialised. Parse buffers are borrowed from a ``ParseScratchPool``.
///
/// Metrics (label `reader`): `bytes_read` (response body bytes), `fields_dropped` (also labelled
/// `reason`, see ``DropReason``), `fields_converted` (`reason="uint_overflow"`: unsigned integers
/// above `Int64.max` written as doubles).
public final class ExpvarReader: Reader {
    /// What a reader remembers between polls; the parse buffers come from a ``ParseScratchPool``.
    struct State: ~Copyable {
        var flattener: Flattener
        /// The encoder's field order of the previous document (see `DocumentEncoder.cachedOrder`).
        var fieldOrder: [Int] = []
    }

    public let name: String
    private let configuration: ReaderConfiguration
    private let transport: any HTTPTransport
    private let logger: Logger
    private let url: Endpoint?
    private let endpointText: String
    private let headers: [(name: String, value: String)]
    private let bytesRead: Counter
    private let dropCounters: [Counter]
    private let uintConverted: Counter
    /// Escaped, quoted envelope values.
    private let typeValue: [UInt8]
    private let readerValue: [UInt8]
    private let endpointValue: [UInt8]
    private let limits: JSONScanner.Limits
    private let state: Mutex<State>
    private let scratch: ParseScratchPool
    /// Which pool slot this reader tries first (spreads readers over the slots).
    private let preferredSlot: Int

    /// `configuration.url` as text.
    public var endpoint: String? { endpointText }

    /// The `fields_dropped` counters that are not zero, by reason.
    public var droppedFields: [(reason: String, count: Int)] {
        zip(DropReason.allCases, dropCounters).compactMap { reason, counter in
            counter.value > 0 ? (reason.label, Int(counter.value)) : nil
        }
    }

    /// Makes a reader for `configuration` (of kind `expvar`). `metrics` receives the counters above;
    /// `logger` gets debug lines about dropped fields; `scratch` lends the parse buffers (share one
    /// pool between all readers of a process; nil gives this reader its own).
    public init(
        configuration: ReaderConfiguration, transport: any HTTPTransport, metrics: any MetricsFactory,
        logger: Logger, scratch: ParseScratchPool? = nil
    ) {
        self.name = configuration.name
        self.configuration = configuration
        self.transport = transport
        self.logger = logger
        self.url = configuration.url
        self.endpointText = configuration.url?.description ?? ""
        var headers = configuration.headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value.value) }
        if !headers.contains(where: { $0.name.lowercased() == "accept" }) {
            headers.append((name: "Accept", value: "application/json"))
        }
        self.headers = headers
        let reader = MetricKey.Label("reader", configuration.name)
        self.bytesRead = metrics.counter(MetricKey("bytes_read", labels: [reader]))
        self.dropCounters = DropReason.allCases.map {
            metrics.counter(MetricKey("fields_dropped", labels: [reader, MetricKey.Label("reason", $0.label)]))
        }
        self.uintConverted = metrics.counter(
            MetricKey("fields_converted", labels: [reader, MetricKey.Label("reason", "uint_overflow")]))
        func quoted(_ text: String) -> [UInt8] {
            var out: [UInt8] = []
            JSONWriter.appendString(text, to: &out)
            return out
        }
        self.typeValue = quoted(configuration.typeName)
        self.readerValue = quoted(configuration.name)
        self.endpointValue = quoted(endpointText)
        self.limits = JSONScanner.Limits(
            maxDepth: min(max(configuration.maxDepth, 1), 1024), maxBytes: max(configuration.maxBodyBytes, 0))
        self.state = Mutex(State(flattener: Flattener(options: Flattener.Options(configuration: configuration))))
        self.scratch = scratch ?? ParseScratchPool(slots: 1)
        self.preferredSlot = Int(truncatingIfNeeded: StableHash.of(configuration.name) % (1 << 20))
    }

    /// GETs the endpoint once and returns the document, stamped with `startedAtWallNanos`.
    public func read(startedAtWallNanos: Int64) async throws(ReaderError) -> [Document] {
        guard let url else {
            throw ReaderError(code: "no_endpoint", message: "reader \(name) has no endpoint (set endpoint:)")
        }
        let request = HTTPRequest(
            method: "GET", endpoint: url, headers: headers, timeout: configuration.timeout,
            maxResponseBytes: configuration.maxBodyBytes)
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw ReaderError(code: error.code, message: "GET \(endpointText): \(error)")
        }
        bytesRead.increment(by: Int64(response.body.count))
        guard (200..<300).contains(response.status) else {
            let preview = response.body.withUnsafeBytes { JSONError.preview($0, limit: 200) }
            throw ReaderError(
                code: "http_status",
                message: "GET \(endpointText) returned HTTP \(response.status); body starts with \(preview)")
        }
        return [
            try document(
                fromBody: response.body, startedAtWallNanos: startedAtWallNanos,
                context: "GET \(endpointText) returned HTTP \(response.status) with an unusable body")
        ]
    }

    /// The poll pipeline without HTTP: parse, flatten and encode `body` as if it had just been read
    /// (updates type-stability and GC state). Used by ``read(startedAtWallNanos:)`` and benchmarks.
    public func document(fromBody body: [UInt8], startedAtWallNanos: Int64) throws(ReaderError) -> Document {
        try document(fromBody: body, startedAtWallNanos: startedAtWallNanos, context: "body of \(endpointText)")
    }

    /// `context` starts the message of a parse error.
    private func document(fromBody body: [UInt8], startedAtWallNanos: Int64, context: String) throws(ReaderError)
        -> Document
    {
        let millis = Self.millis(startedAtWallNanos)
        let limits = self.limits
        let pool = scratch
        let preferred = preferredSlot
        let result: Result<(body: [UInt8], dropped: [Int], converted: Int), JSONError> = state.withLock { state in
            pool.withScratch(preferred: preferred) { scratch in
                scratch.scanner.limits = limits
                let parsed: JSONError? = body.withUnsafeBytes { source in
                    do throws(JSONError) {
                        try scratch.scanner.parse(source, into: &scratch.tape)
                    } catch {
                        return error
                    }
                    scratch.encoder.reset()
                    writeEnvelope(millis: millis, into: &scratch.encoder)
                    state.flattener.flatten(scratch.tape, source: source, into: &scratch.encoder)
                    return nil
                }
                if let parsed { return .failure(parsed) }
                swap(&scratch.encoder.cachedOrder, &state.fieldOrder)
                let (encoded, duplicates, conflicts) = scratch.encoder.finish()
                swap(&scratch.encoder.cachedOrder, &state.fieldOrder)
                state.flattener.count(.duplicate, duplicates)
                state.flattener.count(.conflict, conflicts)
                return .success((encoded, state.flattener.dropped, state.flattener.uintConverted))
            }
        }
        switch result {
        case .failure(let error):
            throw ReaderError(code: Self.code(for: error), message: context + ": " + error.message)
        case .success(let (encoded, dropped, converted)):
            var total = 0
            for (reason, amount) in zip(DropReason.allCases, dropped) where amount > 0 {
                dropCounters[reason.rawValue].increment(by: Int64(amount))
                total += amount
            }
            if converted > 0 { uintConverted.increment(by: Int64(converted)) }
            if total > 0 {
                logger.debug(
                    "dropped \(total) fields",
                    Dictionary(
                        uniqueKeysWithValues: zip(DropReason.allCases, dropped).filter { $0.1 > 0 }.map {
                            ("dropped." + $0.0.label, String($0.1))
                        }))
            }
            return Document(
                id: DocumentID.make(reader: name, endpoint: endpointText, timestampMillis: millis),
                timestampMillis: millis, reader: name, body: encoded)
        }
    }

    private func writeEnvelope(millis: Int64, into encoder: inout DocumentEncoder) {
        encoder.beginField("@timestamp")
        RFC3339.appendQuoted(millis: millis, to: &encoder.out)
        encoder.endField()
        encoder.beginField("type")
        encoder.out.append(contentsOf: typeValue)
        encoder.endField()
        encoder.beginField("reader")
        encoder.out.append(contentsOf: readerValue)
        encoder.endField()
        encoder.beginField("endpoint")
        encoder.out.append(contentsOf: endpointValue)
        encoder.endField()
    }

    static func millis(_ nanos: Int64) -> Int64 {
        let (q, r) = nanos.quotientAndRemainder(dividingBy: 1_000_000)
        return r < 0 ? q - 1 : q
    }

    private static func code(for error: JSONError) -> String {
        switch error.code {
        case .empty: "empty_body"
        case .notAnObject: "not_json_object"
        case .tooLarge: "body_too_large"
        default: "invalid_json"
        }
    }
}
