import Expvastic
import Testing

@Suite struct ConfigurationFlagsTests {
    @Test func buildsOneReaderAndOneRecorder() throws {
        let flags = FlagModeOptions(
            reader: "localhost:1234/debug/vars", recorder: "http://127.0.0.1:9200", index: "expvastic",
            interval: "1s", timeout: "3s")
        let result = Configuration.fromFlags(flags, environment: [:])
        let configuration = try #require(result.configuration, "\(result.diagnostics)")
        let reader = try #require(configuration.readers.first)
        #expect(configuration.readers.count == 1)
        #expect(reader.kind == .expvar)
        #expect(reader.url?.description == "http://localhost:1234/debug/vars")
        #expect(reader.interval == .seconds(1))
        #expect(reader.timeout == .seconds(3))
        let recorder = try #require(configuration.recorders.first)
        guard case .elasticsearch(let es) = recorder.kind else {
            Issue.record("expected elasticsearch")
            return
        }
        #expect(es.endpoints.map(\.description) == ["http://127.0.0.1:9200/"])
        #expect(es.indexName.pattern == "expvastic")
        #expect(Plan(configuration: configuration).lines == ["\(reader.name) -> \(recorder.name)"])
    }

    @Test func environmentFillsMissingFlagsAndFlagsWin() throws {
        let environment = [
            "READER": "app:8080", "RECORDER": "es:9200", "INDEX": "from-env", "INT": "5s", "TIMEOUT": "2s",
            "LOGLEVEL": "debug",
        ]
        let result = Configuration.fromFlags(
            FlagModeOptions(index: "from-flag", interval: "7s"), environment: environment)
        let configuration = try #require(result.configuration, "\(result.diagnostics)")
        #expect(configuration.readers.first?.url?.description == "http://app:8080/debug/vars")
        #expect(configuration.readers.first?.interval == .seconds(7))
        #expect(configuration.readers.first?.timeout == .seconds(2))
        #expect(configuration.settings.logLevel == .debug)
        guard case .elasticsearch(let es)? = configuration.recorders.first?.kind else {
            Issue.record("expected elasticsearch")
            return
        }
        #expect(es.indexName.pattern == "from-flag")
    }

    @Test func defaults() throws {
        let configuration = try #require(
            Configuration.fromFlags(FlagModeOptions(reader: "h:1", recorder: "e:2"), environment: [:]).configuration)
        #expect(configuration.readers.first?.interval == .seconds(10))
        #expect(configuration.readers.first?.timeout == .seconds(10))
        #expect(configuration.settings.logLevel == .info)
        #expect(configuration.settings.http.listen == "127.0.0.1:9800")
        guard case .elasticsearch(let es)? = configuration.recorders.first?.kind else {
            Issue.record("expected elasticsearch")
            return
        }
        #expect(es.spoolDirectory == "./data/spool/elasticsearch")
    }

    @Test func listenFlagAndVariableSetTheMonitoringEndpoint() throws {
        let base = FlagModeOptions(reader: "h:1", recorder: "e:2")
        func listen(_ flag: String?, environment: [String: String] = [:]) -> ConfigurationLoadResult {
            var flags = base
            flags.listen = flag
            return Configuration.fromFlags(flags, environment: environment)
        }
        #expect(listen("127.0.0.1:0").configuration?.settings.http.listen == "127.0.0.1:0")
        #expect(
            listen(nil, environment: ["LISTEN": "0.0.0.0:9900"]).configuration?.settings.http.listen == "0.0.0.0:9900")
        #expect(
            listen("127.0.0.1:9901", environment: ["LISTEN": "0.0.0.0:9900"]).configuration?.settings.http.listen
                == "127.0.0.1:9901")
        let off = try #require(listen("").configuration)
        #expect(off.settings.http.listen == nil)
        #expect(
            listen("localhost").errors.map(\.description) == [
                "-listen: \"localhost\" has no port (use host:port such as 127.0.0.1:9800, or \"\" to turn the monitoring endpoint off)"
            ])
        #expect(listen(nil, environment: ["LISTEN": "h:99999"]).errors.map(\.path) == ["LISTEN"])
    }

    @Test func collectsEveryProblemNamingFlagOrVariable() {
        let result = Configuration.fromFlags(
            FlagModeOptions(recorder: "ftp://x", index: "Bad", timeout: "3"), environment: ["INT": "0s"])
        #expect(result.configuration == nil)
        #expect(result.errors.map(\.path) == ["-reader", "-recorder", "-index", "INT", "-timeout"])
        #expect(result.errors.last?.description == "-timeout: \"3\" has no unit (try 3s)")
    }
}
