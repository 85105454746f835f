import ExpvasticBase

/// The samples of one exposition body, as ``PrometheusParser`` found them: names, labels and
/// unescaped label values are byte ranges of ``text`` (a copy of what the body said), so a scrape
/// holds one arena and a few flat arrays and can be reused for the next body without allocating.
///
/// Memory is bounded by the body: ``text`` never outgrows it, ``samples`` never outgrows the series
/// limit, and a rejected line keeps only its count (and, for the first one, a short preview).
public struct PrometheusScrape: Sendable {
    /// A byte range of ``text``.
    public struct Span: Sendable, Equatable {
        public var start: Int32
        public var end: Int32

        public init(start: Int32, end: Int32) {
            self.start = start
            self.end = end
        }

        @inlinable @inline(__always) package var count: Int { Int(end - start) }
    }

    /// One `name="value"` pair; a sample's labels are sorted by name.
    public struct Label: Sendable {
        public var name: Span
        public var value: Span
    }

    /// One sample line.
    public struct Sample: Sendable {
        /// The sample name as written (`http_requests_total`, `rpc_seconds_bucket`).
        public var name: Span
        /// ``PrometheusScrape/labels`` indices `labelStart ..< labelStart + labelCount`, sorted by name.
        public var labelStart: Int32
        public var labelCount: Int32
        /// The value as written, NaN and infinities included.
        public var value: Double
        /// The sample's own timestamp in Unix milliseconds (OpenMetrics seconds are converted), or
        /// nil when the line has none.
        public var timestampMillis: Int64?
        /// The declared type of the sample's family (``PrometheusMetricType/untyped`` without a
        /// `# TYPE` line).
        public var type: PrometheusMetricType
    }

    /// A line the parser skipped.
    public struct Rejection: Sendable, Equatable {
        /// 1-based line number in the body.
        public var line: Int
        /// What was wrong with it.
        public var reason: String
        /// The start of the line, quoted and sanitised (see `JSONError.preview`).
        public var preview: String
    }

    /// Names and label values of every sample (unescaped, valid UTF-8).
    public internal(set) var text: [UInt8] = []
    /// Samples in body order.
    public internal(set) var samples: [Sample] = []
    /// Labels of every sample, referenced by ``Sample/labelStart``.
    public internal(set) var labels: [Label] = []
    /// `# TYPE` lines, in body order.
    public var families: [(name: String, type: PrometheusMetricType)] {
        familySpans.map { (string($0.name), $0.type) }
    }
    /// The same, the names in ``text`` (no allocation per `# TYPE` line).
    package var familySpans: [(name: Span, type: PrometheusMetricType)] = []
    /// Lines skipped because they were malformed or over a per-line limit.
    public internal(set) var linesRejected = 0
    /// The first of them.
    public internal(set) var firstRejection: Rejection?
    /// Well-formed sample lines beyond the series limit (not in ``samples``).
    public internal(set) var samplesOverLimit = 0
    /// Well-formed lines: samples (stored or over the limit) and comments.
    public internal(set) var linesAccepted = 0
    /// The body ended with OpenMetrics' `# EOF`.
    public internal(set) var sawEOF = false

    public init() {}

    /// Empties the scrape, keeping its capacity.
    public mutating func reset() {
        text.removeAll(keepingCapacity: true)
        samples.removeAll(keepingCapacity: true)
        labels.removeAll(keepingCapacity: true)
        familySpans.removeAll(keepingCapacity: true)
        linesRejected = 0
        firstRejection = nil
        samplesOverLimit = 0
        linesAccepted = 0
        sawEOF = false
    }

    /// The text of `span`.
    public func string(_ span: Span) -> String {
        text.withUnsafeBytes {
            String(decoding: UnsafeRawBufferPointer(rebasing: $0[Int(span.start)..<Int(span.end)]), as: UTF8.self)
        }
    }

    /// A sample's name.
    public func name(of sample: Sample) -> String { string(sample.name) }

    /// A sample's labels, sorted by name.
    public func labels(of sample: Sample) -> [(name: String, value: String)] {
        (Int(sample.labelStart)..<Int(sample.labelStart + sample.labelCount)).map {
            (string(labels[$0].name), string(labels[$0].value))
        }
    }
}
