import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Scrapes a Prometheus text 0.0.4 or OpenMetrics 1.0 endpoint (`/metrics`) and turns each
/// response into documents: one per (label set, timestamp), the grouping Elastic's own Prometheus
/// integration uses, so that a dashboard can split by any label.
///
/// A document has the envelope (`@timestamp` = scrape start unless the samples carry their own
/// timestamp, `type`, `reader`, `endpoint`), one `labels.<name>` keyword per label and one double
/// per sample name (`http_requests_total`, `rpc_seconds_bucket` next to `labels.le`). The label-less
/// document at the scrape's time also carries `scrape.duration_seconds`, `scrape.samples` (finite
/// samples shipped), `scrape.series` (documents of the scrape, this one included),
/// `scrape.samples_dropped` and `scrape.lines_rejected`. `_id` comes from (reader, endpoint, sorted
/// label set, timestamp), so a re-sent scrape is a duplicate Elasticsearch refuses.
///
/// Dropped and counted (metric `samples_dropped`, label `reason`): NaN and ±Inf values
/// (`non_finite`, Elasticsearch refuses them), names removed by `include`/`exclude` (`excluded`),
/// sample lines over `max_series` (`series_limit`), a second value for the same name, label set
/// and timestamp (`duplicate`) and a metric whose name is also an object path of the document,
/// such as a metric called `labels` (`conflict`). Malformed lines are skipped and counted
/// (`lines_rejected`); the first one of a reader is logged once with its line number and text. A
/// body that is not the format at all (HTML, JSON, only malformed lines) is a ``ReaderError``.
///
/// The scrape document also carries, outside its body, every shipped sample name's metric type as
/// ``Document/fieldMeta`` (`prometheus_type`: the `# TYPE` of its family; `metric_type`: `counter`
/// or `gauge` as Elasticsearch's convention and a time-series mode use it, none for untyped); an
/// Elasticsearch recorder puts them into the index's mapping as field-level `meta`.
///
/// The request asks for OpenMetrics 1.0.0 first, then text 0.0.4 (``PrometheusFormat/acceptHeader``),
/// and for gzip (`Accept-Encoding: gzip`, as Prometheus does; unless `headers` sets its own
/// `Accept-Encoding`). A gzip answer is inflated to at most `max_body_bytes` (a larger one, such as
/// a gzip bomb, is a `decoded_body_too_large` read error); `max_body_bytes` also bounds the bytes
/// on the wire, and `bytes_read` counts those. Another `Content-Encoding` is an error that names it.
public final class PrometheusReader: Reader {
    /// What a reader reuses from one scrape to the next (buffers keep their capacity).
    package struct State: ~Copyable {
        package var scrape = PrometheusScrape()
        package var encoder = DocumentEncoder()
        package var grouping = SampleGrouping()
        /// `labels.` followed by the current label's name (scratch).
        package var key: [UInt8] = Array("labels.".utf8)
        /// The current document's entity, `{a="x",b="y"}` (scratch).
        package var entity: [UInt8] = []
        /// `@timestamp` of the last document, quoted, and its milliseconds.
        package var timestamp: [UInt8] = []
        package var timestampMillis: Int64?
        package var loggedRejection = false
        package var loggedSeriesLimit = false
        /// Index of the first sample of each run of shipped samples with one name (scratch).
        package var nameRuns: [Int] = []
        /// The metric types of the last scrape's shipped sample names, and a hash of the names and
        /// types they were made from: a scrape with the same names reuses the array as it is.
        package var fieldMeta: FieldMeta.List?
        package var fieldMetaHash: UInt64 = 0
        /// The GET's head as the transport encodes it, from the first scrape on (the same every scrape).
        package var requestHead: [UInt8]?
    }

