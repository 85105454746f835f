import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

@Suite struct PrometheusReaderTests {
    static let start = ReaderHarness.start
    static let startMillis = start / 1_000_000

    static func configuration(include: [String] = [], exclude: [String] = []) -> ReaderConfiguration {
        var configuration = ReaderConfiguration(
            name: "node", kind: .prometheus, typeName: "prometheus",
            url: try? Endpoint.parse("localhost:9100/metrics").get())
        configuration.include = include
        configuration.exclude = exclude
        configuration.timeout = .seconds(3)
        return configuration
    }

    static func reader(
        _ configuration: ReaderConfiguration = configuration(), transport: any HTTPTransport = FakeTransport(),
        handler: InMemoryLogHandler? = nil
    ) -> (PrometheusReader, MetricsRegistry) {
        let metrics = MetricsRegistry()
        let logger = Logger(component: "test", level: .info, handler: handler ?? InMemoryLogHandler())
        let reader = PrometheusReader(
            configuration: configuration, transport: transport, clock: ManualClock(), metrics: metrics, logger: logger)
        return (reader, metrics)
    }

    static func counter(_ metrics: MetricsRegistry, _ name: String, reason: String? = nil) -> Int64 {
        var labels = [MetricKey.Label("reader", "node")]
        if let reason { labels.append(MetricKey.Label("reason", reason)) }
        if case .counter(let value)? = metrics.value(MetricKey(name, labels: labels)) { return value }
        return -1
    }

    static func documents(_ reader: PrometheusReader, _ body: String, contentType: String? = nil) throws -> [[String:
        Any]]
    {
        try reader.documents(fromBody: Array(body.utf8), contentType: contentType, startedAtWallNanos: start)
            .map(ReaderHarness.fields)
    }

    @Test func oneDocumentPerLabelSetWithLabelsAndOneDoublePerSampleName() throws {
        let (reader, metrics) = Self.reader()
        let body = """
            # TYPE http_requests_total counter
            http_requests_total{code="200",method="get"} 10
            http_requests_total{code="500",method="get"} 2
            http_request_bytes_total{method="get",code="200"} 2048
            # TYPE latency histogram
            latency_bucket{le="0.1"} 1
            latency_bucket{le="+Inf"} 4
            latency_sum 0.75
            latency_count 4
            go_goroutines 12
            temperature NaN
            """
        let documents = try reader.documents(
            fromBody: Array(body.utf8), contentType: "text/plain; version=0.0.4", startedAtWallNanos: Self.start,
            durationNanos: 250_000_000)
        let fields = try documents.map(ReaderHarness.fields)
        #expect(fields.count == 5)
        // The label-less document at the scrape's time comes first and carries scrape.*.
        let scrape = fields[0]
        #expect(scrape["latency_sum"] as? Double == 0.75)
        #expect(scrape["latency_count"] as? Double == 4)
        #expect(scrape["go_goroutines"] as? Double == 12)
        #expect(scrape["temperature"] == nil)
        #expect(scrape["scrape.duration_seconds"] as? Double == 0.25)
        #expect(scrape["scrape.samples"] as? Int == 8)
        #expect(scrape["scrape.series"] as? Int == 5)
        #expect(scrape["scrape.samples_dropped"] as? Int == 1)
        #expect(scrape["scrape.lines_rejected"] as? Int == 0)
        #expect(scrape["type"] as? String == "prometheus")
        #expect(scrape["reader"] as? String == "node")
        #expect(scrape["endpoint"] as? String == "http://localhost:9100/metrics")
        #expect(scrape["@timestamp"] as? String == "2026-11-21T18:00:00.123Z")
        #expect(!scrape.keys.contains { $0.hasPrefix("labels.") })
        // Two samples with the same labels (in another order) share a document.
        let ok = fields[1]
        #expect(ok["labels.code"] as? String == "200")
        #expect(ok["labels.method"] as? String == "get")
        #expect(ok["http_requests_total"] as? Double == 10)
        #expect(ok["http_request_bytes_total"] as? Double == 2048)
        #expect(fields[2]["labels.code"] as? String == "500")
        #expect(fields[3]["labels.le"] as? String == "0.1")
        #expect(fields[3]["latency_bucket"] as? Double == 1)
        #expect(fields[4]["labels.le"] as? String == "+Inf")
        // Every value is written as a double, so no field can flip between long and double.
        let text = String(decoding: documents[1].body, as: UTF8.self)
        #expect(text.contains(#""http_requests_total":10.0"#))
        #expect(Set(documents.map(\.id)).count == 5)
        #expect(Self.counter(metrics, "samples_dropped", reason: "non_finite") == 1)
    }

