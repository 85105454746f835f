import ExpvasticBase
import ExpvasticCodecs

/// A loaded, validated configuration: what `expvastic.yml` says, with every default filled in.
public struct Configuration: Sendable, Equatable {
    public var settings: Settings
    /// In file order.
    public var readers: [ReaderConfiguration]
    /// In file order.
    public var recorders: [RecorderConfiguration]
    /// In file order.
    public var routes: [RouteConfiguration]
    /// `cluster`: nil unless this process is a member of a pool.
    public var cluster: ClusterConfiguration?

    public init(
        settings: Settings = Settings(),
        readers: [ReaderConfiguration],
        recorders: [RecorderConfiguration],
        routes: [RouteConfiguration],
        cluster: ClusterConfiguration? = nil
    ) {
        self.settings = settings
        self.readers = readers
        self.recorders = recorders
        self.routes = routes
        self.cluster = cluster
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
///
/// A job's discovered targets differ only in `url` and `labels`: those are stored inline, and every
/// other setting (``Settings``) in one copy-on-write box that the targets' copies share. Copying the
/// settings (each target's are made from the job's, and held by the desired states and its reader)
/// is then three references, not about twenty strings, arrays and tables, and two targets of a job
/// compare their box by identity. (Copying and destroying the settings inline was about 7 % of
/// replacing 10,000 targets.) The settings read and write as if they were stored here:
/// `configuration.interval`.
@dynamicMemberLookup
public struct ReaderConfiguration: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// HTTP JSON poll of an expvar endpoint.
        case expvar
        /// The engine's own metrics, read in-process.
        case `self`
        /// HTTP scrape of a Prometheus text 0.0.4 or OpenMetrics 1.0 endpoint (`/metrics`).
        case prometheus
    }

    /// Every setting but `url` and `labels`: what a job's targets share.
    public struct Settings: Sendable, Equatable {
        public var name: String
        public var kind: Kind
        /// `type_name`: required for `expvar`; default `expvastic` for `self` and `prometheus` for
        /// `prometheus`. Becomes the document's `type`.
        public var typeName: String
        /// `interval`: default 10s.
        public var interval: Duration = .seconds(10)
        /// `timeout`: default the interval, capped at 30s.
        public var timeout: Duration = .seconds(10)
        /// `backoff`: consecutive failures before polling slows down; default 5.
        public var backoff: Int = 5
        /// `map_file`: path of an optional unit/GC map, already loaded.
        public var mapFile: String?
        public var fieldMap = FieldMap.defaults
        /// `include`: field-path globs kept even when they would be dropped (and, when non-empty, the
        /// only fields kept besides the envelope).
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
        /// `max_fields`: the most mapping fields one document's payload may create (integer; each
        /// value counts, and so does each object its dotted path creates: `a.b.c` costs 3 the first
        /// time). Default ``ReaderConfiguration/defaultMaxFields``: what the shipped index template
        /// allows (`index.mapping.total_fields.limit`, ``Document/mappingFieldLimit``) minus the
        /// envelope. Fields beyond it are dropped, the last in sorted key order, counted as
        /// `fields_dropped{reason="budget"}`.
        public var maxFields: Int = ReaderConfiguration.defaultMaxFields
        /// `split`: one document per member of a keyed collection instead of one field group per
        /// member; nil (the default) keeps one document per poll.
        public var split: SplitConfiguration?
        /// `prometheus` readers only.
        public var prometheus = PrometheusReaderLimits()
        /// `targets`: where the job's targets come from, instead of one `endpoint`; empty for a
        /// reader with an `endpoint` (or a self reader).
        public var targets: [TargetSourceConfiguration] = []
        /// `routepath` of a job: joined to each discovered address (default `/debug/vars` when the
        /// address has no path of its own); nil when the reader has an `endpoint`.
        public var routePath: String?
    }

    /// The box: changed in place only while one configuration holds it (``unique()``), else copied
    /// first, as the standard library's collections do; so no two threads ever change one box.
    @usableFromInline final class Shared: @unchecked Sendable, Equatable {
        @usableFromInline var settings: Settings

        @usableFromInline init(_ settings: Settings) { self.settings = settings }

