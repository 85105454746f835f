/// What `--check` prints on standard output for a valid configuration: a summary of every reader
/// and recorder with its effective values (secrets masked) and the engine plan.
public struct CheckReport: Sendable, Equatable {
    /// The validated configuration to describe.
    public var configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// One line per item; the plan lines are ``Plan/lines``, indented by two spaces.
    public var lines: [String] {
        let plan = Plan(configuration: configuration)
        func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }
        var lines = [
            "configuration is valid: \(count(configuration.readers.count, "reader")), "
                + "\(count(configuration.recorders.count, "recorder")), \(count(configuration.routes.count, "route"))",
            "settings: log_level \(configuration.settings.logLevel), shutdown_timeout "
                + GoDuration.format(configuration.settings.shutdownTimeout) + ", http "
                + (configuration.settings.http.listen.map {
                    "\($0) (retention \(GoDuration.format(configuration.settings.http.retention)))"
                }
                    ?? "disabled"),
            "readers:",
        ]
        lines += configuration.readers.map { "  " + CheckReport.describe($0) }
        lines.append("recorders:")
        lines += configuration.recorders.map { "  " + CheckReport.describe($0) }
        lines.append("plan (\(count(plan.engines.count, "engine"))):")
        lines += plan.lines.map { "  " + $0 }
        return lines
    }

    static func describe(_ reader: ReaderConfiguration) -> String {
        var parts = ["\(reader.name): \(reader.kind.rawValue)"]
        if let url = reader.url { parts[0] += " " + url.description }
        parts.append("type_name \(reader.typeName)")
        parts.append("interval \(GoDuration.format(reader.interval))")
        parts.append("timeout \(GoDuration.format(reader.timeout))")
        parts.append("backoff \(reader.backoff)")
        if let mapFile = reader.mapFile { parts.append("map_file \(mapFile)") }
        if !reader.include.isEmpty { parts.append("include \(reader.include.joined(separator: ","))") }
        if !reader.exclude.isEmpty { parts.append("exclude \(reader.exclude.joined(separator: ","))") }
        if !reader.headers.isEmpty {
            let headers = reader.headers.keys.sorted().map { "\($0)=\(reader.headers[$0]!)" }
            parts.append("headers \(headers.joined(separator: ","))")
        }
        if let level = reader.logLevel { parts.append("log_level \(level)") }
        return parts.joined(separator: ", ")
    }

    static func describe(_ recorder: RecorderConfiguration) -> String {
        var parts: [String]
        switch recorder.kind {
        case .elasticsearch(let es):
            parts = [
                "\(recorder.name): elasticsearch \(es.endpoints.map(\.description).joined(separator: " "))",
                "index_name \(es.indexName)", "timeout \(GoDuration.format(es.timeout))", "backoff \(es.backoff)",
                "bulk \(es.bulkMaxDocs) docs/\(ByteSize.format(es.bulkMaxBytes))/\(GoDuration.format(es.flushInterval))",
                "spool_dir \(es.spoolDirectory) (max \(ByteSize.format(es.spoolMaxBytes)))",
                "template \(es.template)",
            ]
            if let stream = es.dataStream {
                // The cluster's version is only known once it answers: say what it must be.
                parts.append("data_stream \(stream.name) (needs Elasticsearch 7.9+ or OpenSearch, checked at start-up)")
            }
            if es.compression == .none { parts.append("compression none") }
            if let username = es.username { parts.append("username \(username)") }
            if let password = es.password { parts.append("password \(password)") }
            if let apiKey = es.apiKey { parts.append("api_key \(apiKey)") }
        case .file(let file):
            parts = [
                "\(recorder.name): file \(file.path)", "index_name \(file.indexName)",
                "rotate at \(ByteSize.format(file.maxBytes)), keep \(file.maxFiles)",
            ]
        }
        if let level = recorder.logLevel { parts.append("log_level \(level)") }
        return parts.joined(separator: ", ")
    }
}
