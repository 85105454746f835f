import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

/// What the monitoring endpoint serves, as a plain request → response function (no sockets):
///
/// - `GET /debug/vars`: every metric of the registry as expvar-style JSON, plus `process` and `cmdline`
///   (naming: ``ExpvarEncoder``).
/// - `GET /metrics`: the same values in the Prometheus text exposition format 0.0.4 (naming:
///   ``PrometheusExposition``).
/// - `GET /healthz`: `{"status":"ok","components":{"reader.app1":"ok",…}}` from the health provider; the status
///   is the worst component's; 200 unless a component is ``ComponentHealth/down``, then 503.
/// - `GET /api/v1/collection?since=RFC3339&limit=N`: the raw samples as a JSON array, oldest first,
///   `[{"time":"2026-11-21T18:00:00.123Z","time_ns":…,"component":"reader.app1","kind":"poll",
///   "latency_ns":…,"outcome":"ok"}]`; at most `limit` (default 10,000, at most 100,000) with header
///   `X-Expvastic-Truncated: true` when more exist. No `since` means all retained samples.
/// - `GET /api/v1/collection/aggregate?window=60s`: `{"window":"60s","window_ns":…,"components":
///   {"reader.app1":{"count":…,"errors":…,"min_ns":…,"avg_ns":…,"p50_ns":…,"p95_ns":…,"p99_ns":…,
///   "max_ns":…}}}` (Go duration syntax, default 60s; percentiles: ``SampleCollection/Aggregate``).
///
/// - `GET /`: the status page (``StatusPage``): targets, recorders, discovery sources, pool members,
///   filtered, sorted and paged by the query (``StatusQuery``).
/// - `GET /api/v1/targets`: the same data and query as JSON (``StatusSnapshot/targetsJSON(page:query:rates:)``).
///
/// Bad `since`, `limit`, `window` or status query values get 400 with a message saying what to send.
public struct MonitoringRoutes: Sendable {
    /// Reports per-component health, keyed by component (`reader.app1`, `recorder.es`). Called on the server
    /// thread for every `/healthz` request: keep it cheap and non-blocking.
    public typealias HealthProvider = @Sendable () -> [String: ComponentHealth]
    /// Takes a ``StatusSnapshot`` for `/` and `/api/v1/targets`, on the server thread: keep it cheap.
    public typealias StatusProvider = @Sendable () -> StatusSnapshot

    /// Largest `limit` accepted by `/api/v1/collection`.
    public static let maxCollectionLimit = 100_000
    /// `limit` of `/api/v1/collection` when none is given.
    public static let defaultCollectionLimit = 10_000
    /// `window` of `/api/v1/collection/aggregate` when none is given.
    public static let defaultAggregateWindow: Duration = .seconds(60)

    public let metrics: MetricsRegistry
    public let samples: SampleCollection
    private let health: HealthProvider
    private let status: StatusProvider
    private let rates = RecorderRates()
    private let processStats: @Sendable () -> ProcessStats?
    private let commandLine: [String]

    /// - Parameters:
    ///   - metrics: the process's registry; read on every `/debug/vars` and `/metrics` request.
    ///   - samples: the raw samples behind `/api/v1/collection`.
    ///   - health: per-component health for `/healthz`; default reports no components (status ok).
    ///   - status: what the status page shows; default an empty snapshot.
    ///   - processStats: RSS and CPU; default reads `/proc` (tests pass fixed values).
    ///   - commandLine: published as `cmdline` in `/debug/vars`; default the process's arguments.
    public init(
        metrics: MetricsRegistry,
        samples: SampleCollection,
        health: @escaping HealthProvider = { [:] },
        status: @escaping StatusProvider = { StatusSnapshot(wallNanos: 0) },
        processStats: @escaping @Sendable () -> ProcessStats? = { ProcessStats.current() },
        commandLine: [String] = CommandLine.arguments
    ) {
        self.metrics = metrics
        self.samples = samples
        self.health = health
        self.status = status
        self.processStats = processStats
        self.commandLine = commandLine
    }

    /// Answers one `GET` or `HEAD` request.
    public func handle(_ request: HTTPServerRequest) -> HTTPServerResponse {
        switch request.path {
        case "/", "/api/v1/targets":
            return statusResponse(request)
        case "/debug/vars":
            let body = ExpvarEncoder.encode(
                snapshot: metrics.snapshot(), process: processStats(), commandLine: commandLine)
            return .json(200, body)
        case "/metrics":
            let text = PrometheusExposition.render(
                snapshot: metrics.snapshot(), process: processStats(), help: metrics.help(for:))
            return HTTPServerResponse(
                status: 200, headers: [("Content-Type", PrometheusExposition.contentType)], body: Array(text.utf8))
        case "/healthz":
            return healthResponse()
        case "/api/v1/collection":
            return collectionResponse(request)
        case "/api/v1/collection/aggregate":
            return aggregateResponse(request)
        default:
            return .text(
                404,
                "404 Not Found: \(request.path); try /, /api/v1/targets, /debug/vars, /metrics, /healthz, "
                    + "/api/v1/collection or /api/v1/collection/aggregate\n")
        }
    }

