import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticEngine
import ExpvasticPipeline

/// What `--check` prints on standard output for a valid configuration: a summary of every reader
/// and recorder with its effective values (secrets masked) and the engine plan.
public struct CheckReport: Sendable, Equatable {
    /// The validated configuration to describe.
    public var configuration: Configuration
    /// How many warnings loading it gave (printed on standard error before the report).
    public var warnings: Int

    /// A report on `configuration`, whose loading gave `warnings` warnings (default none).
    public init(configuration: Configuration, warnings: Int = 0) {
        self.configuration = configuration
        self.warnings = warnings
    }

    /// One line per item; the plan lines are ``Plan/lines``, indented by two spaces.
    public var lines: [String] {
        let plan = Plan(configuration: configuration)
        let count = Plural.count
        // A warning often means a setting is ignored, so "valid" alone would overstate it.
        let validity =
            warnings == 0
            ? "configuration is valid"
            : "configuration is valid, \(count(warnings, "warning")) (use --strict to make them errors)"
        var lines = [
            "\(validity): \(count(configuration.readers.count, "reader")), "
                + "\(count(configuration.recorders.count, "recorder")), \(count(configuration.routes.count, "route"))",
            "settings: log_level \(configuration.settings.logLevel), shutdown_timeout "
                + GoDuration.format(configuration.settings.shutdownTimeout) + ", http "
                + (configuration.settings.http.listen.map {
                    "\($0) (retention \(GoDuration.format(configuration.settings.http.retention)))"
                }
                    ?? "disabled"),
        ]
        if let cluster = configuration.cluster { lines.append(CheckReport.describe(cluster)) }
        lines.append("readers:")
        for reader in configuration.readers {
            lines.append("  " + CheckReport.describe(reader))
            // A job: one line per discovery source.
            lines += reader.targets.map { "    targets: " + $0.summary }
        }
        lines.append("recorders:")
        lines += configuration.recorders.map { "  " + CheckReport.describe($0) }
        lines.append("plan (\(count(plan.engines.count, "engine"))):")
        lines += plan.lines.map { "  " + $0 }
        return lines
    }

    /// `cluster: member m1, prefix /expvastic/pool-a/, lease_ttl 10s (refresh 1s), etcd http://…`.
    package static func describe(_ cluster: ClusterConfiguration) -> String {
        let member = cluster.member ?? "<host name>-<pid> (default)"
        var line =
            "cluster: member \(member), prefix \(cluster.prefix), lease_ttl \(GoDuration.format(cluster.leaseTTL))"
            + " (refresh \(GoDuration.format(PoolMember.refresh(leaseTTL: cluster.leaseTTL)))), etcd "
            + cluster.endpoints.map(\.origin).joined(separator: ",")
        if let username = cluster.username { line += ", user \(username), password ******" }
        return line
    }

    package static func describe(_ reader: ReaderConfiguration) -> String {
        var parts = ["\(reader.name): \(reader.kind.rawValue)"]
        if let url = reader.url { parts[0] += " " + url.description }
        if !reader.targets.isEmpty {
            parts[0] +=
                " job (\(reader.targets.count) target source\(reader.targets.count == 1 ? "" : "s")"
                + (reader.routePath.map { ", routepath \($0)" } ?? "") + ")"
        }
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

    package static func describe(_ recorder: RecorderConfiguration) -> String {
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