    /// Samples dropped, by the `reason` label of `samples_dropped`.
    package enum Drop: Int, CaseIterable {
        case nonFinite, excluded, seriesLimit, duplicate, conflict

        package var label: String {
            switch self {
            case .nonFinite: "non_finite"
            case .excluded: "excluded"
            case .seriesLimit: "series_limit"
            case .duplicate: "duplicate"
            case .conflict: "conflict"
            }
        }
    }

    public let name: String
    private let configuration: ReaderConfiguration
    private let transport: any HTTPTransport
    private let clock: any TimeSource
    private let logger: Logger
    private let url: Endpoint?
    private let endpointText: String
    private let headers: [(name: String, value: String)]
    private let envelope: DocumentEnvelope
    private let idPrefix: DocumentID.Prefix
    private let limits: PrometheusParser.Limits
    private let include: [FieldGlob]
    private let exclude: [FieldGlob]
    private let bytesRead: Counter
    private let linesRejected: Counter
    private let samplesShipped: Counter
    private let series: Gauge
    private let dropCounters: [Counter]
    private let state: Mutex<State>

    /// Makes a reader for `configuration` (of kind `prometheus`). `clock` times the scrape
    /// (`scrape.duration_seconds`); `metrics` receives the counters `bytes_read` (as on the wire,
    /// compressed or not), `samples_shipped`, `lines_rejected` and `samples_dropped{reason}` and the
    /// gauge `series` (documents of the last scrape), all with label `reader`; `logger` gets the
    /// first malformed line.
    public init(
        configuration: ReaderConfiguration, transport: any HTTPTransport, clock: any TimeSource,
        metrics: any MetricsFactory, logger: Logger
    ) {
        self.name = configuration.name
        self.configuration = configuration
        self.transport = transport
        self.clock = clock
        self.logger = logger
        self.url = configuration.url
        self.endpointText = configuration.url?.description ?? ""
        var headers = configuration.requestHeaders(defaultAccept: PrometheusFormat.acceptHeader)
        if !headers.contains(where: { $0.name.lowercased() == "accept-encoding" }) {
            headers.append((name: "Accept-Encoding", value: HTTPResponse.acceptEncodingGzip))
        }
        self.headers = headers
        self.envelope = DocumentEnvelope(
            type: configuration.typeName, reader: configuration.name, endpoint: endpointText)
        self.idPrefix = DocumentID.Prefix(reader: configuration.name, endpoint: endpointText)
        self.limits = PrometheusParser.Limits(
            maxSeries: max(configuration.prometheus.maxSeries, 0),
            maxLabels: max(configuration.prometheus.maxLabels, 0),
            maxLabelValueBytes: max(configuration.prometheus.maxLabelValueBytes, 0))
        self.include = configuration.include.map(FieldGlob.init)
        self.exclude = configuration.exclude.map(FieldGlob.init)
        let reader = MetricKey.Label("reader", configuration.name)
        self.bytesRead = metrics.counter(MetricKey("bytes_read", labels: [reader]))
        self.linesRejected = metrics.counter(MetricKey("lines_rejected", labels: [reader]))
        self.samplesShipped = metrics.counter(MetricKey("samples_shipped", labels: [reader]))
        self.series = metrics.gauge(MetricKey("series", labels: [reader]))
        self.dropCounters = Drop.allCases.map {
            metrics.counter(MetricKey("samples_dropped", labels: [reader, MetricKey.Label("reason", $0.label)]))
        }
        self.state = Mutex(State())
    }

    /// GETs the endpoint once and returns the scrape's documents, stamped with `startedAtWallNanos`
    /// unless a sample carries its own timestamp.
    public func read(startedAtWallNanos: Int64) async throws(ReaderError) -> [Document] {
        let request = try request()
        let started = clock.monotonicNanos()
        let response = try await transport.get(request, endpoint: endpointText)
        let duration = clock.monotonicNanos() &- started
        return try documents(from: response, startedAtWallNanos: startedAtWallNanos, durationNanos: duration)
    }

