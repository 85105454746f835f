import Expvastic
import ExpvasticTestSupport
import Testing

@Suite struct CheckReportTests {
    @Test func summarisesAndPrintsThePlan() throws {
        let configuration = try #require(loadConfiguration(specExample).configuration)
        let lines = CheckReport(configuration: configuration).lines
        #expect(lines.first == "configuration is valid: 1 reader, 1 recorder, 1 route")
        #expect(lines.suffix(2) == ["plan (1 engine):", "  FirstApp -> main_elasticsearch"])
        #expect(
            lines.contains(
                "  FirstApp: expvar http://localhost:1234/debug/vars, type_name my_app1, interval 500ms, timeout 3s, backoff 10"
            ))
    }

    @Test func saysHowManyWarningsTheValidConfigurationHas() throws {
        let configuration = try #require(loadConfiguration(specExample).configuration)
        #expect(
            CheckReport(configuration: configuration, warnings: 2).lines.first
                == "configuration is valid, 2 warnings (use --strict to make them errors): 1 reader, 1 recorder, 1 route"
        )
        #expect(
            CheckReport(configuration: configuration, warnings: 1).lines.first
                == "configuration is valid, 1 warning (use --strict to make them errors): 1 reader, 1 recorder, 1 route"
        )
    }

    @Test func masksSecrets() throws {
        let yaml = configuration(
            reader: "type: expvar\n    type_name: a\n    endpoint: h:1\n    headers: {X-Token: sekrit1}",
            recorder:
                "type: elasticsearch\n    endpoint: h:2\n    index_name: x\n    username: u\n    password: sekrit2")
        let configuration = try #require(loadConfiguration(yaml).configuration)
        let text = CheckReport(configuration: configuration).lines.joined(separator: "\n")
        #expect(!text.contains("sekrit"))
        #expect(text.contains("headers X-Token=******"))
        #expect(text.contains("username u, password ******"))
    }
}
