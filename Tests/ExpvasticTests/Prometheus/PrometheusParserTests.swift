import Expvastic
import ExpvasticTestSupport
import Testing

/// A sample as the tests compare them: name, sorted labels, value (NaN compared as NaN), timestamp.
struct ParsedSample: Equatable, CustomStringConvertible {
    var name: String
    var labels: [String]
    var value: Double
    var timestamp: Int64?

    static func == (a: ParsedSample, b: ParsedSample) -> Bool {
        a.name == b.name && a.labels == b.labels && a.timestamp == b.timestamp
            && (a.value == b.value || (a.value.isNaN && b.value.isNaN))
            && (a.value != 0 || a.value.sign == b.value.sign)
    }

    var description: String { "\(name)\(labels) \(value) \(timestamp.map(String.init) ?? "-")" }

    static func all(_ scrape: PrometheusScrape) -> [ParsedSample] {
        scrape.samples.map {
            ParsedSample(
                name: scrape.name(of: $0), labels: scrape.labels(of: $0).map { "\($0.name)=\($0.value)" },
                value: $0.value, timestamp: $0.timestampMillis)
        }
    }
}

@Suite struct PrometheusParserTests {
    static func parse(_ text: String, _ format: PrometheusFormat = .text, limits: PrometheusParser.Limits = .init())
        -> PrometheusScrape
    {
        PrometheusParser.parse(Array(text.utf8), format: format, limits: limits)
    }