    @Test func idsAreDeterministicFromTheSortedLabelSetAndTimestamp() throws {
        let (reader, _) = Self.reader()
        let a = try reader.documents(
            fromBody: Array(#"m{b="2",a="1"} 1"#.utf8), contentType: nil, startedAtWallNanos: Self.start)
        let b = try reader.documents(
            fromBody: Array("m{a=\"1\",b=\"2\"} 7\n".utf8), contentType: nil, startedAtWallNanos: Self.start)
        #expect(a.map(\.id) == b.map(\.id))
        #expect(
            a[1].id
                == DocumentID.make(
                    reader: "node", endpoint: "http://localhost:9100/metrics", entity: #"{a="1",b="2"}"#,
                    timestampMillis: Self.startMillis))
        #expect(
            a[0].id
                == DocumentID.make(
                    reader: "node", endpoint: "http://localhost:9100/metrics", timestampMillis: Self.startMillis))
        let later = try reader.documents(
            fromBody: Array(#"m{b="2",a="1"} 1"#.utf8), contentType: nil, startedAtWallNanos: Self.start + 1_000_000)
        #expect(later[1].id != a[1].id)
    }

    @Test func samplesWithTheirOwnTimestampGetTheirOwnDocument() throws {
        let (reader, _) = Self.reader()
        let documents = try reader.documents(
            fromBody: Array("a 1 1395066363000\nb 2\nc{x=\"y\"} 3 1395066363000\n".utf8), contentType: nil,
            startedAtWallNanos: Self.start)
        #expect(documents.map(\.timestampMillis) == [Self.startMillis, 1_395_066_363_000, 1_395_066_363_000])
        let fields = try documents.map(ReaderHarness.fields)
        #expect(fields[0]["b"] as? Double == 2)
        #expect(fields[1]["a"] as? Double == 1)
        #expect(fields[1]["@timestamp"] as? String == "2014-03-17T14:26:03.000Z")
        // OpenMetrics timestamps are seconds.
        let om = try reader.documents(
            fromBody: Array("a 1 1395066363.5\n# EOF\n".utf8), contentType: nil, startedAtWallNanos: Self.start)
        #expect(om.map(\.timestampMillis) == [Self.startMillis, 1_395_066_363_500])
    }

    @Test func includeAndExcludeMatchMetricNames() throws {
        let (reader, metrics) = Self.reader(Self.configuration(include: ["node_*"], exclude: ["node_cpu_*"]))
        let fields = try Self.documents(reader, "node_load1 1\nnode_cpu_seconds_total 2\ngo_goroutines 3\n")
        #expect(fields[0]["node_load1"] as? Double == 1)
        #expect(fields[0]["node_cpu_seconds_total"] == nil)
        #expect(fields[0]["go_goroutines"] == nil)
        #expect(Self.counter(metrics, "samples_dropped", reason: "excluded") == 2)
    }

    @Test func namesThatCollideWithTheEnvelopeOrLabelsAreDroppedAndCounted() throws {
        let (reader, metrics) = Self.reader()
        let fields = try Self.documents(reader, "reader 1\nlabels 2\nok 3\nok 4\nx{labels=\"q\"} 5\n")
        #expect(fields[0]["reader"] as? String == "node")
        #expect(fields[0]["ok"] as? Double == 3)
        #expect(fields[1]["labels.labels"] as? String == "q")
        #expect(Self.counter(metrics, "samples_dropped", reason: "duplicate") == 2)
        // `labels` (a value) next to `labels.labels` would be a mapping conflict in the same document only.
        #expect(fields[0]["labels"] as? Double == 2)
    }

    @Test func malformedLinesShipTheRestAndTheFirstIsLoggedOnce() throws {
        let handler = InMemoryLogHandler()
        let (reader, metrics) = Self.reader(handler: handler)
        for _ in 0..<3 {
            let fields = try Self.documents(reader, "a 1\nb{ 2\nc 3\n")
            #expect(fields[0]["a"] as? Double == 1)
            #expect(fields[0]["c"] as? Double == 3)
            #expect(fields[0]["scrape.lines_rejected"] as? Int == 1)
        }
        #expect(Self.counter(metrics, "lines_rejected") == 3)
        let warnings = handler.records.filter { $0.level == .warn }
        #expect(warnings.count == 1)
        #expect(warnings.first?.message.contains(#"line 2: invalid label name: "b{ 2""#) == true)
    }

    @Test(arguments: [
        ("<html><body>login</body></html>", "HTML"),
        (#"{"memstats": {}}"#, "JSON"),
        ("this is not\nmetrics at all\n", "not one line"),
    ])
    func bodiesThatAreNotTheFormatAreReadErrors(body: String, says: String) async throws {
        let (reader, _) = Self.reader(transport: FakeTransport(status: 200, body: body))
        do {
            _ = try await reader.read(startedAtWallNanos: Self.start)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == "not_prometheus")
            #expect(error.message.contains(says))
            #expect(error.message.contains("http://localhost:9100/metrics"))
        }
    }

    @Test func requestAsksForOpenMetricsThenTextAndForGzip() async throws {
        let transport = FakeTransport(status: 200, body: "up 1\n")
        let (reader, _) = Self.reader(transport: transport)
        let documents = try await reader.read(startedAtWallNanos: Self.start)
        #expect(try ReaderHarness.fields(documents[0])["up"] as? Double == 1)
        let request = try #require(transport.requests.first)
        #expect(request.path == "/metrics")
        #expect(request.headers.first { $0.name == "Accept" }?.value == PrometheusFormat.acceptHeader)
        #expect(request.headers.filter { $0.name.lowercased() == "accept-encoding" }.map(\.value) == ["gzip"])
    }

    @Test func theRequestHeadIsEncodedOnceAndSentWithEveryScrape() async throws {
        let transport = FakeTransport(
            [.success(HTTPResponse(status: 200, body: Array("up 1\n".utf8)))], encodesHeads: true)
        let (reader, _) = Self.reader(transport: transport)
        for scrape in 0..<3 {
            _ = try await reader.read(startedAtWallNanos: Self.start + Int64(scrape) * 1_000_000_000)
        }
        #expect(transport.headsEncodedCount == 1)
        #expect(transport.requests.map(\.encodedHead) == Array(repeating: Array("GET /metrics".utf8), count: 3))
    }

    @Test func configuredAcceptEncodingIsKept() async throws {
        var configuration = Self.configuration()
        configuration.headers = ["Accept-Encoding": Secret("identity")]
        let transport = FakeTransport(status: 200, body: "up 1\n")
        let (reader, _) = Self.reader(configuration, transport: transport)
        _ = try await reader.read(startedAtWallNanos: Self.start)
        let request = try #require(transport.requests.first)
        #expect(request.headers.filter { $0.name.lowercased() == "accept-encoding" }.map(\.value) == ["identity"])
    }

    @Test func aGzipAnswerIsInflatedAndBytesReadCountsTheWire() async throws {
        let body = Array((0..<200).map { "requests_total{path=\"/p\($0)\"} \($0)\n" }.joined().utf8)
        let compressed = try Gzip.compress(body)
        let transport = FakeTransport([
            .success(HTTPResponse(status: 200, headers: [("Content-Encoding", "gzip")], body: compressed))
        ])
        let (reader, metrics) = Self.reader(transport: transport)
        let documents = try await reader.read(startedAtWallNanos: Self.start)
        #expect(documents.count == 201)
        let fields = try documents.map(ReaderHarness.fields)
        #expect(fields[0]["scrape.samples"] as? Int == 200)
        #expect(fields[200]["requests_total"] as? Double == 199)
        #expect(Self.counter(metrics, "bytes_read") == Int64(compressed.count))
        #expect(compressed.count < body.count / 4)
    }

    @Test(arguments: [
        // The bomb's 2 MB are made in the test: a 2 MB argument is printed by the test runner, which
        // held a cooperative thread for seconds and made other tests time out.
        ("gzip", [], "decoded_body_too_large", "inflates to more than 1000000"),
        ("gzip", Array("up 1\n".utf8), "corrupt_gzip", "cannot be decoded"),
        ("br", Array("up 1\n".utf8), "unsupported_encoding", "Content-Encoding: br"),
    ])
    func anUndecodableAnswerIsAClearError(encoding: String, plain: [UInt8], code: String, says: String) async throws {
        var configuration = Self.configuration()
        configuration.maxBodyBytes = 1_000_000
        // A gzip bomb: 2 MB of zeros is about 2 KB compressed, inflated only up to max_body_bytes.
        let body =
            code == "decoded_body_too_large"
            ? try Gzip.compress([UInt8](repeating: 0, count: 2_000_000), level: 9) : plain
        let transport = FakeTransport([
            .success(HTTPResponse(status: 200, headers: [("Content-Encoding", encoding)], body: body))
        ])
        let (reader, _) = Self.reader(configuration, transport: transport)
        do {
            _ = try await reader.read(startedAtWallNanos: Self.start)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == code)
            #expect(error.message.contains(says))
            #expect(error.message.contains("http://localhost:9100/metrics"))
        }
    }

    /// Every shipped sample name's type, on the scrape document only; untyped samples have no
    /// `metric_type`, NaN-only and excluded names none at all.
    @Test func theScrapeDocumentCarriesEachSampleNamesMetricType() throws {
        let (reader, metrics) = Self.reader(Self.configuration(exclude: ["skipped_*"]))
        let body = """
            # TYPE requests counter
            requests_total{code="200"} 10
            requests_total{code="500"} 2
            requests_created{code="200"} 1.7e9
            # TYPE temperature gauge
            temperature 21.5
            # TYPE latency histogram
            latency_bucket{le="0.1"} 1
            latency_bucket{le="+Inf"} 4
            latency_sum 0.75
            latency_count 4
            # TYPE rpc summary
            rpc{quantile="0.5"} 0.2
            rpc_sum 3
            rpc_count 9
            # TYPE queue gaugehistogram
            queue_bucket{le="+Inf"} 3
            queue_gcount 3
            queue_gsum 7
            # TYPE build info
            build_info{version="1.2"} 1
            # TYPE state stateset
            state{state="up"} 1
            untyped_thing 5
            # TYPE only_nan gauge
            only_nan NaN
            # TYPE skipped_total counter
            skipped_total 1
            # EOF
            """
        let documents = try reader.documents(
            fromBody: Array(body.utf8), contentType: "application/openmetrics-text; version=1.0.0",
            startedAtWallNanos: Self.start)
        #expect(documents.dropFirst().allSatisfy { $0.fieldMeta.isEmpty })
        var types: [String: [String: String]] = [:]
        for meta in documents[0].fieldMeta {
            #expect(meta.mappingType == "double")
            #expect(types[meta.field] == nil, "\(meta.field) twice")
            types[meta.field] = Dictionary(uniqueKeysWithValues: meta.entries.map { ($0.key, $0.value) })
        }
        let expected: [String: (String, String?)] = [
            "requests_total": ("counter", "counter"), "requests_created": ("counter", "gauge"),
            "temperature": ("gauge", "gauge"), "latency_bucket": ("histogram", "counter"),
            "latency_sum": ("histogram", "counter"), "latency_count": ("histogram", "counter"),
            "rpc": ("summary", "gauge"), "rpc_sum": ("summary", "counter"), "rpc_count": ("summary", "counter"),
            "queue_bucket": ("gaugehistogram", "gauge"), "queue_gcount": ("gaugehistogram", "gauge"),
            "queue_gsum": ("gaugehistogram", "gauge"), "build_info": ("info", "gauge"),
            "state": ("stateset", "gauge"), "untyped_thing": ("untyped", nil),
        ]
        #expect(Set(types.keys) == Set(expected.keys))
        for (field, (prometheusType, metricType)) in expected {
            #expect(types[field]?["prometheus_type"] == prometheusType, "\(field)")
            #expect(types[field]?["metric_type"] == metricType, "\(field)")
        }
        // The same names again: the same list; a new name: a new list.
        let again = try reader.documents(
            fromBody: Array(body.utf8), contentType: "application/openmetrics-text; version=1.0.0",
            startedAtWallNanos: Self.start + 1_000_000_000)
        #expect(again[0].fieldMeta == documents[0].fieldMeta)
        let more = try reader.documents(
            fromBody: Array(("extra 1\n" + body).utf8), contentType: "application/openmetrics-text; version=1.0.0",
            startedAtWallNanos: Self.start + 2_000_000_000)
        #expect(more[0].fieldMeta.count == documents[0].fieldMeta.count + 1)
        #expect(more[0].fieldMeta.contains { $0.field == "extra" })
        // The self metrics of the three scrapes.
        #expect(Self.counter(metrics, "samples_shipped") == 3 * 17 + 1)
        if case .gauge(let series)? = metrics.value(MetricKey("series", labels: [MetricKey.Label("reader", "node")])) {
            #expect(series == Double(more.count))
        } else {
            Issue.record("no series gauge")
        }
    }

    @Test func seriesOverTheLimitAreDroppedCountedAndLoggedOnce() throws {
        var configuration = Self.configuration()
        configuration.prometheus.maxSeries = 10
        let handler = InMemoryLogHandler()
        let (reader, metrics) = Self.reader(configuration, handler: handler)
        let body = (0..<50).map { "m{i=\"\($0)\"} \($0)\n" }.joined()
        for _ in 0..<2 {
            let fields = try Self.documents(reader, body)
            #expect(fields.count == 11)
            #expect(fields[0]["scrape.samples_dropped"] as? Int == 40)
        }
        #expect(Self.counter(metrics, "samples_dropped", reason: "series_limit") == 80)
        #expect(handler.records.filter { $0.message.contains("max_series") }.count == 1)
    }

    /// The checked-in node_exporter 1.5.0 body (also the prometheus-node benchmark's input): 507
    /// finite samples in 100 label sets (prometheus_client's parser counts the same), none rejected.
    @Test func realNodeExporterBody() throws {
        let url = try #require(
            Bundle.module.url(forResource: "node-exporter-1.5.0", withExtension: "prom", subdirectory: "Fixtures"))
        let body = try [UInt8](Data(contentsOf: url))
        let (reader, _) = Self.reader()
        let documents = try reader.documents(
            fromBody: body, contentType: "text/plain; version=0.0.4", startedAtWallNanos: Self.start)
        #expect(documents.count == 100)
        let fields = try documents.map(ReaderHarness.fields)
        #expect(fields[0]["scrape.samples"] as? Int == 507)
        #expect(fields[0]["scrape.lines_rejected"] as? Int == 0)
        #expect(fields[0]["node_load1"] is Double)
        let idle = fields.first { $0["labels.mode"] as? String == "idle" && $0["labels.cpu"] as? String == "0" }
        #expect(idle?["node_cpu_seconds_total"] is Double)
        let root = fields.first { $0["labels.mountpoint"] as? String == "/" }
        #expect(root?["node_filesystem_avail_bytes"] is Double)
        #expect(Set(documents.map(\.id)).count == 100)
    }
}
