import ExpvasticBase
import ExpvasticCodecs

/// Flag mode (SPEC §7): one expvar reader and one Elasticsearch recorder from command-line flags
/// or, for each flag not given, its environment variable. Everything else has its default: the
/// monitoring endpoint listens on `127.0.0.1:9800` (`-listen` / `LISTEN` changes it) and the
/// recorder spools into `./data/spool/elasticsearch` under the current directory.
extension Configuration {
    /// Builds the one-reader, one-recorder configuration. Diagnostics name the flag (`-int`) or,
    /// when the value came from the environment, the variable (`INT`).
    /// Flag mode yields no warnings, so `--strict` changes nothing here.
    public static func fromFlags(_ flags: FlagModeOptions, environment: [String: String]) -> ConfigurationLoadResult {
        var diagnostics: [ConfigDiagnostic] = []
        func value(_ flag: String, _ variable: String, _ typed: String?) -> (text: String, path: String)? {
            if let typed { return (typed, "-" + flag) }
            if let text = environment[variable], !text.isEmpty { return (text, variable) }
            return nil
        }
        func error(_ code: ConfigDiagnostic.Code, _ path: String, _ message: String, hint: String? = nil) {
            diagnostics.append(ConfigDiagnostic(severity: .error, code: code, path: path, message: message, hint: hint))
        }
        func duration(_ source: (text: String, path: String)?) -> Duration? {
            guard let source else { return nil }
            switch GoDuration.parse(source.text) {
            case .failure(let failure):
                error(.invalidDuration, source.path, "\"\(source.text)\" \(failure.reason)", hint: failure.hint)
            case .success(let duration) where duration <= .zero:
                error(.invalidDuration, source.path, "\"\(source.text)\" must be greater than zero")
            case .success(let duration):
                return duration
            }
            return nil
        }
        func endpoint(_ source: (text: String, path: String)) -> Endpoint? {
            switch Endpoint.parse(source.text) {
            case .success(let endpoint):
                return endpoint
            case .failure(let failure):
                error(
                    .invalidEndpoint, source.path,
                    "\"\(ConfigurationLoader.redactingCredentials(source.text))\" \(failure.reason)",
                    hint: "use host:port, host:port/path or http(s)://host:port")
                return nil
            }
        }

        var readerURL: Endpoint?
        if let source = value("reader", "READER", flags.reader) {
            readerURL = endpoint(source).map { $0.path == "/" ? $0.appending(path: "/debug/vars") : $0 }
        } else {
            error(.missingKey, "-reader", "missing", hint: "e.g. -reader localhost:1234/debug/vars, or set READER")
        }
        var recorderURL: Endpoint?
        if let source = value("recorder", "RECORDER", flags.recorder) {
            recorderURL = endpoint(source)
        } else {
            error(.missingKey, "-recorder", "missing", hint: "e.g. -recorder http://127.0.0.1:9200, or set RECORDER")
        }
        var indexName: IndexName?
        let index = value("index", "INDEX", flags.index) ?? ("expvastic", "-index")
        do {
            indexName = try IndexName(index.text)
        } catch {
            diagnostics.append(
                ConfigDiagnostic(
                    severity: .error, code: .invalidIndexName, path: index.path, message: error.description))
        }
        let interval = duration(value("int", "INT", flags.interval))
        let timeout = duration(value("timeout", "TIMEOUT", flags.timeout))
        var level = LogLevel.info
        if let source = value("loglevel", "LOGLEVEL", flags.logLevel) {
            if let parsed = LogLevel(parsing: source.text) {
                level = parsed
            } else {
                error(
                    .invalidValue, source.path, "unknown log level \"\(source.text)\"",
                    hint: "use debug, info, warn or error")
            }
        }

        var settings = Settings()
        settings.logLevel = level
        if let source = value("listen", "LISTEN", flags.listen) {
            if source.text.isEmpty {
                settings.http.listen = nil
            } else if let problem = ConfigurationLoader.listenProblem(source.text) {
                error(
                    .invalidValue, source.path, "\"\(source.text)\" \(problem)",
                    hint: "use host:port such as 127.0.0.1:9800, or \"\" to turn the monitoring endpoint off")
            } else {
                settings.http.listen = source.text
            }
        }

        guard let readerURL, let recorderURL, let indexName, !diagnostics.contains(where: { $0.severity == .error })
        else {
            return ConfigurationLoadResult(configuration: nil, diagnostics: diagnostics)
        }
        let readerName =
            readerURL.port == (readerURL.scheme == "https" ? 443 : 80)
            ? readerURL.host : "\(readerURL.host):\(readerURL.port)"
        var reader = ReaderConfiguration(name: readerName, kind: .expvar, typeName: "expvar", url: readerURL)
        reader.interval = interval ?? .seconds(10)
        reader.timeout = timeout ?? min(reader.interval, .seconds(30))
        let recorderName = "elasticsearch"
        let recorder = RecorderConfiguration(
            name: recorderName,
            kind: .elasticsearch(
                ElasticsearchConfiguration(
                    endpoints: [recorderURL], indexName: indexName, spoolDirectory: "./data/spool/\(recorderName)")))
        let configuration = Configuration(
            settings: settings, readers: [reader], recorders: [recorder],
            routes: [RouteConfiguration(name: "flags", readers: [readerName], recorders: [recorderName])])
        return ConfigurationLoadResult(configuration: configuration, diagnostics: diagnostics)
    }
}
