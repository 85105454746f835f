import ExpvasticBase
import ExpvasticCodecs

/// The values of flag mode (`-reader … -recorder …`, no configuration file) as typed on the command
/// line; each falls back to an environment variable of the same meaning.
public struct FlagModeOptions: Sendable, Equatable {
    /// `-reader` / `READER`: the expvar endpoint, e.g. `localhost:1234/debug/vars`.
    public var reader: String?
    /// `-recorder` / `RECORDER`: the Elasticsearch endpoint, e.g. `http://127.0.0.1:9200`.
    public var recorder: String?
    /// `-index` / `INDEX`: the index name; default `expvastic`.
    public var index: String?
    /// `-int` / `INT`: the poll interval; default 10s.
    public var interval: String?
    /// `-timeout` / `TIMEOUT`: the poll timeout; default the interval, capped at 30s.
    public var timeout: String?
    /// `-loglevel` / `LOGLEVEL`: debug, info, warn or error; default info. With `-c` it overrides
    /// `settings.log_level`.
    public var logLevel: String?
    /// `-listen` / `LISTEN`: the monitoring endpoint's `host:port` (`settings.http.listen`); default
    /// `127.0.0.1:9800`; `""` turns it off, port 0 picks a free port.
    public var listen: String?

    public init(
        reader: String? = nil, recorder: String? = nil, index: String? = nil, interval: String? = nil,
        timeout: String? = nil, logLevel: String? = nil, listen: String? = nil
    ) {
        self.reader = reader
        self.recorder = recorder
        self.index = index
        self.interval = interval
        self.timeout = timeout
        self.logLevel = logLevel
        self.listen = listen
    }

    /// The environment variable each flag falls back to.
    public static let environmentVariables: [(flag: String, variable: String)] = [
        ("reader", "READER"), ("recorder", "RECORDER"), ("index", "INDEX"), ("int", "INT"), ("timeout", "TIMEOUT"),
        ("loglevel", "LOGLEVEL"), ("listen", "LISTEN"),
    ]

    /// True when a flag that only makes sense without `-c` was given (everything but `-loglevel`).
    public var hasFlagModeValues: Bool {
        reader != nil || recorder != nil || index != nil || interval != nil || timeout != nil || listen != nil
    }
}
