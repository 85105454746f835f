/// A loaded, validated configuration: what `expvastic.yml` says, with every default filled in.
public struct Configuration: Sendable, Equatable {
    public var settings: Settings
    /// In file order.
    public var readers: [ReaderConfiguration]
    /// In file order.
    public var recorders: [RecorderConfiguration]
    /// In file order.
    public var routes: [RouteConfiguration]

    public init(
        settings: Settings = Settings(),
        readers: [ReaderConfiguration],
        recorders: [RecorderConfiguration],
        routes: [RouteConfiguration]
    ) {
        self.settings = settings
        self.readers = readers
        self.recorders = recorders
        self.routes = routes
    }

    public func reader(named name: String) -> ReaderConfiguration? { readers.first { $0.name == name } }
    public func recorder(named name: String) -> RecorderConfiguration? { recorders.first { $0.name == name } }
}

/// The `settings` section.
public struct Settings: Sendable, Equatable {
    /// `settings.log_level`: default `info`.
    public var logLevel: LogLevel = .info
    /// `settings.shutdown_timeout`: how long SIGTERM waits for recorders to flush; default 10s.
    public var shutdownTimeout: Duration = .seconds(10)
    /// `settings.http`.
    public var http = MonitoringConfiguration()

    public init() {}
}

/// `settings.http`: the monitoring endpoint.
public struct MonitoringConfiguration: Sendable, Equatable {
    /// `settings.http.listen`: `host:port`; default `127.0.0.1:9800`; `""` (nil here) disables the server.
    public var listen: String? = "127.0.0.1:9800"
    /// `settings.http.retention`: how long raw samples are kept for `/api/v1/collection`; default 5m.
    public var retention: Duration = .seconds(300)

    public init() {}
}

/// A secret string (password, API key): never printed.
public struct Secret: Sendable, Equatable, CustomStringConvertible {
    public var value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "******" }
}

/// One entry of `readers`.
public struct ReaderConfiguration: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// HTTP JSON poll of an expvar endpoint.
        case expvar
        /// The engine's own metrics, read in-process.
        case `self`
    }

    public var name: String
    public var kind: Kind
    /// `type_name`: required for `expvar`; default `expvastic` for `self`. Becomes the document's `type`.
    public var typeName: String
    /// `endpoint` joined with `routepath` (default `/debug/vars`); nil for `self`.
    public var url: Endpoint?
    /// `interval`: default 10s.
    public var interval: Duration = .seconds(10)
    /// `timeout`: default the interval, capped at 30s.
    public var timeout: Duration = .seconds(10)
    /// `backoff`: consecutive failures before polling slows down; default 5.
    public var backoff: Int = 5
    /// `map_file`: path of an optional unit/GC map, already loaded.
    public var mapFile: String?
    public var fieldMap = FieldMap.defaults
    /// `include`: field-path globs kept even when they would be dropped (and, when non-empty, the only
    /// fields kept besides the envelope).
    public var include: [String] = []
    /// `exclude`: field-path globs removed after flattening.
    public var exclude: [String] = []
    /// `headers`: extra request headers (e.g. authorization for the target).
    public var headers: [String: Secret] = [:]
    /// `log_level`: overrides `settings.log_level` for this reader.
    public var logLevel: LogLevel?
    /// `max_body_bytes`: default 16 MiB.
    public var maxBodyBytes: Int = 16 << 20
    /// `max_depth`: default 64.
    public var maxDepth: Int = 64
    /// `targets`: where the job's targets come from, instead of one `endpoint`; empty for a reader
    /// with an `endpoint` (or a self reader).
    public var targets: [TargetSourceConfiguration] = []
    /// `routepath` of a job: joined to each discovered address (default `/debug/vars` when the
    /// address has no path of its own); nil when the reader has an `endpoint`.
    public var routePath: String?
    /// The discovery labels of one target of a job (written as `labels.<name>` keyword fields);
    /// set by the shipper on each target's copy of the settings, empty in a loaded configuration.
    public var labels: [String: String] = [:]

    public init(name: String, kind: Kind, typeName: String, url: Endpoint?) {
        self.name = name
        self.kind = kind
        self.typeName = typeName
        self.url = url
    }
}

