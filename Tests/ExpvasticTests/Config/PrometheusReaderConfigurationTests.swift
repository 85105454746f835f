import Expvastic
import ExpvasticTestSupport
import Testing

@Suite struct PrometheusReaderConfigurationTests {
    @Test func defaultsRoutePathTypeNameAndLimits() throws {
        let result = loadConfiguration(configuration(reader: "type: prometheus\n    endpoint: localhost:9100"))
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let reader = try #require(result.configuration?.reader(named: "app"))
        #expect(reader.kind == .prometheus)
        #expect(reader.url?.description == "http://localhost:9100/metrics")
        #expect(reader.typeName == "prometheus")
        #expect(reader.prometheus == PrometheusReaderLimits())
        #expect(reader.prometheus.maxSeries == 10_000)
        #expect(reader.prometheus.maxLabels == 64)
        #expect(reader.prometheus.maxLabelValueBytes == 2048)
    }

    @Test func everyPrometheusKey() throws {
        let reader = """
            type: prometheus
                type_name: node
                endpoint: localhost:9100
                routepath: /federate
                include: [node_*]
                exclude: [node_scrape_*]
                max_series: 500
                max_labels: 8
                max_label_value_bytes: 1KiB
                max_body_bytes: 4MiB
                headers:
                  Authorization: Bearer t
            """
        let result = loadConfiguration(configuration(reader: reader))
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let loaded = try #require(result.configuration?.reader(named: "app"))
        #expect(loaded.typeName == "node")
        #expect(loaded.url?.description == "http://localhost:9100/federate")
        #expect(loaded.include == ["node_*"])
        #expect(loaded.exclude == ["node_scrape_*"])
        #expect(loaded.prometheus.maxSeries == 500)
        #expect(loaded.prometheus.maxLabels == 8)
        #expect(loaded.prometheus.maxLabelValueBytes == 1024)
        #expect(loaded.maxBodyBytes == 4 << 20)
        #expect(loaded.headers["Authorization"]?.value == "Bearer t")
    }

    @Test func prometheusKeysOnAnExpvarReaderWarn() throws {
        let result = loadConfiguration(
            configuration(reader: "type: expvar\n    type_name: a\n    endpoint: localhost:1234\n    max_series: 5"))
        #expect(result.configuration != nil)
        #expect(
            result.diagnostics.map(\.description) == [
                "readers.app.max_series: is only used by prometheus readers (remove it)"
            ])
    }

    @Test func badLimitsAreErrorsWithTheirPath() {
        let result = loadConfiguration(
            configuration(
                reader: "type: prometheus\n    endpoint: localhost:9100\n    max_series: 0\n    max_labels: x"))
        #expect(result.configuration == nil)
        let paths = result.diagnostics.map(\.path)
        #expect(paths.contains("readers.app.max_series"))
        #expect(paths.contains("readers.app.max_labels"))
    }
}