    @Test func text004WithEveryKindOfLine() throws {
        let body = #"""
            # HELP http_requests_total The total number of HTTP requests.
            # TYPE http_requests_total counter
            http_requests_total{method="post",code="200"} 1027 1395066363000
            http_requests_total{method="post",code="400"}    3 1395066363000

            # Escaping in label values:
            msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9
            # A weird metric from before the epoch:
            something_weird{problem="division by zero"} +Inf -3982045
            # TYPE rpc_duration_seconds summary
            rpc_duration_seconds{quantile="0.01"} 3102
            rpc_duration_seconds{quantile="0.99"} NaN
            rpc_duration_seconds_sum 1.7560473e+07
            rpc_duration_seconds_count 2693
            # TYPE http_request_duration_seconds histogram
            http_request_duration_seconds_bucket{le="0.05"} 24054
            http_request_duration_seconds_bucket{le="+Inf"} 144320
            http_request_duration_seconds_sum 53423
            http_request_duration_seconds_count 144320
            metric_without_timestamp_and_labels 12.47
            go_gc_duration_seconds{quantile="0",} -0.0
            """#
        let scrape = Self.parse(body)
        #expect(scrape.linesRejected == 0, "\(String(describing: scrape.firstRejection))")
        let samples = ParsedSample.all(scrape)
        let expected: [ParsedSample] = [
            .init(
                name: "http_requests_total", labels: ["code=200", "method=post"], value: 1027,
                timestamp: 1_395_066_363_000),
            .init(
                name: "http_requests_total", labels: ["code=400", "method=post"], value: 3, timestamp: 1_395_066_363_000
            ),
            .init(
                name: "msdos_file_access_time_seconds",
                labels: ["error=Cannot find file:\n\"FILE.TXT\"", #"path=C:\DIR\FILE.TXT"#], value: 1.458255915e9),
            .init(
                name: "something_weird", labels: ["problem=division by zero"], value: .infinity, timestamp: -3_982_045),
            .init(name: "rpc_duration_seconds", labels: ["quantile=0.01"], value: 3102),
            .init(name: "rpc_duration_seconds", labels: ["quantile=0.99"], value: .nan),
            .init(name: "rpc_duration_seconds_sum", labels: [], value: 1.7560473e+07),
            .init(name: "rpc_duration_seconds_count", labels: [], value: 2693),
            .init(name: "http_request_duration_seconds_bucket", labels: ["le=0.05"], value: 24054),
            .init(name: "http_request_duration_seconds_bucket", labels: ["le=+Inf"], value: 144320),
            .init(name: "http_request_duration_seconds_sum", labels: [], value: 53423),
            .init(name: "http_request_duration_seconds_count", labels: [], value: 144320),
            .init(name: "metric_without_timestamp_and_labels", labels: [], value: 12.47),
            .init(name: "go_gc_duration_seconds", labels: ["quantile=0"], value: -0.0),
        ]
        #expect(samples == expected)
        let types = scrape.samples.map(\.type)
        #expect(types[0] == .counter)
        #expect(types[3] == .untyped)
        #expect(types[4...7].allSatisfy { $0 == .summary })
        #expect(types[8...11].allSatisfy { $0 == .histogram })
        #expect(types[12] == .untyped)
        #expect(
            scrape.families.map(\.name) == [
                "http_requests_total", "rpc_duration_seconds", "http_request_duration_seconds",
            ])
    }

    @Test func openMetricsWithUnitsInfoStatesetExemplarsAndEOF() throws {
        let body = #"""
            # TYPE acme_http_router_request_seconds summary
            # UNIT acme_http_router_request_seconds seconds
            # HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.
            acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32
            acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0
            acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0
            # TYPE foo counter
            foo_total 17.0 1520879607.789 # {id="counter-test"} 5
            foo_created 1520872607.123
            # TYPE build info
            build_info{version="1.2.3"} 1
            # TYPE feature stateset
            feature{feature="a"} 1
            feature{feature="b"} 0
            # TYPE queue gaugehistogram
            queue_bucket{le="1.0"} 0 # {trace_id="KOO5S4vxi0o"} 0.67
            queue_bucket{le="+Inf"} 17
            queue_gcount 17
            queue_gsum 324789.3
            # TYPE pending unknown
            pending 3
            # EOF

            """#
        let scrape = Self.parse(body, .openMetrics)
        #expect(scrape.linesRejected == 0, "\(String(describing: scrape.firstRejection))")
        #expect(scrape.sawEOF)
        let samples = ParsedSample.all(scrape)
        #expect(samples.count == 13)
        #expect(samples[3] == ParsedSample(name: "foo_total", labels: [], value: 17, timestamp: 1_520_879_607_789))
        #expect(samples[0].labels == ["method=GET", "path=/api/v1"])
        let expected: [PrometheusMetricType] = [
            .summary, .summary, .summary, .counter, .counter, .info, .stateset, .stateset, .gaugeHistogram,
            .gaugeHistogram, .gaugeHistogram, .gaugeHistogram, .untyped,
        ]
        #expect(scrape.samples.map(\.type) == expected)
    }

    @Test func malformedLinesAreSkippedCountedAndTheFirstIsKept() {
        let body = """
            good 1
            bad{ 2
            good_too{a="x"} 3
            9starts_with_digit 4
            no_value
            bad_value abc
            bad_escape{a="\\t"} 1
            ts 1 notanumber
            also_good 5
            """
        let scrape = Self.parse(body)
        #expect(ParsedSample.all(scrape).map(\.name) == ["good", "good_too", "also_good"])
        #expect(scrape.linesRejected == 6)
        let first = scrape.firstRejection
        #expect(first?.line == 2)
        #expect(first?.preview == #""bad{ 2""#)
        #expect(first?.reason == "invalid label name")
        // Nothing of a rejected line leaks into the next sample's labels or names.
        #expect(scrape.labels(of: scrape.samples[1]).map(\.value) == ["x"])
    }

    @Test func limitsRejectLinesAndCountSeries() {
        let limits = PrometheusParser.Limits(maxSeries: 3, maxLabels: 2, maxLabelValueBytes: 5)
        let body = """
            a{x="1",y="2",z="3"} 1
            b{x="123456"} 1
            c{x="12345"} 1
            d 1
            e 1
            f 1
            g 1
            bad{x="\u{FF}"} 1
            """
        var bytes = Array(body.utf8)
        // An invalid UTF-8 byte (0xFF) in a label value; the String above spelled it as U+00FF.
        let marker = Array("\u{FF}".utf8)
        if let at = bytes.indices.first(where: { bytes[$0...].starts(with: marker) }) {
            bytes.replaceSubrange(at..<(at + marker.count), with: [0xFF])
        }
        let scrape = PrometheusParser.parse(bytes, format: .text, limits: limits)
        #expect(ParsedSample.all(scrape).map(\.name) == ["c", "d", "e"])
        #expect(scrape.samplesOverLimit == 2)
        #expect(scrape.linesRejected == 3)
        #expect(scrape.firstRejection?.reason == "more than 2 labels (max_labels)")
    }

    @Test func invalidUTF8AndDuplicateLabelsAreRejected() {
        var bytes = Array(#"a{x=""} 1"#.utf8)
        bytes.insert(0xC3, at: 5)
        bytes.insert(0x28, at: 6)
        let scrape = PrometheusParser.parse(bytes + Array("\nb{x=\"1\",x=\"2\"} 1\nc 2\n".utf8), format: .text)
        #expect(scrape.linesRejected == 2)
        #expect(scrape.firstRejection?.reason == "label value is not valid UTF-8")
        #expect(ParsedSample.all(scrape).map(\.name) == ["c"])
    }

    @Test func textAfterEOFIsRejectedInOpenMetricsOnly() {
        let body = "a 1\n# EOF\nb 2\n"
        #expect(Self.parse(body, .openMetrics).linesRejected == 1)
        #expect(Self.parse(body, .text).samples.count == 2)
    }

    @Test func formatComesFromContentTypeOrTheEOFMarker() {
        let om = Array("a 1\n# EOF\n".utf8)
        om.withUnsafeBytes { body in
            #expect(
                PrometheusFormat.detect(contentType: "application/openmetrics-text; version=1.0.0", body: body)
                    == .openMetrics)
            #expect(PrometheusFormat.detect(contentType: "text/plain; version=0.0.4", body: body) == .text)
            #expect(PrometheusFormat.detect(contentType: nil, body: body) == .openMetrics)
            #expect(PrometheusFormat.detect(contentType: "application/octet-stream", body: body) == .openMetrics)
        }
        #expect(PrometheusFormat.acceptHeader.hasPrefix("application/openmetrics-text;version=1.0.0"))
    }

    /// Values as Go's `strconv.FormatFloat` and Python's `repr` write them read back exactly.
    @Test func floatsReadBackExactly() {
        var random = SplitMix64(seed: 0x5EED_F10A7)
        var lines = ""
        var expected: [Double] = []
        for k in 0..<2000 {
            let value: Double
            switch k % 4 {
            case 0: value = Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF)
            case 1: value = Double(Int64(bitPattern: random.next()) >> Int64(random.next() % 60))
            case 2: value = Double(random.next() % 1_000_000) / 1000
            default: value = Double.random(in: -1e6...1e6, using: &random)
            }
            expected.append(value)
            lines += "m\(k) \(value)\n"
        }
        lines += "e1 1E3\ne2 .5\ne3 5.\ne4 -Inf\ne5 inf\ne6 1e-400\ne7 123456789012345678901234567890\n"
        expected += [1000, 0.5, 5, -.infinity, .infinity, 0, 1.2345678901234568e29]
        let scrape = Self.parse(lines)
        #expect(scrape.linesRejected == 0, "\(String(describing: scrape.firstRejection))")
        let values = scrape.samples.map(\.value)
        #expect(values.count == expected.count)
        for (value, want) in zip(values, expected) where value != want {
            Issue.record("read \(value), expected \(want)")
            break
        }
    }
}