        @usableFromInline static func == (lhs: Shared, rhs: Shared) -> Bool {
            lhs === rhs || lhs.settings == rhs.settings
        }
    }

    @usableFromInline var shared: Shared

    /// The box, copied first when another configuration shares it.
    @usableFromInline mutating func unique() -> Shared {
        if !isKnownUniquelyReferenced(&shared) { shared = Shared(shared.settings) }
        return shared
    }

    /// A setting of ``Settings``, read and written in the box.
    @inlinable public subscript<Value>(dynamicMember setting: WritableKeyPath<Settings, Value>) -> Value {
        get { shared.settings[keyPath: setting] }
        set { unique().settings[keyPath: setting] = newValue }
    }

    /// `endpoint` joined with `routepath` (default `/debug/vars`, `/metrics` for `prometheus`); nil for `self`.
    public var url: Endpoint?
    /// The discovery labels of one target of a job (written as `labels.<name>` keyword fields);
    /// set by the shipper on each target's copy of the settings, empty in a loaded configuration.
    public var labels: [String: String] = [:]

    /// The default of `max_fields`: 2,000 − 4 = 1,996.
    public static let defaultMaxFields = Document.mappingFieldLimit - Document.envelopeFieldNames.count

    public init(name: String, kind: Kind, typeName: String, url: Endpoint?) {
        shared = Shared(Settings(name: name, kind: kind, typeName: typeName))
        self.url = url
    }

    /// The same settings apart from `url` and `labels` (each target's own), found by identity
    /// when both are copies of one job's settings.
    @inlinable public func sharesJobSettings(with other: ReaderConfiguration) -> Bool {
        shared == other.shared
    }
}

/// A reader's `split`: each member of the object or array at `members_of` becomes its own document,
/// with the member's key (or its `id_field` value) in the keyword field `key_field` and the member's
/// own fields under their relative paths (`values.writeBytes`, the same names for every entity).
/// Members that are not objects, or lack a `require`d field, stay in the poll's main document.
public struct SplitConfiguration: Sendable, Equatable {
    /// `members_of` (string, field-path glob): the object or array whose members become documents;
    /// `""` is the payload's root. Required unless a preset is named.
    public var membersOf: String
    /// `id_field` (string): a member field whose value (string or number) is the entity key; default
    /// none: the member's key, or its index in an array.
    public var idField: String?
    /// `key_field` (string): the document field that carries the entity key; default `entity`.
    public var keyField: String
    /// `require` (list of strings): fields a member must have to become a document; default none.
    public var require: [String]

    public init(membersOf: String, idField: String? = nil, keyField: String = "entity", require: [String] = []) {
        self.membersOf = membersOf
        self.idField = idField
        self.keyField = keyField
        self.require = require
    }

    /// `split: influxdb`: InfluxDB's `/debug/vars` statistics, root members such as
    /// `"shard:/var/lib/influxdb/data/telegraf/autogen/12:12": {"name": "shard", "tags": {…},
    /// "values": {…}}`, one document each with `entity`, `name`, `tags.*` and `values.*`; `cmdline`
    /// and `memstats` stay in the main document.
    public static let influxDB = SplitConfiguration(membersOf: "", require: ["name", "values"])
    /// The presets `split:` accepts as a plain string.
    public static let presets: [String: SplitConfiguration] = ["influxdb": .influxDB]
}

/// The per-scrape bounds of a `prometheus` reader (its other keys are the common reader keys;
/// `include`/`exclude` globs match metric names).
public struct PrometheusReaderLimits: Sendable, Equatable {
    /// `max_series`: sample lines kept per scrape (integer, default 10,000); later ones are dropped
    /// and counted (`samples_dropped{reason="series_limit"}`).
    public var maxSeries: Int = 10_000
    /// `max_labels`: labels on one sample line (integer, default 64); a line with more is rejected.
    public var maxLabels: Int = 64
    /// `max_label_value_bytes`: bytes of one label value (size, default 2048); a line with a longer
    /// value is rejected.
    public var maxLabelValueBytes: Int = 2048

    public init() {}
}

