import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// Reads Expvastic's own metrics in-process (SPEC §3.2) into a document with the same envelope as
/// ``ExpvarReader`` (`@timestamp`, `type`, `reader`, `endpoint` — here `self`).
///
/// Field names: a series `name{labels}` becomes its ``MetricKey/path`` joined by dots:
/// - `readers.<value>.<name>[.<other label values>…]` when it has a `reader` label,
/// - `recorders.<value>.<name>[.<other label values>…]` when it has a `recorder` label,
/// - `<name>[.<label values>…]` otherwise,
///
/// with the other label values in label order (plural prefixes, because the envelope's `reader`
/// field holds a string). For example `polls_ok{reader=FirstApp}` → `readers.FirstApp.polls_ok`,
/// `fields_dropped{reader=FirstApp,reason=null}` → `readers.FirstApp.fields_dropped.null`,
/// `docs_sent{recorder=es}` → `recorders.es.docs_sent`.
///
/// Values: counters are integers; gauges are doubles (non-finite gauges are left out); a timer
/// `t` gives `t.count`, `t.sum_ns`, `t.min_ns`, `t.max_ns`, `t.last_ns` (integers) and `t.mean_ns`
/// (double). Then `process.rss_bytes`, `process.cpu_seconds` and `cmdline` (the process's arguments,
/// a keyword array), the values `/debug/vars` adds to the metrics.
public final class SelfReader: Reader {
    public let name: String
    private let configuration: ReaderConfiguration
    private let registry: MetricsRegistry

    private let processStats: @Sendable () -> ProcessStats?
    private let commandLine: [String]

    /// A reader of `registry`'s current values, plus the process's RSS and CPU seconds and its
    /// command line (`process.rss_bytes`, `process.cpu_seconds`, `cmdline`, as on `/debug/vars`).
    public init(
        configuration: ReaderConfiguration,
        registry: MetricsRegistry,
        processStats: @escaping @Sendable () -> ProcessStats? = { ProcessStats.current() },
        commandLine: [String] = CommandLine.arguments
    ) {
        self.name = configuration.name
        self.configuration = configuration
        self.registry = registry
        self.processStats = processStats
        self.commandLine = commandLine
    }

    /// The endpoint field of self documents.
    public static let endpoint = "self"

    /// Snapshots the registry.
    public func read(startedAtWallNanos: Int64) async throws(ReaderError) -> [Document] {
        [document(startedAtWallNanos: startedAtWallNanos)]
    }

    /// Snapshots the registry; the `_id` comes from `slot` when there is one.
    public func read(startedAtWallNanos: Int64, slot: PollSlot?) async throws(ReaderError) -> [Document] {
        [document(startedAtWallNanos: startedAtWallNanos, slot: slot)]
    }

    /// The document for the registry's values now, stamped `startedAtWallNanos`.
    public func document(startedAtWallNanos: Int64, slot: PollSlot? = nil) -> Document {
        let millis = ExpvarReader.millis(startedAtWallNanos)
        var encoder = DocumentEncoder()
        encoder.beginField("@timestamp")
        RFC3339.appendQuoted(millis: millis, to: &encoder.out)
        encoder.endField()
        encoder.beginField("type")
        JSONWriter.appendString(configuration.typeName, to: &encoder.out)
        encoder.endField()
        encoder.beginField("reader")
        JSONWriter.appendString(name, to: &encoder.out)
        encoder.endField()
        encoder.beginField("endpoint")
        JSONWriter.appendString(Self.endpoint, to: &encoder.out)
        encoder.endField()
        for (key, value) in registry.snapshot() {
            let field = Self.fieldName(key)
            switch value {
            case .counter(let count):
                encoder.beginField(field)
                JSONWriter.appendInt(count, to: &encoder.out)
                encoder.endField()
            case .gauge(let gauge):
                guard gauge.isFinite else { continue }
                encoder.beginField(field)
                JSONWriter.appendDouble(gauge, to: &encoder.out)
                encoder.endField()
            case .timer(let summary):
                encoder.beginField(field + ".count")
                JSONWriter.appendInt(summary.count, to: &encoder.out)
                encoder.endField()
                for (suffix, nanos) in [
                    ("sum_ns", summary.sumNanos), ("min_ns", summary.minNanos), ("max_ns", summary.maxNanos),
                    ("last_ns", summary.lastNanos),
                ] {
                    encoder.beginField(field + "." + suffix)
                    // Elasticsearch longs are signed; a sum beyond that is written as a double.
                    if nanos <= UInt64(Int64.max) {
                        JSONWriter.appendUInt(nanos, to: &encoder.out)
                    } else {
                        JSONWriter.appendDouble(Double(nanos), to: &encoder.out)
                    }
                    encoder.endField()
                }
                encoder.beginField(field + ".mean_ns")
                JSONWriter.appendDouble(summary.meanNanos, to: &encoder.out)
                encoder.endField()
            }
        }
        if let process = processStats() {
            encoder.beginField("process.rss_bytes")
            JSONWriter.appendInt(Int64(process.rssBytes), to: &encoder.out)
            encoder.endField()
            encoder.beginField("process.cpu_seconds")
            JSONWriter.appendDouble(process.cpuSeconds, to: &encoder.out)
            encoder.endField()
        }
        encoder.beginField("cmdline")
        encoder.out.append(UInt8(ascii: "["))
        for (index, argument) in commandLine.enumerated() {
            if index > 0 { encoder.out.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(argument, to: &encoder.out)
        }
        encoder.out.append(UInt8(ascii: "]"))
        encoder.endField()
        let body = encoder.finish().body
        return Document(
            id: slot.map { DocumentID.make(reader: name, endpoint: Self.endpoint, slot: $0) }
                ?? DocumentID.make(reader: name, endpoint: Self.endpoint, timestampMillis: millis),
            timestampMillis: millis, reader: name, body: body)
    }

    /// The document field name of a metric series: its ``MetricKey/path`` joined with dots, the same
    /// names `/debug/vars` nests by, so reading Expvastic over HTTP gives the same fields.
    public static func fieldName(_ key: MetricKey) -> String { key.path.joined(separator: ".") }
}