    private func statusResponse(_ request: HTTPServerRequest) -> HTTPServerResponse {
        let query: StatusQuery
        switch StatusQuery.parse(request) {
        case .success(let parsed): query = parsed
        case .failure(let error): return .text(400, "400 Bad Request: \(error.message)\n")
        }
        let snapshot = status()
        let page = query.apply(to: snapshot.targets)
        let rates = rates.observe(snapshot)
        if request.path == "/api/v1/targets" {
            return .json(200, Array(snapshot.targetsJSON(page: page, query: query, rates: rates).utf8))
        }
        let series = samples.latencies(of: Set(page.rows.map(\.component)))
        let html = StatusPage(snapshot: snapshot, query: query, series: series, rates: rates).render(page: page)
        return HTTPServerResponse(
            status: 200,
            headers: [
                ("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
            ],
            body: Array(html.utf8))
    }

    private func healthResponse() -> HTTPServerResponse {
        let components = health()
        let overall = components.values.max() ?? .ok
        var json = "{\"status\":" + JSONWriter.quoted(overall.rawValue) + ",\"components\":{"
        for (index, name) in components.keys.sorted().enumerated() {
            if index > 0 { json += "," }
            json += JSONWriter.quoted(name) + ":" + JSONWriter.quoted(components[name]!.rawValue)
        }
        json += "}}\n"
        return .json(overall == .down ? 503 : 200, Array(json.utf8))
    }

    private func collectionResponse(_ request: HTTPServerRequest) -> HTTPServerResponse {
        var since = Int64.min
        if let text = request.queryParameter("since") {
            guard let millis = RFC3339.parse(text) else {
                return .text(
                    400,
                    "400 Bad Request: since=\(text) is not an RFC 3339 time; send e.g. since=2026-11-21T18:00:00Z\n")
            }
            since = millis * 1_000_000
        }
        var limit = Self.defaultCollectionLimit
        if let text = request.queryParameter("limit") {
            guard let value = Int(text), (1...Self.maxCollectionLimit).contains(value) else {
                return .text(
                    400, "400 Bad Request: limit=\(text) must be a whole number from 1 to \(Self.maxCollectionLimit)\n")
            }
            limit = value
        }
        var found = samples.samples(sinceWallNanos: since, limit: limit + 1)
        let truncated = found.count > limit
        if truncated { found.removeLast() }
        var json = "["
        json.reserveCapacity(found.count * 140 + 2)
        for (index, sample) in found.enumerated() {
            if index > 0 { json += "," }
            json += "{\"time\":\"" + RFC3339.format(millis: Self.floorMillis(sample.wallNanos)) + "\",\"time_ns\":"
            json += String(sample.wallNanos) + ",\"component\":" + JSONWriter.quoted(sample.component)
            json += ",\"kind\":\"" + sample.kind.rawValue + "\",\"latency_ns\":" + String(sample.latencyNanos)
            json += ",\"outcome\":\"" + sample.outcome.rawValue + "\"}"
        }
        json += "]\n"
        var response = HTTPServerResponse.json(200, Array(json.utf8))
        if truncated { response.headers.append(("X-Expvastic-Truncated", "true")) }
        return response
    }

    private func aggregateResponse(_ request: HTTPServerRequest) -> HTTPServerResponse {
        var window = Self.defaultAggregateWindow
        var windowText = "60s"
        if let text = request.queryParameter("window") {
            guard let parsed = try? GoDuration.parse(text).get(), parsed > .zero else {
                return .text(
                    400,
                    "400 Bad Request: window=\(text) is not a positive Go duration; send e.g. window=60s, 5m or 1h30m\n"
                )
            }
            window = parsed
            windowText = text
        }
        var json = "{\"window\":" + JSONWriter.quoted(windowText) + ",\"window_ns\":" + String(window.nanoseconds)
        json += ",\"components\":{"
        for (index, aggregate) in samples.aggregate(window: window).enumerated() {
            if index > 0 { json += "," }
            json += JSONWriter.quoted(aggregate.component) + ":{\"count\":" + String(aggregate.count)
            json += ",\"errors\":" + String(aggregate.errors) + ",\"min_ns\":" + String(aggregate.minNanos)
            json +=
                ",\"avg_ns\":" + JSONWriter.numberOrNull(aggregate.avgNanos) + ",\"p50_ns\":"
                + String(aggregate.p50Nanos)
            json += ",\"p95_ns\":" + String(aggregate.p95Nanos) + ",\"p99_ns\":" + String(aggregate.p99Nanos)
            json += ",\"max_ns\":" + String(aggregate.maxNanos) + "}"
        }
        json += "}}\n"
        return .json(200, Array(json.utf8))
    }

    private static func floorMillis(_ nanos: Int64) -> Int64 {
        let millis = nanos / 1_000_000
        return nanos < 0 && nanos % 1_000_000 != 0 ? millis - 1 : millis
    }
}
