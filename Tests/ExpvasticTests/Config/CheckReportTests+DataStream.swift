import Expvastic
import Testing

/// `--check` cannot ask the cluster its version, so it says what a data stream needs.
extension CheckReportTests {
    @Test func dataStreamAndCompressionAreShown() throws {
        let yaml = configuration(
            recorder:
                "type: elasticsearch\n    endpoint: h:2\n    data_stream: {dataset: expvar.app}\n    compression: none")
        let configuration = try #require(loadConfiguration(yaml).configuration)
        let text = CheckReport(configuration: configuration).lines.joined(separator: "\n")
        #expect(
            text.contains(
                "data_stream metrics-expvar.app-default (needs Elasticsearch 7.9+ or OpenSearch, checked at start-up)"))
        #expect(text.contains("compression none"))
    }
}
