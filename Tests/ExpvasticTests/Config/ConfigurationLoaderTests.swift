import Expvastic
import ExpvasticTestSupport
import Testing

/// Loads configuration text; relative map files resolve against a directory that does not exist.
func loadConfiguration(
    _ yaml: String, environment: [String: String] = [:], strict: Bool = false, baseDirectory: String = "/nonexistent"
) -> ConfigurationLoadResult {
    ConfigurationLoader.load(yaml: yaml, baseDirectory: baseDirectory, environment: environment, strict: strict)
}

/// A valid configuration with one expvar reader `app` and one Elasticsearch recorder `es`; the
/// reader's and recorder's bodies can be replaced to provoke one problem at a time.
func configuration(
    reader: String = "type: expvar\n    type_name: my_app\n    endpoint: localhost:1234",
    recorder: String = "type: elasticsearch\n    endpoint: 127.0.0.1:9200\n    index_name: expvastic",
    routes: String = "route1:\n    readers: [app]\n    recorders: [es]",
    settings: String = "log_level: info"
) -> String {
    """
    settings:
      \(settings)
    readers:
      app:
        \(reader)
    recorders:
      es:
        \(recorder)
    routes:
      \(routes)
    """
}

@Suite struct ConfigurationLoaderTests {
    @Test func specExampleLoadsUnchanged() throws {
        let result = loadConfiguration(specExample)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let configuration = try #require(result.configuration)
        #expect(configuration.settings.logLevel == .info)
        let reader = try #require(configuration.reader(named: "FirstApp"))
        #expect(reader.kind == .expvar)
        #expect(reader.typeName == "my_app1")
        #expect(reader.url?.description == "http://localhost:1234/debug/vars")
        #expect(reader.interval == .milliseconds(500))
        #expect(reader.timeout == .seconds(3))
        #expect(reader.backoff == 10)
        let recorder = try #require(configuration.recorder(named: "main_elasticsearch"))
        guard case .elasticsearch(let es) = recorder.kind else {
            Issue.record("expected an elasticsearch recorder")
            return
        }
        #expect(es.endpoints.map(\.description) == ["http://127.0.0.1:9200/"])
        #expect(es.indexName.pattern == "expvastic")
        #expect(es.timeout == .seconds(8))
        #expect(es.backoff == 10)
        #expect(es.spoolDirectory == "./data/spool/main_elasticsearch")
        #expect(
            configuration.routes == [
                RouteConfiguration(name: "route1", readers: ["FirstApp"], recorders: ["main_elasticsearch"])
            ])
        #expect(Plan(configuration: configuration).lines == ["FirstApp -> main_elasticsearch"])
    }

    @Test func planFromTheWorkedExample() throws {
        let readers = (0...5).map { "  app_\($0):\n    type: self\n" }.joined()
        let recorders = (0...3).map { "  elastic_\($0):\n    type: file\n    path: /tmp/e\($0)\n" }.joined()
        let yaml = """
            readers:
            \(readers)recorders:
            \(recorders)routes:
              route1:
                readers: [app_0, app_2, app_4]
                recorders: [elastic_1]
              route2:
                readers: [app_0, app_5]
                recorders: [elastic_2, elastic_3]
              route3:
                readers: [app_1, app_2]
                recorders: [elastic_0, elastic_1]
            """
        let result = loadConfiguration(yaml)
        let configuration = try #require(result.configuration, "\(result.diagnostics)")
        let plan = Plan(configuration: configuration)
        #expect(
            Set(plan.lines) == [
                "app_0 -> elastic_1, elastic_2, elastic_3",
                "app_1 -> elastic_0, elastic_1",
                "app_2 -> elastic_1, elastic_0",
                "app_4 -> elastic_1",
                "app_5 -> elastic_2, elastic_3",
            ])
        #expect(plan.engines.count == 5)
        #expect(result.warnings.map(\.path) == ["readers.app_3"])
        #expect(result.warnings.first?.code == .unused)
    }

    @Test func readerDefaults() throws {
        let configuration = try #require(loadConfiguration(configuration()).configuration)
        let reader = try #require(configuration.reader(named: "app"))
        #expect(reader.interval == .seconds(10))
        #expect(reader.timeout == .seconds(10))
        #expect(reader.backoff == 5)
        #expect(reader.url?.description == "http://localhost:1234/debug/vars")
        #expect(reader.fieldMap == .defaults)
        #expect(reader.logLevel == nil)
        #expect(reader.maxBodyBytes == 16 << 20)
    }

    @Test func timeoutDefaultsToTheIntervalCappedAt30s() throws {
        let slow = loadConfiguration(
            configuration(reader: "type: expvar\n    type_name: a\n    endpoint: localhost:1\n    interval: 1m"))
        #expect(slow.configuration?.readers.first?.timeout == .seconds(30))
        let fast = loadConfiguration(
            configuration(reader: "type: expvar\n    type_name: a\n    endpoint: localhost:1\n    interval: 2s"))
        #expect(fast.configuration?.readers.first?.timeout == .seconds(2))
    }

    @Test func selfReaderDefaults() throws {
        let result = loadConfiguration(configuration(reader: "type: self"))
        let reader = try #require(result.configuration?.reader(named: "app"), "\(result.diagnostics)")
        #expect(reader.kind == .self)
        #expect(reader.typeName == "expvastic")
        #expect(reader.url == nil)
    }

    @Test func routePathAndEndpointPaths() throws {
        func url(_ body: String) -> String? {
            loadConfiguration(configuration(reader: "type: expvar\n    type_name: a\n    " + body))
                .configuration?.readers.first?.url?.description
        }
        #expect(url("endpoint: localhost:1234/custom/vars") == "http://localhost:1234/custom/vars")
        #expect(url("endpoint: https://host/base/\n    routepath: metrics") == "https://host:443/base/metrics")
        #expect(url("endpoint: host:81\n    routepath: /debug/vars") == "http://host:81/debug/vars")
    }

    @Test func everyReaderKey() throws {
        let reader = """
            type: expvar
                type_name: my_app
                endpoint: localhost:1234
                interval: 1m30s
                timeout: 250ms
                backoff: 3
                include: ["memstats.*", cmdline]
                exclude: memstats.BySize
                headers:
                  Authorization: Bearer ${TOKEN}
                log_level: DEBUG
                max_body_bytes: 1MiB
                max_depth: 10
            """
        let result = loadConfiguration(configuration(reader: reader), environment: ["TOKEN": "t0ps3cret"])
        let loaded = try #require(result.configuration?.readers.first, "\(result.diagnostics)")
        #expect(loaded.interval == .seconds(90))
        #expect(loaded.timeout == .milliseconds(250))
        #expect(loaded.backoff == 3)
        #expect(loaded.include == ["memstats.*", "cmdline"])
        #expect(loaded.exclude == ["memstats.BySize"])
        #expect(loaded.headers["Authorization"] == Secret("Bearer t0ps3cret"))
        #expect(loaded.logLevel == .debug)
        #expect(loaded.maxBodyBytes == 1 << 20)
        #expect(loaded.maxDepth == 10)
        #expect(!CheckReport(configuration: try #require(result.configuration)).lines.joined().contains("t0ps3cret"))
    }

    @Test func everyElasticsearchKey() throws {
        let recorder = """
            type: elasticsearch
                endpoints: [https://a:9200, b:9201]
                index_name: metrics-%{+yyyy.MM}
                timeout: 5s
                backoff: 2
                username: elastic
                password: ${ES_PASSWORD}
                bulk_max_docs: 100
                bulk_max_bytes: 512KB
                flush_interval: 250ms
                spool_dir: /var/spool/x
                spool_max_bytes: 2GiB
                template: false
                queue_size: 50
                log_level: warn
            """
        let result = loadConfiguration(configuration(recorder: recorder), environment: ["ES_PASSWORD": "hunter2"])
        let loaded = try #require(result.configuration?.recorders.first, "\(result.diagnostics)")
        guard case .elasticsearch(let es) = loaded.kind else {
            Issue.record("expected elasticsearch")
            return
        }
        #expect(es.endpoints.map(\.description) == ["https://a:9200/", "http://b:9201/"])
        #expect(es.indexName.pattern == "metrics-%{+yyyy.MM}")
        #expect(es.timeout == .seconds(5))
        #expect(es.backoff == 2)
        #expect(es.username == "elastic")
        #expect(es.password?.value == "hunter2")
        #expect(es.password?.description == "******")
        #expect(es.bulkMaxDocs == 100)
        #expect(es.bulkMaxBytes == 512_000)
        #expect(es.flushInterval == .milliseconds(250))
        #expect(es.spoolDirectory == "/var/spool/x")
        #expect(es.spoolMaxBytes == 2 << 30)
        #expect(es.template == false)
        #expect(es.queueSize == 50)
        #expect(loaded.logLevel == .warn)
        let report = CheckReport(configuration: try #require(result.configuration)).lines.joined(separator: "\n")
        #expect(!report.contains("hunter2"))
        #expect(report.contains("password ******"))
    }

    @Test func apiKeyIsASecret() throws {
        let recorder = "type: elasticsearch\n    endpoint: es:9200\n    index_name: x\n    api_key: abc=="
        let loaded = try #require(loadConfiguration(configuration(recorder: recorder)).configuration?.recorders.first)
        guard case .elasticsearch(let es) = loaded.kind else {
            Issue.record("expected elasticsearch")
            return
        }
        #expect(es.apiKey == Secret("abc=="))
        #expect("\(es.apiKey!)" == "******")
    }

    @Test func fileRecorder() throws {
        let recorder =
            "type: file\n    path: ./out.ndjson\n    max_bytes: 10MiB\n    max_files: 3\n    index_name: dump"
        let loaded = try #require(loadConfiguration(configuration(recorder: recorder)).configuration?.recorders.first)
        guard case .file(let file) = loaded.kind else {
            Issue.record("expected file")
            return
        }
        #expect(file.path == "./out.ndjson")
        #expect(file.maxBytes == 10 << 20)
        #expect(file.maxFiles == 3)
        #expect(file.indexName == "dump")
    }

    @Test func settingsKeys() throws {
        let settings = """
            log_level: Warn
              shutdown_timeout: 20s
              http:
                listen: ""
                retention: 10m
            """
        let loaded = try #require(loadConfiguration(configuration(settings: settings)).configuration)
        #expect(loaded.settings.logLevel == .warn)
        #expect(loaded.settings.shutdownTimeout == .seconds(20))
        #expect(loaded.settings.http.listen == nil)
        #expect(loaded.settings.http.retention == .seconds(600))

        let listening = loadConfiguration(configuration(settings: "http:\n    listen: 0.0.0.0:9999"))
        #expect(listening.configuration?.settings.http.listen == "0.0.0.0:9999")
        let defaults = try #require(loadConfiguration(configuration(settings: "log_level: info")).configuration)
        #expect(defaults.settings.http.listen == "127.0.0.1:9800")
        #expect(defaults.settings.http.retention == .seconds(300))
    }

    @Test func settingsSectionIsOptional() throws {
        let yaml = configuration().replacingOccurrences(of: "settings:\n  log_level: info\n", with: "")
        let result = loadConfiguration(yaml)
        #expect(result.configuration?.settings == Settings(), "\(result.diagnostics)")
    }

    @Test func routesAcceptSingleNamesAndDeduplicate() throws {
        let result = loadConfiguration(configuration(routes: "r:\n    readers: app\n    recorders: [es, es]"))
        #expect(result.configuration?.routes == [RouteConfiguration(name: "r", readers: ["app"], recorders: ["es"])])
    }

    @Test func namesAreCaseSensitive() throws {
        let yaml = """
            readers:
              App:
                type: self
              app:
                type: self
                interval: 1s
            recorders:
              out:
                type: file
                path: /tmp/x
            routes:
              r:
                readers: [App, app]
                recorders: [out]
            """
        let configuration = try #require(loadConfiguration(yaml).configuration)
        #expect(configuration.readers.map(\.name) == ["App", "app"])
        #expect(configuration.reader(named: "app")?.interval == .seconds(1))
    }

    @Test func environmentSubstitutionInAnyValue() throws {
        let reader = "type: expvar\n    type_name: ${TYPE}\n    endpoint: ${HOST}:${PORT}\n    backoff: ${BACKOFF}"
        let result = loadConfiguration(
            configuration(reader: reader),
            environment: ["TYPE": "svc", "HOST": "10.0.0.1", "PORT": "8080", "BACKOFF": "7"])
        let loaded = try #require(result.configuration?.readers.first, "\(result.diagnostics)")
        #expect(loaded.typeName == "svc")
        #expect(loaded.url?.description == "http://10.0.0.1:8080/debug/vars")
        #expect(loaded.backoff == 7)
    }

    @Test func unsetVariableIsAnErrorNamingIt() {
        let result = loadConfiguration(
            configuration(recorder: "type: elasticsearch\n    endpoint: ${ES_HOST}\n    index_name: x"))
        #expect(result.configuration == nil)
        let error = result.errors.first { $0.path == "recorders.es.endpoint" }
        #expect(error?.code == .environment)
        #expect(error?.message.contains("ES_HOST") == true)
    }

    @Test func secretsAreNeverEchoedInDiagnostics() {
        let recorder =
            "type: elasticsearch\n    endpoint: h:1\n    index_name: x\n    username: u\n    password: hunter${2"
        let result = loadConfiguration(configuration(recorder: recorder))
        #expect(result.errors.map(\.path) == ["recorders.es.password"])
        #expect(!result.diagnostics.map(\.description).joined().contains("hunter"))
    }

    @Test func unknownKeysWarnWithSuggestions() throws {
        let result = loadConfiguration(configuration(settings: "debug_evel: info"))
        #expect(result.configuration != nil)
        let warning = try #require(result.warnings.first)
        #expect(warning.description == "settings.debug_evel: unknown key; did you mean log_level?")
        #expect(warning.formatted == "warning: settings.debug_evel: unknown key; did you mean log_level?")
        let reader = loadConfiguration(
            configuration(reader: "type: expvar\n    type_name: a\n    endpoint: h:1\n    intervall: 1s"))
        #expect(reader.warnings.map(\.description) == ["readers.app.intervall: unknown key; did you mean interval?"])
    }

    @Test func strictTurnsWarningsIntoErrors() {
        let result = loadConfiguration(configuration(settings: "debug_evel: info"), strict: true)
        #expect(result.configuration == nil)
        #expect(result.errors.map(\.path) == ["settings.debug_evel"])
        #expect(result.warnings.isEmpty)
    }

    @Test func keysOfAnotherTypeAreWarnedAbout() {
        let result = loadConfiguration(configuration(reader: "type: self\n    endpoint: localhost:1"))
        #expect(result.configuration != nil)
        #expect(result.warnings.map(\.description) == ["readers.app.endpoint: is not used by self readers (remove it)"])
        let recorder = loadConfiguration(configuration(recorder: "type: file\n    path: /tmp/x\n    bulk_max_docs: 3"))
        #expect(recorder.warnings.map(\.path) == ["recorders.es.bulk_max_docs"])
    }

    @Test func unusedRecorderIsAWarning() {
        let twoRoutes =
            "route1:\n    readers: [app]\n    recorders: [es]\n  route2:\n    readers: [app]\n    recorders: [es]"
        let both = loadConfiguration(configuration(routes: twoRoutes))
        #expect(both.diagnostics.isEmpty)
        #expect(both.configuration?.routes.count == 2)
        let unused = """
            readers:
              app: {type: self}
            recorders:
              es: {type: file, path: /tmp/a}
              spare: {type: file, path: /tmp/b}
            routes:
              r: {readers: app, recorders: es}
            """
        let result = loadConfiguration(unused)
        #expect(result.configuration != nil)
        #expect(
            result.warnings.map(\.description) == [
                "recorders.spare: not used by any route; it is validated but not run (add it to a route or remove it)"
            ])
    }

    @Test func duplicateNameMessageIsNotTheEmptyNameMessage() throws {
        let yaml = """
            readers:
              app: {type: self}
              app: {type: self}
              "": {type: self}
            recorders:
              es: {type: file, path: /tmp/a}
            routes:
              r: {readers: app, recorders: es}
            """
        let result = loadConfiguration(yaml)
        let duplicate = try #require(result.errors.first { $0.code == .duplicateName })
        let empty = try #require(result.errors.first { $0.code == .emptyName })
        #expect(duplicate.path == "readers.app")
        #expect(duplicate.message == "duplicate reader name (line 3; first defined at line 2)")
        #expect(empty.path == "readers")
        #expect(empty.message == "the reader at line 4 has an empty name")
        #expect(duplicate.message != empty.message)
    }

    @Test func collectsEveryProblemAtOnce() {
        let yaml = """
            settings:
              log_level: loud
            readers:
              A:
                type: expvar
                endpoint: "http://bad host"
                interval: 2
                interval: 3s
              B:
                type: expvr
            recorders:
              es:
                type: elasticsearch
                endpoint: 127.0.0.1:9200
              es2:
                type: elasticsearch
                endpoint: ftp://x
                index_name: Bad
            routes:
              r1:
                readers: [a]
                recorders: [es]
              r2:
                readers: []
                recorders: [nope]
            """
        let result = loadConfiguration(yaml)
        #expect(result.configuration == nil)
        let found = Set(result.errors.map { "\($0.code.rawValue) \($0.path)" })
        let expected: Set<String> = [
            "invalid_value settings.log_level",
            "duplicate_key readers.A.interval",
            "missing_key readers.A.type_name",
            "invalid_endpoint readers.A.endpoint",
            "invalid_duration readers.A.interval",
            "unknown_type readers.B.type",
            "missing_key recorders.es.index_name",
            "invalid_endpoint recorders.es2.endpoint",
            "invalid_index_name recorders.es2.index_name",
            "unknown_reference routes.r1.readers",
            "empty_route routes.r2.readers",
            "unknown_reference routes.r2.recorders",
        ]
        #expect(found == expected, "\(result.diagnostics.map(\.description))")
        #expect(result.errors.count == expected.count)
    }

    @Test(
        arguments: [
            (
                configuration(reader: "type: expvar\n    type_name: a\n    endpoint: h:1\n    interval: \"2\""),
                "readers.app.interval: \"2\" has no unit (try 2s)"
            ),
            (
                configuration(reader: "type: expvar\n    type_name: a\n    endpoint: h:1\n    interval: 2"),
                "readers.app.interval: \"2\" has no unit (try 2s)"
            ),
            (
                configuration(reader: "type: expvar\n    type_name: a\n    endpoint: h:1\n    timeout: 0s"),
                "readers.app.timeout: \"0s\" must be greater than zero (use a positive duration such as 10s)"
            ),
            (
                configuration(reader: "type: expvar\n    type_name: a\n    endpoint: h:1\n    interval: -5s"),
                "readers.app.interval: \"-5s\" must be greater than zero (use a positive duration such as 10s)"
            ),
            (
                configuration(reader: "type: expvar\n    type_name: a\n    endpoint: h:1\n    interval: 3sec"),
                "readers.app.interval: \"3sec\" has unknown unit \"sec\" (use ns, us, ms, s, m or h)"
            ),
            (
                configuration(reader: "type: expvar\n    endpoint: h:1"),
                "readers.app.type_name: missing required key (type_name becomes the documents' type field, e.g. my_app)"
            ),
            (
                configuration(reader: "type: expvar\n    type_name: a"),
                "readers.app.endpoint: missing required key (where the expvar page is served, e.g. localhost:1234)"
            ),
            (
                configuration(reader: "type_name: a"),
                "readers.app.type: missing required key (use expvar, self or prometheus)"
            ),
            (
                configuration(reader: "type: promethus"),
                "readers.app.type: unknown reader type \"promethus\" (did you mean prometheus? reader types: expvar, self, prometheus)"
            ),
            (
                configuration(reader: "type: expvar\n    type_name: a\n    endpoint: \"gopher://x\""),
                "readers.app.endpoint: \"gopher://x\" has unknown scheme \"gopher\" (use http or https) (use host:port, host:port/path or http(s)://host:port)"
            ),
            (
                configuration(reader: "type: expvar\n    type_name: a\n    endpoint: [a, b]"),
                "readers.app.endpoint: expected one URL, got a list"
            ),
            (
                configuration(reader: "type: expvar\n    type_name: a\n    endpoint: h:1\n    backoff: \"10\""),
                "readers.app.backoff: expected a whole number, got \"10\" (remove the quotes)"
            ),
            (
                configuration(reader: "type: expvar\n    type_name: a\n    endpoint: h:1\n    backoff: 0"),
                "readers.app.backoff: 0 is out of range (at least 1)"
            ),
            (
                configuration(reader: "type: expvar\n    type_name: a\n    endpoint: h:1\n    log_level: loud"),
                "readers.app.log_level: unknown log level \"loud\" (use debug, info, warn or error)"
            ),
            (
                configuration(reader: "type: expvar\n    type_name: {a: b}\n    endpoint: h:1"),
                "readers.app.type_name: expected a single value, got a mapping"
            ),
            (
                configuration(reader: "type: expvar\n    type_name: a\n    endpoint: h:1\n    headers: [x]"),
                "readers.app.headers: expected a mapping of header names to values, got a list"
            ),
            (
                configuration(recorder: "type: elasticsearch\n    index_name: x"),
                "recorders.es.endpoint: missing required key (set endpoint: 127.0.0.1:9200, or endpoints: [a:9200, b:9200])"
            ),
            (
                configuration(recorder: "type: elasticsearch\n    endpoint: h:1"),
                "recorders.es.index_name: missing required key (e.g. index_name: expvastic-%{+yyyy.MM.dd})"
            ),
            (
                configuration(recorder: "type: elasticsearch\n    endpoint: h:1\n    index_name: _bad"),
                "recorders.es.index_name: index name \"_bad\" must not start with \"_\""
            ),
            (
                configuration(
                    recorder: "type: elasticsearch\n    endpoint: h:1\n    endpoints: [h:2]\n    index_name: x"),
                "recorders.es.endpoints: endpoint and endpoints are both set (use endpoint for one cluster node or endpoints for several)"
            ),
            (
                configuration(
                    recorder: "type: elasticsearch\n    endpoint: h:1\n    index_name: x\n    bulk_max_bytes: 5 parsecs"
                ),
                "recorders.es.bulk_max_bytes: \"5 parsecs\" has unknown unit \"parsecs\" (use bytes or a unit: 512KB, 5MiB, 1GiB)"
            ),
            (
                configuration(recorder: "type: elasticsearch\n    endpoint: h:1\n    index_name: x\n    template: yes"),
                "recorders.es.template: expected true or false, got \"yes\""
            ),
            (
                configuration(recorder: "type: elasticsearch\n    endpoint: h:1\n    index_name: x\n    username: u"),
                "recorders.es.password: missing (username is set) (set password, e.g. password: ${ES_PASSWORD})"
            ),
            (
                configuration(recorder: "type: elasticsearch\n    endpoint: \"https://u:p4ss@h\"\n    index_name: x"),
                "recorders.es.endpoint: \"https://******@h\" has credentials in the URL (use username/password or api_key) (use host:port, host:port/path or http(s)://host:port)"
            ),
            (
                configuration(recorder: "type: file"),
                "recorders.es.path: missing required key (where to write, e.g. ./data/expvastic.ndjson)"
            ),
            (
                configuration(recorder: "type: elastic"),
                "recorders.es.type: unknown recorder type \"elastic\" (did you mean elasticsearch? recorder types: elasticsearch, file)"
            ),
            (
                configuration(routes: "r:\n    readers: [app]\n    recorders: [ES]"),
                "routes.r.recorders: unknown recorder \"ES\" (did you mean es?; names are case-sensitive)"
            ),
            (
                configuration(routes: "r:\n    readers: [ghost]\n    recorders: [es]"),
                "routes.r.readers: unknown reader \"ghost\" (defined readers: app)"
            ),
            (
                configuration(routes: "r:\n    readers: [app]"),
                "routes.r.recorders: route has no recorders (list at least one recorder name, e.g. recorders: [es])"
            ),
            (
                configuration(routes: "r:"),
                "routes.r: route has no readers and no recorders (set readers: [...] and recorders: [...])"
            ),
            (
                configuration(routes: "r:\n    readers: [[app]]\n    recorders: [es]"),
                "routes.r.readers[0]: expected a name, got a list"
            ),
            (
                configuration(settings: "http:\n    listen: nonsense"),
                "settings.http.listen: \"nonsense\" has no port (use host:port such as 127.0.0.1:9800, or \"\" to disable)"
            ),
            (
                configuration(settings: "shutdown_timeout: 10"),
                "settings.shutdown_timeout: \"10\" has no unit (try 10s)"
            ),
        ] as [(String, String)])
    func reportsOneProblem(yaml: String, expected: String) {
        let result = loadConfiguration(yaml)
        #expect(result.configuration == nil)
        #expect(result.errors.map(\.description) == [expected])
    }

    @Test func missingSections() {
        let result = loadConfiguration("settings:\n  log_level: info\n")
        #expect(
            result.errors.map(\.description) == [
                "readers: missing section (add a readers: mapping with at least one reader)",
                "recorders: missing section (add a recorders: mapping with at least one recorder)",
                "routes: missing section (add routes: {route1: {readers: [a_reader], recorders: [a_recorder]}})",
            ])
        #expect(result.errors.allSatisfy { $0.code == .missingSection })
    }

    @Test func emptySectionsAndWrongShapes() {
        let result = loadConfiguration("readers:\nrecorders: {}\nroutes: [a, b]\n")
        #expect(
            result.errors.map { "\($0.code.rawValue) \($0.path)" } == [
                "empty_section readers", "empty_section recorders", "wrong_type routes",
            ])
        #expect(loadConfiguration("- just\n- a list\n").errors.map(\.code) == [.wrongType])
        #expect(loadConfiguration("# nothing\n").errors.map(\.code) == [.fileEmpty])
    }

    @Test func yamlSyntaxErrorNamesLineAndColumn() throws {
        let result = loadConfiguration("readers:\n  app:\n    type: self\n   bad: indent\n")
        let error = try #require(result.errors.first)
        #expect(result.errors.count == 1)
        #expect(error.code == .yamlSyntax)
        #expect(error.line == 4)
        #expect(error.message.hasPrefix("YAML syntax error at line 4, column 4: "))
    }

    @Test func duplicateKeyIsReportedAlongsideOtherProblems() {
        let result = loadConfiguration(
            configuration(
                reader: "type: expvar\n    type_name: a\n    type_name: b\n    endpoint: h:1\n    interval: 2"))
        #expect(
            result.errors.map(\.description) == [
                "readers.app.type_name: duplicate key (line 7; first written at line 6) (keep only one)",
                "readers.app.interval: \"2\" has no unit (try 2s)",
            ])
    }

    @Test func anchorsShareReaderSettings() throws {
        let yaml = """
            readers:
              base: &base
                type: expvar
                type_name: go
                interval: 5s
                endpoint: a:1
              other:
                <<: *base
                endpoint: b:2
            recorders:
              out: {type: file, path: /tmp/x}
            routes:
              r: {readers: [base, other], recorders: out}
            """
        let configuration = try #require(loadConfiguration(yaml).configuration)
        #expect(configuration.reader(named: "other")?.interval == .seconds(5))
        #expect(configuration.reader(named: "other")?.url?.description == "http://b:2/debug/vars")
    }
}