/// `memory_bytes` and `gc_types` from a reader's `map_file`, merged over the defaults.
public struct FieldMap: Sendable, Equatable {
    public enum Unit: String, Sendable, Equatable {
        case b, kb, mb, gb
        public var divisor: Double {
            switch self {
            case .b: 1
            case .kb: 1024
            case .mb: 1024 * 1024
            case .gb: 1024 * 1024 * 1024
            }
        }
    }

    /// Full dotted path (or glob) → unit. Matched against the whole path, never the leaf.
    public var memoryBytes: [String: Unit]
    /// Paths (or globs) of numeric arrays treated as GC pause lists in nanoseconds.
    public var gcTypes: [String]

    public init(memoryBytes: [String: Unit] = [:], gcTypes: [String] = []) {
        self.memoryBytes = memoryBytes
        self.gcTypes = gcTypes
    }

    /// Byte fields stay raw integers; no extra GC lists.
    public static let defaults = FieldMap()
}

/// One entry of `recorders`.
public struct RecorderConfiguration: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case elasticsearch(ElasticsearchConfiguration)
        case file(FileRecorderConfiguration)
    }

    public var name: String
    public var kind: Kind
    /// `log_level`: overrides `settings.log_level` for this recorder.
    public var logLevel: LogLevel?

    public init(name: String, kind: Kind, logLevel: LogLevel? = nil) {
        self.name = name
        self.kind = kind
        self.logLevel = logLevel
    }
}

/// An `elasticsearch` recorder.
public struct ElasticsearchConfiguration: Sendable, Equatable {
    /// `endpoint` or `endpoints`: round-robin with failover.
    public var endpoints: [Endpoint]
    /// `index_name`: may contain `%{+yyyy.MM.dd}`, `%{+yyyy.MM}` or `%{+yyyy}`.
    public var indexName: IndexName
    /// `timeout`: per bulk request; default 30s.
    public var timeout: Duration = .seconds(30)
    /// `backoff`: failed attempts before a batch goes to the spool; default 5.
    public var backoff: Int = 5
    /// `username` / `password`: basic auth.
    public var username: String?
    public var password: Secret?
    /// `api_key`: sent as `Authorization: ApiKey …`.
    public var apiKey: Secret?
    /// `bulk_max_docs`: default 500.
    public var bulkMaxDocs: Int = 500
    /// `bulk_max_bytes`: default 5 MiB.
    public var bulkMaxBytes: Int = 5 << 20
    /// `flush_interval`: default 1s.
    public var flushInterval: Duration = .seconds(1)
    /// `spool_dir`: default `./data/spool/<recorder name>`.
    public var spoolDirectory: String
    /// `spool_max_bytes`: default 1 GiB.
    public var spoolMaxBytes: Int = 1 << 30
    /// `template`: install the index template at start-up; default true.
    public var template: Bool = true
    /// `queue_size`: documents held in memory before overflow goes to the spool; default 10,000.
    public var queueSize: Int = 10_000

    public init(endpoints: [Endpoint], indexName: IndexName, spoolDirectory: String) {
        self.endpoints = endpoints
        self.indexName = indexName
        self.spoolDirectory = spoolDirectory
    }
}

/// A `file` recorder: NDJSON in bulk format.
public struct FileRecorderConfiguration: Sendable, Equatable {
    /// `path`: required.
    public var path: String
    /// `index_name`: used in the action lines; default `expvastic`.
    public var indexName: String = "expvastic"
    /// `max_bytes`: rotate when the file would grow past this; default 100 MiB.
    public var maxBytes: Int = 100 << 20
    /// `max_files`: rotated files kept (`path.1` … `path.N`); default 5.
    public var maxFiles: Int = 5

    public init(path: String) { self.path = path }
}

/// One entry of `routes`: a label and the readers and recorders it connects.
public struct RouteConfiguration: Sendable, Equatable {
    public var name: String
    public var readers: [String]
    public var recorders: [String]

    public init(name: String, readers: [String], recorders: [String]) {
        self.name = name
        self.readers = readers
        self.recorders = recorders
    }
}