    /// Never inlined into `read`, as the documents are not (see `ReaderError.getFailed`).
    @inline(never)
    private func request() throws(ReaderError) -> HTTPRequest {
        guard let url else { throw .noEndpoint(reader: name) }
        return state.withLock { state in
            transport.pollRequest(head: &state.requestHead) { head in
                HTTPRequest(
                    method: "GET", endpoint: url, headers: headers, timeout: configuration.timeout,
                    maxResponseBytes: configuration.maxBodyBytes, encodedHead: head)
            }
        }
    }

    @inline(never)
    private func documents(
        from response: HTTPResponse, startedAtWallNanos: Int64, durationNanos: UInt64
    ) throws(ReaderError) -> [Document] {
        bytesRead.increment(by: Int64(response.body.count))
        guard (200..<300).contains(response.status) else {
            let preview = response.body.withUnsafeBytes { JSONError.preview($0, limit: 200) }
            throw ReaderError(
                code: "http_status",
                message: "GET \(endpointText) returned HTTP \(response.status); body starts with \(preview)")
        }
        let body: [UInt8]
        do {
            body = try response.decodedBody(limit: configuration.maxBodyBytes)
        } catch {
            throw ReaderError(code: error.code, message: "GET \(endpointText): \(error)")
        }
        return try documents(
            fromBody: body, contentType: response.header("Content-Type"),
            startedAtWallNanos: startedAtWallNanos, durationNanos: durationNanos,
            context: "GET \(endpointText) returned HTTP \(response.status)")
    }

    /// The scrape pipeline without HTTP: parse, group and encode `body` as if it had just been read
    /// with `contentType`, taking `durationNanos`. Used by ``read(startedAtWallNanos:)``, tests and
    /// benchmarks.
    public func documents(
        fromBody body: [UInt8], contentType: String?, startedAtWallNanos: Int64, durationNanos: UInt64 = 0
    ) throws(ReaderError) -> [Document] {
        try documents(
            fromBody: body, contentType: contentType, startedAtWallNanos: startedAtWallNanos,
            durationNanos: durationNanos, context: "body of \(endpointText)")
    }

    private struct Outcome {
        package var documents: [Document] = []
        package var dropped = [Int](repeating: 0, count: Drop.allCases.count)
        package var rejected = 0
        package var shipped = 0
        package var rejection: PrometheusScrape.Rejection?
        package var notTheFormat: String?
        package var logSeriesLimit = false
    }

    private func documents(
        fromBody body: [UInt8], contentType: String?, startedAtWallNanos: Int64, durationNanos: UInt64,
        context: @autoclosure () -> String
    ) throws(ReaderError) -> [Document] {
        let millis = ExpvarReader.millis(startedAtWallNanos)
        let outcome: Outcome = state.withLock { state in
            var outcome = Outcome()
            body.withUnsafeBytes { source in
                if let problem = Self.notTheFormat(source) {
                    outcome.notTheFormat = problem
                    return
                }
                let format = PrometheusFormat.detect(contentType: contentType, body: source)
                PrometheusParser.parse(source, format: format, limits: limits, into: &state.scrape)
            }
            if outcome.notTheFormat != nil { return outcome }
            if state.scrape.linesAccepted == 0, state.scrape.linesRejected > 0 {
                let first = state.scrape.firstRejection
                outcome.notTheFormat =
                    "not one line of the body is in the Prometheus text format (line \(first?.line ?? 1): "
                    + "\(first?.reason ?? "malformed"): \(first?.preview ?? "")); check endpoint and routepath"
                return outcome
            }
            outcome.rejected = state.scrape.linesRejected
            if !state.loggedRejection, let rejection = state.scrape.firstRejection {
                state.loggedRejection = true
                outcome.rejection = rejection
            }
            outcome.dropped[Drop.seriesLimit.rawValue] = state.scrape.samplesOverLimit
            if state.scrape.samplesOverLimit > 0, !state.loggedSeriesLimit {
                state.loggedSeriesLimit = true
                outcome.logSeriesLimit = true
            }
            encode(&state, millis: millis, durationNanos: durationNanos, into: &outcome)
            return outcome
        }
        if let problem = outcome.notTheFormat {
            throw ReaderError(code: "not_prometheus", message: context() + ": " + problem)
        }
        if outcome.rejected > 0 { linesRejected.increment(by: Int64(outcome.rejected)) }
        samplesShipped.increment(by: Int64(outcome.shipped))
        series.set(Double(outcome.documents.count))
        for (drop, amount) in zip(Drop.allCases, outcome.dropped) where amount > 0 {
            dropCounters[drop.rawValue].increment(by: Int64(amount))
        }
        if let rejection = outcome.rejection {
            logger.warn(
                "skipping malformed lines of \(endpointText) (counted in lines_rejected); the first is line "
                    + "\(rejection.line): \(rejection.reason): \(rejection.preview)",
                ["reader.name": name])
        }
        if outcome.logSeriesLimit {
            logger.warn(
                "\(endpointText) exposes more than \(limits.maxSeries) series (max_series); the rest are dropped "
                    + "and counted in samples_dropped{reason=\"series_limit\"}",
                ["reader.name": name])
        }
        return outcome.documents
    }

