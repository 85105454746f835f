import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
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
    package struct State: ~Copyable {
        package var flattener: Flattener
        /// The encoder's sorted keys of the previous document (see `DocumentEncoder.OrderCache`).
        package var fieldOrder = DocumentEncoder.OrderCache()
        /// The same for the previous entity document (`split`).
        package var entityFieldOrder = DocumentEncoder.OrderCache()
        /// The budget warning is logged once per reader.
        package var budgetWarned = false
        /// The ``FieldPins/generation`` last applied to the flattener.
        package var appliedPins: UInt64 = 0
        /// The GET's head as the transport encodes it, from the first poll on (the same every poll).
        package var requestHead: [UInt8]?
    }

    /// One encoded poll, before metrics and logs.
    private struct Encoded: Sendable {
        package var body: [UInt8]
        package var dropped: [Int]
        package var converted: Int
        /// Set on the first poll that exceeded `max_fields`: the warning to log.
        package var budgetWarning: String?
        /// `split`: one body per entity, with its key.
        package var entities: [(key: String, body: [UInt8])] = []
    }

    public let name: String
    // What polls need of the configuration, not all of it: with 10,000 readers its ~300 inline
    // bytes per reader were 3 MB.
    private let timeout: Duration
    private let maxBodyBytes: Int
    private let maxFields: Int
    /// `split`'s `key_field`.
    private let keyField: String
    private let transport: any HTTPTransport
    private let logger: Logger
    private let url: Endpoint?
    private let endpointText: String
    private let headers: [(name: String, value: String)]
    /// `bytes_read`, `fields_dropped` by ``DropReason``, `fields_converted` (``SeriesKeys/all``):
    /// one array, the same for every reader of a job.
    private let counters: [Counter]
    private var bytesRead: Counter { counters[0] }
    private var uintConverted: Counter { counters[DropReason.allCases.count + 1] }
    private let envelope: DocumentEnvelope
    private let limits: JSONScanner.Limits
    private let state: Mutex<State>
    private let scratch: ParseScratchPool
    /// Fields the cluster refused, learned by the recorders (see ``FieldPins``).
    private let fieldPins: FieldPins?
    /// Which pool slot this reader tries first (spreads readers over the slots).
    private let preferredSlot: Int

    /// `configuration.url` as text.
    public var endpoint: String? { endpointText }

    /// The discovered target's labels, sorted by name (sorted once: every poll event carries them).
    public let labels: [(name: String, value: String)]

    /// The `fields_dropped` counters that are not zero, by reason.
    public var droppedFields: [(reason: String, count: Int)] {
        var dropped: [(reason: String, count: Int)] = []
        for reason in DropReason.allCases {
            let count = counters[1 + reason.rawValue].value
            if count > 0 { dropped.append((reason.label, Int(count))) }
        }
        return dropped
    }

    /// Makes a reader for `configuration` (of kind `expvar`). `metrics` receives the counters above;
    /// `logger` gets debug lines about dropped fields; `scratch` lends the parse buffers (share one
    /// pool between all readers of a process; nil gives this reader its own); `fieldPins` holds the
    /// fields a cluster refused, which later polls leave out or keep to the cluster's kind;
    /// `job`, when it ``JobParts/fits(_:)`` the configuration, spares making what every reader of
    /// the job has alike (its series keys among them).
    public init(
        configuration: ReaderConfiguration, transport: any HTTPTransport, metrics: any MetricsFactory,
        logger: Logger, scratch: ParseScratchPool? = nil, fieldPins: FieldPins? = nil,
        job: JobParts? = nil
    ) {
        let job = job.flatMap { $0.fits(configuration) ? $0 : nil } ?? JobParts(configuration: configuration)
        self.fieldPins = fieldPins
        self.name = configuration.name
        self.timeout = configuration.timeout
        self.maxBodyBytes = configuration.maxBodyBytes
        self.maxFields = configuration.maxFields
        self.keyField = configuration.split?.keyField ?? "entity"
        self.transport = transport
        self.logger = logger
        self.url = configuration.url
        self.endpointText = configuration.url?.description ?? ""
        self.headers = job.headers
        let labels = DocumentEnvelope.sortedLabels(configuration.labels)
        self.labels = labels
        self.counters = metrics.counters(job.keys.all)
        self.envelope = DocumentEnvelope(
            quotedType: job.quotedType, quotedReader: job.quotedReader, endpoint: endpointText, labels: labels)
        self.limits = JSONScanner.Limits(
            maxDepth: min(max(configuration.maxDepth, 1), 1024), maxBytes: max(configuration.maxBodyBytes, 0))
        self.state = Mutex(State(flattener: Flattener(options: job.options)))
        self.scratch = scratch ?? ParseScratchPool(slots: 1)
        self.preferredSlot = job.preferredSlot
    }

    /// GETs the endpoint once and returns the document, stamped with `startedAtWallNanos`.
    public func read(startedAtWallNanos: Int64) async throws(ReaderError) -> [Document] {
        try await read(startedAtWallNanos: startedAtWallNanos, slot: nil)
    }

    /// GETs the endpoint once; the document's `_id` comes from `slot` when there is one.
    public func read(startedAtWallNanos: Int64, slot: PollSlot?) async throws(ReaderError) -> [Document] {
        let request = try request()
        let response = try await transport.get(request, endpoint: endpointText)
        return try documents(from: response, startedAtWallNanos: startedAtWallNanos, slot: slot)
    }

    // The request and the documents are made in functions never inlined into `read`, whose async
    // frame then stays under a task's slab of memory (see `ReaderError.getFailed`).

    @inline(never)
    private func request() throws(ReaderError) -> HTTPRequest {
        guard let url else { throw .noEndpoint(reader: name) }
        return state.withLock { state in
            transport.pollRequest(head: &state.requestHead) { head in
                HTTPRequest(
                    method: "GET", endpoint: url, headers: headers, timeout: timeout, maxResponseBytes: maxBodyBytes,
                    encodedHead: head)
            }
        }
    }

    @inline(never)
    private func documents(
        from response: HTTPResponse, startedAtWallNanos: Int64, slot: PollSlot?
    ) throws(ReaderError) -> [Document] {
        bytesRead.increment(by: Int64(response.body.count))
        guard (200..<300).contains(response.status) else {
            let preview = response.body.withUnsafeBytes { JSONError.preview($0, limit: 200) }
            throw ReaderError(
                code: "http_status",
                message: "GET \(endpointText) returned HTTP \(response.status); body starts with \(preview)")
        }
        return try documents(
            fromBody: response.body, startedAtWallNanos: startedAtWallNanos, slot: slot,
            context: "GET \(endpointText) returned HTTP \(response.status) with an unusable body")
    }

    /// The poll pipeline without HTTP: parse, flatten and encode `body` as if it had just been read
    /// (updates type-stability and GC state). Used by ``read(startedAtWallNanos:)`` and benchmarks.
    public func document(fromBody body: [UInt8], startedAtWallNanos: Int64) throws(ReaderError) -> Document {
        try documents(fromBody: body, startedAtWallNanos: startedAtWallNanos)[0]
    }

    /// Like ``document(fromBody:startedAtWallNanos:)``, with every document of the poll: the main one
    /// first, then one per entity when `split` is set (in payload order).
    public func documents(fromBody body: [UInt8], startedAtWallNanos: Int64) throws(ReaderError) -> [Document] {
        try documents(
            fromBody: body, startedAtWallNanos: startedAtWallNanos, slot: nil, context: "body of \(endpointText)")
    }

    /// `context` starts the message of a parse error (made only then); `slot`, when set, gives the
    /// documents slot-based ids.
    private func documents(
        fromBody body: [UInt8], startedAtWallNanos: Int64, slot: PollSlot?, context: @autoclosure () -> String
    ) throws(ReaderError) -> [Document] {
        let millis = Self.millis(startedAtWallNanos)
        let limits = self.limits
        let pool = scratch
        let preferred = preferredSlot
        let maxFields = self.maxFields
        let keyField = self.keyField
        let result: Result<Encoded, JSONError> = state.withLock { state in
            pool.withScratch(preferred: preferred) { scratch in
                scratch.scanner.limits = limits
                state.flattener.swapBuffers(&scratch.flattening)
                defer {
                    state.flattener.swapBuffers(&scratch.flattening)
                    state.flattener.compact()
                }
                let parsed: JSONError? = body.withUnsafeBytes { source in
                    do throws(JSONError) {
                        try scratch.scanner.parse(source, into: &scratch.tape)
                    } catch {
                        return error
                    }
                    if let pins = self.fieldPins {
                        let generation = pins.generation
                        if generation != state.appliedPins {
                            state.appliedPins = generation
                            state.flattener.apply(pins.pins(reader: self.name))
                        }
                    }
                    scratch.encoder.reset()
                    self.envelope.write(millis: millis, into: &scratch.encoder)
                    state.flattener.flatten(scratch.tape, source: source, into: &scratch.encoder)
                    return nil
                }
                if let parsed { return .failure(parsed) }
                swap(&scratch.encoder.cache, &state.fieldOrder)
                let envelopeFields = Document.envelopeFieldNames.count
                let outcome = scratch.encoder.finish(maxFields: maxFields + envelopeFields, pinned: envelopeFields)
                swap(&scratch.encoder.cache, &state.fieldOrder)
                state.flattener.count(.duplicate, outcome.duplicates)
                state.flattener.count(.conflict, outcome.conflicts)
                state.flattener.count(.budget, outcome.overBudget)
                var warning: String?
                if outcome.overBudget > 0, !state.budgetWarned {
                    state.budgetWarned = true
                    warning = Self.budgetWarning(outcome, maxFields: maxFields)
                }
                var documents: [(key: String, body: [UInt8])] = []
                let entities = state.flattener.entities
                if !entities.isEmpty {
                    body.withUnsafeBytes { source in
                        for entity in entities {
                            scratch.encoder.reset()
                            self.envelope.write(millis: millis, into: &scratch.encoder)
                            scratch.encoder.beginField(keyField)
                            JSONWriter.appendString(entity.key, to: &scratch.encoder.out)
                            scratch.encoder.endField()
                            state.flattener.flattenEntity(entity, scratch.tape, source: source, into: &scratch.encoder)
                            swap(&scratch.encoder.cache, &state.entityFieldOrder)
                            let pinned = envelopeFields + 1
                            let entityOutcome = scratch.encoder.finish(maxFields: maxFields + pinned, pinned: pinned)
                            swap(&scratch.encoder.cache, &state.entityFieldOrder)
                            state.flattener.count(.duplicate, entityOutcome.duplicates)
                            state.flattener.count(.conflict, entityOutcome.conflicts)
                            state.flattener.count(.budget, entityOutcome.overBudget)
                            if entityOutcome.overBudget > 0, !state.budgetWarned {
                                state.budgetWarned = true
                                warning = Self.budgetWarning(entityOutcome, maxFields: maxFields)
                            }
                            documents.append((entity.key, entityOutcome.body))
                        }
                    }
                }
                return .success(
                    Encoded(
                        body: outcome.body, dropped: state.flattener.dropped,
                        converted: state.flattener.uintConverted, budgetWarning: warning, entities: documents))
            }
        }
        switch result {
        case .failure(let error):
            throw ReaderError(code: Self.code(for: error), message: context() + ": " + error.message)
        case .success(let encoded):
            let dropped = encoded.dropped
            let converted = encoded.converted
            if let warning = encoded.budgetWarning { logger.warn(warning) }
            var total = 0
            for (reason, amount) in zip(DropReason.allCases, dropped) where amount > 0 {
                counters[1 + reason.rawValue].increment(by: Int64(amount))
                total += amount
            }
            if converted > 0 { uintConverted.increment(by: Int64(converted)) }
            if total > 0 {
                logger.debug(
                    "dropped \(Plural.count(total, "field"))",
                    Dictionary(
                        uniqueKeysWithValues: zip(DropReason.allCases, dropped).filter { $0.1 > 0 }.map {
                            ("dropped." + $0.0.label, String($0.1))
                        }))
            }
            var documents = [
                Document(
                    id: id(entity: nil, slot: slot, millis: millis),
                    timestampMillis: millis, reader: name, body: encoded.body)
            ]
            for entity in encoded.entities {
                documents.append(
                    Document(
                        id: id(entity: entity.key, slot: slot, millis: millis),
                        timestampMillis: millis, reader: name, body: entity.body))
            }
            return documents
        }
    }

    /// `document has 5,724 fields; budget 1,996; dropped 3,774 (…)`: said once per reader.
    private static func budgetWarning(_ outcome: DocumentEncoder.Outcome, maxFields: Int) -> String {
        let envelope = Document.envelopeFieldNames.count
        let first = outcome.firstOverBudget.map { "\"\($0)\"" } ?? "the largest object"
        return "document has \(grouped(outcome.mappingFields - envelope)) fields; budget \(grouped(maxFields)); "
            + "dropped \(grouped(outcome.overBudget)) (the last in sorted order, from \(first) on, every poll). "
            + "Keep what matters with include: or drop the rest with exclude:, make one document per entity "
            + "with split:, or raise max_fields (and the index's total_fields.limit)"
    }

    /// `5724` → `5,724`.
    private static func grouped(_ value: Int) -> String {
        let digits = Array(String(value.magnitude))
        var out = value < 0 ? "-" : ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return out
    }

    /// Slot-based when the poll is scheduled (``DocumentID/make(reader:endpoint:entity:slot:)``), else
    /// from the start time (`--once`, benchmarks).
    private func id(entity: String?, slot: PollSlot?, millis: Int64) -> String {
        if let slot { return DocumentID.make(reader: name, endpoint: endpointText, entity: entity, slot: slot) }
        return DocumentID.make(reader: name, endpoint: endpointText, entity: entity, timestampMillis: millis)
    }

    package static func millis(_ nanos: Int64) -> Int64 {
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