/// `memory_bytes` and `gc_types` from a reader's `map_file`, merged over the defaults.
public struct FieldMap: Sendable, Equatable {
    public enum Unit: String, Sendable, Equatable {
        case b, kb, mb, gb
        /// Inlinable: the flattener reads it for every field (issue 19 keeps a unit per path, not a double).
        @inlinable public var divisor: Double {
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

    /// A typed conversion of string values (`conversions:` in a map file).
    public enum Conversion: String, Sendable, Equatable {
        /// A Go duration (`"4m41s"`, `"556µs"`, `"1h2m"`) becomes seconds as a double.
        case duration
        /// An RFC 3339 time (`"2026-11-21T19:00:00+01:00"`) becomes UTC with milliseconds
        /// (`"2026-11-21T18:00:00.000Z"`), the form Elasticsearch's `date` reads.
        case rfc3339
    }

    /// Full dotted path (or glob) → conversion of its string values. A value that does not convert
    /// is dropped and counted as `fields_dropped{reason="conversion_failed"}`; never fatal.
    public var conversions: [String: Conversion]

    public init(memoryBytes: [String: Unit] = [:], gcTypes: [String] = [], conversions: [String: Conversion] = [:]) {
        self.memoryBytes = memoryBytes
        self.gcTypes = gcTypes
        self.conversions = conversions
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
    /// `data_stream`: write to a data stream instead of `index_name`; default none.
    public var dataStream: DataStream?
    /// `compression`: how bulk request bodies are sent; default `gzip` (level 1).
    public var compression: Compression = .gzip

    /// `compression` values.
    public enum Compression: String, Sendable, Equatable, CaseIterable {
        /// `Content-Encoding: gzip`, zlib level 1: about a tenth of the bytes for expvar documents.
        case gzip
        /// The NDJSON as it is.
        case none
    }
    /// `wal`: write every accepted document to the spool's write-ahead log (`<spool_dir>/wal`)
    /// before it counts as accepted, so that `kill -9` loses nothing; default true.
    public var writeAheadLog: Bool = true
    /// `wal_sync_interval`: how often what the write-ahead log got is synced (a power loss loses
    /// at most this much; a killed process loses nothing either way); default 100ms.
    public var walSyncInterval: Duration = .milliseconds(100)
    /// `queue_max_bytes` (size): the most document bytes held in memory (queued, waiting for a retry
    /// or in flight); beyond it new documents go to the spool, and while the spool cannot be written
    /// the oldest in memory are dropped, counted (`docs_dropped`) and logged at error level.
    /// Default 64 MiB.
    public var queueMaxBytes: Int = 64 << 20
    /// `dead_letter_max_bytes` (size): `dead-letter.ndjson` rotates at this size, keeping one
    /// previous file, so dead letters use at most twice this on disk. Default 64 MiB.
    public var deadLetterMaxBytes: Int = 64 << 20

    public init(endpoints: [Endpoint], indexName: IndexName, spoolDirectory: String) {
        self.endpoints = endpoints
        self.indexName = indexName
        self.spoolDirectory = spoolDirectory
    }
}

/// `data_stream: {type: metrics, dataset: expvar.app, namespace: default}`: documents go to the
/// data stream `<type>-<dataset>-<namespace>` (Elasticsearch ≥ 7.9, OpenSearch ≥ 1.0), always with
/// `create`; the recorder installs a composable template for `<type>-<dataset>-*` with
/// `data_stream: {}`.
public struct DataStream: Sendable, Equatable {
    /// `type`: `metrics` by default (`logs`, `traces`, … are accepted too).
    public var type: String
    /// `dataset`: required, e.g. `expvar.app`; no `-`.
    public var dataset: String
    /// `namespace`: `default` by default; no `-`.
    public var namespace: String

    public init(type: String = "metrics", dataset: String, namespace: String = "default") {
        self.type = type
        self.dataset = dataset
        self.namespace = namespace
    }

    /// `metrics-expvar.app-default`: where documents are written.
    public var name: String { "\(type)-\(dataset)-\(namespace)" }

    /// `metrics-expvar.app-*`: what the template matches (every namespace of the dataset).
    public var templatePattern: String { "\(type)-\(dataset)-*" }
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