    /// HTML, JSON and binary bodies are not an exposition at all; say what the body looks like.
    private static func notTheFormat(_ body: UnsafeRawBufferPointer) -> String? {
        var i = 0
        while i < body.count, body[i] == 0x20 || body[i] == 0x09 || body[i] == 0x0A || body[i] == 0x0D { i += 1 }
        guard i < body.count else { return nil }
        let what: String
        switch body[i] {
        case UInt8(ascii: "<"): what = "HTML or XML"
        case UInt8(ascii: "{"), UInt8(ascii: "["): what = "JSON (an expvar page? use type: expvar)"
        case 0x1F where i + 1 < body.count && body[i + 1] == 0x8B: what = "gzip data"
        default: return nil
        }
        return "the body is \(what), not the Prometheus text format; it starts with "
            + JSONError.preview(UnsafeRawBufferPointer(rebasing: body[i...]), limit: 120)
            + " (check endpoint and routepath)"
    }

    /// Groups the parsed samples by (label set, timestamp) and encodes one document per group.
    private func encode(_ state: inout State, millis: Int64, durationNanos: UInt64, into outcome: inout Outcome) {
        let scrape = state.scrape
        state.grouping.reset(capacity: scrape.samples.count + 1)
        // The label-less group at the scrape's time always exists: it carries `scrape.*`.
        _ = state.grouping.group(labelStart: 0, labelCount: 0, timestamp: millis, in: scrape)
        var shipped = 0
        state.nameRuns.removeAll(keepingCapacity: true)
        var metaHash: UInt64 = 0xcbf2_9ce4_8422_2325
        var lastShippedName = PrometheusScrape.Span(start: 0, end: 0)
        var lastName = PrometheusScrape.Span(start: -1, end: -1)
        var lastNameKept = true
        let filtering = !include.isEmpty || !exclude.isEmpty
        for index in scrape.samples.indices {
            let sample = scrape.samples[index]
            guard sample.value.isFinite else {
                outcome.dropped[Drop.nonFinite.rawValue] += 1
                continue
            }
            if filtering {
                if sample.name != lastName {
                    let name = Array(scrape.text[Int(sample.name.start)..<Int(sample.name.end)])
                    lastNameKept =
                        (include.isEmpty || include.contains { $0.matches(name) })
                        && !exclude.contains { $0.matches(name) }
                    lastName = sample.name
                }
                if !lastNameKept {
                    outcome.dropped[Drop.excluded.rawValue] += 1
                    continue
                }
            }
            let group = state.grouping.group(
                labelStart: Int(sample.labelStart), labelCount: Int(sample.labelCount),
                timestamp: sample.timestampMillis ?? millis, in: scrape)
            state.grouping.add(sample: index, to: group)
            shipped += 1
            if !Self.sameBytes(sample.name, lastShippedName, in: scrape.text) {
                lastShippedName = sample.name
                state.nameRuns.append(index)
                metaHash = Self.mix(metaHash, sample: sample, in: scrape)
            }
        }
        if metaHash != state.fieldMetaHash {
            let list = Self.fieldMeta(runs: state.nameRuns, scrape: scrape)
            state.fieldMeta = list.isEmpty ? nil : FieldMeta.List(list)
            state.fieldMetaHash = metaHash
        }
        let series = state.grouping.groups.count
        outcome.shipped = shipped
        var rejectedBefore = [Int](repeating: 0, count: 2)
        outcome.documents.reserveCapacity(series)
        scrape.text.withUnsafeBytes { text in
            for (groupIndex, group) in state.grouping.groups.enumerated() {
                state.encoder.reset()
                if state.timestampMillis != group.timestamp {
                    state.timestamp.removeAll(keepingCapacity: true)
                    RFC3339.appendQuoted(millis: group.timestamp, to: &state.timestamp)
                    state.timestampMillis = group.timestamp
                }
                state.timestamp.withUnsafeBytes { envelope.write(quotedTimestamp: $0, into: &state.encoder) }
                state.entity.removeAll(keepingCapacity: true)
                state.entity.append(UInt8(ascii: "{"))
                for k in group.labelStart..<(group.labelStart + group.labelCount) {
                    let label = scrape.labels[k]
                    let name = UnsafeRawBufferPointer(rebasing: text[Int(label.name.start)..<Int(label.name.end)])
                    let value = UnsafeRawBufferPointer(rebasing: text[Int(label.value.start)..<Int(label.value.end)])
                    state.key.removeLast(state.key.count - 7)
                    state.key.append(bytes: name)
                    state.key.withUnsafeBytes { state.encoder.beginField(escapedKey: $0) }
                    let valueStart = state.encoder.out.count
                    state.encoder.out.append(0x22)
                    JSONWriter.appendEscaped(value, to: &state.encoder.out)
                    state.encoder.out.append(0x22)
                    state.encoder.endField()
                    // The entity is the sorted label set as Prometheus writes it, `{a="x",b="y"}`,
                    // the values escaped as in the body just written.
                    if k > group.labelStart { state.entity.append(UInt8(ascii: ",")) }
                    state.entity.append(bytes: name)
                    state.entity.append(UInt8(ascii: "="))
                    state.encoder.out.withUnsafeBytes {
                        state.entity.append(bytes: UnsafeRawBufferPointer(rebasing: $0[valueStart...]))
                    }
                }
                state.entity.append(UInt8(ascii: "}"))
                var member = group.first
                while member >= 0 {
                    let sample = scrape.samples[member]
                    state.encoder.beginField(
                        escapedKey: UnsafeRawBufferPointer(
                            rebasing: text[Int(sample.name.start)..<Int(sample.name.end)]))
                    JSONWriter.appendDouble(sample.value, to: &state.encoder.out)
                    state.encoder.endField()
                    member = state.grouping.next[member]
                }
                if groupIndex == 0 {
                    let dropped = outcome.dropped.reduce(0, +)
                    writeScrapeFields(
                        durationNanos: durationNanos, samples: shipped, series: series, dropped: dropped,
                        rejected: scrape.linesRejected, into: &state.encoder)
                }
                let finished = state.encoder.finish()
                let body = finished.body
                rejectedBefore[0] += finished.duplicates
                rejectedBefore[1] += finished.conflicts
                let id = state.entity.withUnsafeBytes {
                    idPrefix.make(entity: group.labelCount == 0 ? nil : $0, timestampMillis: group.timestamp)
                }
                outcome.documents.append(
                    Document(
                        id: id, timestampMillis: group.timestamp, reader: name, body: body,
                        fieldMetaList: groupIndex == 0 ? state.fieldMeta : nil))
            }
        }
        outcome.dropped[Drop.duplicate.rawValue] += rejectedBefore[0]
        outcome.dropped[Drop.conflict.rawValue] += rejectedBefore[1]
    }

