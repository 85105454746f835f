import Expvastic
import Testing

/// `recorders.<name>.compression` and `data_stream`.
extension ConfigurationLoaderTests {
    func elasticsearch(_ extra: String) -> ElasticsearchConfiguration? {
        let recorder = "type: elasticsearch\n    endpoint: 127.0.0.1:9200\n    index_name: expvastic" + extra
        guard
            case .elasticsearch(let es)? = loadConfiguration(configuration(recorder: recorder)).configuration?
                .recorders.first?.kind
        else { return nil }
        return es
    }

    @Test func compressionIsGzipUnlessSetToNone() throws {
        #expect(elasticsearch("")?.compression == .gzip)
        #expect(elasticsearch("\n    compression: gzip")?.compression == .gzip)
        #expect(elasticsearch("\n    compression: none")?.compression == ElasticsearchConfiguration.Compression.none)
    }

    @Test func unknownCompressionIsAnErrorSayingWhatToUse() throws {
        let recorder =
            "type: elasticsearch\n    endpoint: 127.0.0.1:9200\n    index_name: expvastic\n    compression: zstd"
        let result = loadConfiguration(configuration(recorder: recorder))
        #expect(result.configuration == nil)
        let error = try #require(result.errors.first { $0.path == "recorders.es.compression" })
        #expect(error.message == "unknown compression \"zstd\"")
        #expect(error.hint == "use gzip (the default) or none")
    }

    @Test func dataStreamNamesTheIndexAndDefaultsTypeAndNamespace() throws {
        let recorder = "type: elasticsearch\n    endpoint: 127.0.0.1:9200\n    data_stream: {dataset: expvar.app}"
        let result = loadConfiguration(configuration(recorder: recorder))
        guard case .elasticsearch(let es)? = result.configuration?.recorders.first?.kind else {
            Issue.record("\(result.diagnostics)")
            return
        }
        #expect(es.dataStream == DataStream(type: "metrics", dataset: "expvar.app", namespace: "default"))
        #expect(es.indexName.pattern == "metrics-expvar.app-default")
    }

    @Test func badDataStreamsAreErrorsWithTheirPaths() throws {
        func errors(_ body: String) -> [String] {
            let recorder = "type: elasticsearch\n    endpoint: 127.0.0.1:9200\n    " + body
            return loadConfiguration(configuration(recorder: recorder)).errors.map { $0.path + ": " + $0.message }
        }
        #expect(
            errors("index_name: x\n    data_stream: {dataset: app}") == [
                "recorders.es.data_stream: data_stream and index_name are both set"
            ])
        #expect(errors("data_stream: {namespace: prod}") == ["recorders.es.data_stream.dataset: missing required key"])
        #expect(
            errors("data_stream: {dataset: my-app, namespace: Prod}") == [
                "recorders.es.data_stream.dataset: \"my-app\" is not a data stream dataset",
                "recorders.es.data_stream.namespace: \"Prod\" is not a data stream namespace",
            ])
        #expect(errors("data_stream: metrics") == ["recorders.es.data_stream: expected a mapping, got a string"])
    }
}
