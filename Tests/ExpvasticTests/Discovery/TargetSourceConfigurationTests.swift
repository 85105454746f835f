import Expvastic
import Testing

@Suite struct TargetSourceConfigurationTests {
    @Test func aJobLoadsEverySourceWithItsDefaults() throws {
        let reader = """
            type: expvar
                type_name: api
                routepath: /debug/vars
                targets:
                  - static: [10.0.0.5:8080, 10.0.0.6:8080]
                  - file: {paths: [/etc/expvastic/targets/*.json]}
                  - dns: {names: [_api._tcp.service.consul], type: srv, refresh: 10s, nameserver: "127.0.0.1:5353"}
                  - dns: {names: [api.internal], type: A, port: 9000}
                  - http: {url: "http://cmdb:8080/sd"}
            """
        let result = loadConfiguration(configuration(reader: reader))
        #expect(result.errors.isEmpty, "\(result.errors)")
        let job = try #require(result.configuration?.reader(named: "app"))
        #expect(job.url == nil)
        #expect(job.routePath == "/debug/vars")
        var file = TargetSourceConfiguration.File(paths: ["/etc/expvastic/targets/*.json"])
        file.refresh = .seconds(30)
        var srv = TargetSourceConfiguration.DNS(names: ["_api._tcp.service.consul"])
        srv.refresh = .seconds(10)
        srv.nameserver = "127.0.0.1:5353"
        var a = TargetSourceConfiguration.DNS(names: ["api.internal"])
        a.type = .a
        a.port = 9000
        let http = TargetSourceConfiguration.HTTP(url: try Endpoint.parse("http://cmdb:8080/sd").get())
        #expect(
            job.targets == [
                .static(addresses: ["10.0.0.5:8080", "10.0.0.6:8080"]), .file(file), .dns(srv), .dns(a), .http(http),
            ])
        let check = CheckReport(configuration: try #require(result.configuration)).lines
        #expect(check.contains("    targets: dns A api.internal port 9000 every 30s"))
        #expect(check.contains { $0.hasPrefix("  app: expvar job (5 target sources, routepath /debug/vars)") })
    }

    @Test(arguments: [
        (
            "endpoint: localhost:1234\n    targets:\n      - static: [a:1]",
            "readers.app.targets: a reader has either endpoint or targets"
        ),
        ("targets: []", "readers.app.targets: is empty"),
        ("targets:\n      - consul: {names: [x]}", "readers.app.targets[0].consul: unknown target source"),
        ("targets:\n      - dns: {names: [x], type: A}", "readers.app.targets[0].dns.port: missing required key"),
        (
            "targets:\n      - dns: {names: [x], type: MX}",
            "readers.app.targets[0].dns.type: unknown record type \"MX\""
        ),
        ("targets:\n      - dns: {names: [x], nameserver: dns.local}", "readers.app.targets[0].dns.nameserver:"),
        ("targets:\n      - file: {refresh: 30s}", "readers.app.targets[0].file.paths: missing required key"),
        ("targets:\n      - file: {paths: [a.json], refresh: 30}", "readers.app.targets[0].file.refresh:"),
        ("targets:\n      - http: {}", "readers.app.targets[0].http.url: missing required key"),
        (
            "targets:\n      - static: [\"bad host:1\"]",
            "readers.app.targets[0].static[0]: \"bad host:1\" is not an address"
        ),
    ])
    func badSourcesAreErrorsThatNameTheirPath(body: String, message: String) {
        let result = loadConfiguration(configuration(reader: "type: expvar\n    type_name: api\n    " + body))
        #expect(result.configuration == nil)
        #expect(result.errors.contains { $0.description.contains(message) }, "\(result.errors)")
    }
}