    /// Whether two spans of `text` hold the same bytes.
    @inline(__always) private static func sameBytes(
        _ a: PrometheusScrape.Span, _ b: PrometheusScrape.Span, in text: [UInt8]
    ) -> Bool {
        guard a.count == b.count else { return false }
        return text.withUnsafeBytes { bytes in
            a.count == 0 || memcmp(bytes.baseAddress! + Int(a.start), bytes.baseAddress! + Int(b.start), a.count) == 0
        }
    }

    /// FNV-1a over a sample's name and type, folded into `hash`.
    private static func mix(_ hash: UInt64, sample: PrometheusScrape.Sample, in scrape: PrometheusScrape) -> UInt64 {
        var hash = hash
        scrape.text.withUnsafeBytes { bytes in
            for k in Int(sample.name.start)..<Int(sample.name.end) {
                hash = (hash ^ UInt64(bytes[k])) &* 0x0000_0100_0000_01B3
            }
        }
        hash = (hash ^ (UInt64(sample.type.rawValue) | 0x100)) &* 0x0000_0100_0000_01B3
        return hash
    }

    /// Envelope and object names a metric may be called but that are not its field (the encoder
    /// drops such a sample as a duplicate or conflict), so they get no mapping metadata.
    private static let notMetricFields: Set<String> = ["type", "reader", "endpoint", "labels", "scrape"]

    /// One ``FieldMeta`` per distinct sample name of `runs` (the first sample of each name run).
    private static func fieldMeta(runs: [Int], scrape: PrometheusScrape) -> [FieldMeta] {
        var seen = Set<String>()
        var result: [FieldMeta] = []
        for index in runs {
            let sample = scrape.samples[index]
            let field = scrape.name(of: sample)
            guard !notMetricFields.contains(field), seen.insert(field).inserted else { continue }
            var entries = [FieldMeta.Entry("prometheus_type", sample.type.label)]
            if let kind = metricType(of: sample, named: field, in: scrape) {
                entries.append(FieldMeta.Entry("metric_type", kind))
            }
            result.append(FieldMeta(field: field, mappingType: "double", entries: entries))
        }
        return result
    }

    /// Elasticsearch's `metric_type` of a sample: `counter` for what only goes up (a counter's
    /// `_total`, a histogram's `_bucket`/`_sum`/`_count`, a summary's `_sum`/`_count`), `gauge` for
    /// the rest (gauges, quantiles, gauge histograms, info and stateset values, `_created`
    /// timestamps), none for untyped samples.
    package static func metricType(
        of sample: PrometheusScrape.Sample, named field: String, in scrape: PrometheusScrape
    ) -> String? {
        switch sample.type {
        case .untyped: return nil
        case .gauge, .gaugeHistogram, .info, .stateset: return "gauge"
        case .counter, .histogram: return field.hasSuffix("_created") ? "gauge" : "counter"
        case .summary:
            let quantile = scrape.labels(of: sample).contains { $0.name == "quantile" }
            return !quantile && (field.hasSuffix("_sum") || field.hasSuffix("_count")) ? "counter" : "gauge"
        }
    }

    private func writeScrapeFields(
        durationNanos: UInt64, samples: Int, series: Int, dropped: Int, rejected: Int,
        into encoder: inout DocumentEncoder
    ) {
        encoder.beginField("scrape.duration_seconds")
        JSONWriter.appendDouble(Double(durationNanos) / 1e9, to: &encoder.out)
        encoder.endField()
        for (key, value) in [
            ("scrape.samples", samples), ("scrape.series", series), ("scrape.samples_dropped", dropped),
            ("scrape.lines_rejected", rejected),
        ] {
            encoder.beginField(key)
            JSONWriter.appendInt(Int64(value), to: &encoder.out)
            encoder.endField()
        }
    }
}
