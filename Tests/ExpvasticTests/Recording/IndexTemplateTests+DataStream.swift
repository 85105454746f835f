import Foundation
import Testing

@testable import Expvastic

/// Data streams, checked against Elasticsearch's documented request format (osmem-server 0.1.6,
/// the test cluster, answers every write to a data stream with "data streams are not supported by
/// osmem"): a composable template whose `index_patterns` match the stream and that has
/// `"data_stream": {}`, and `create` actions naming the stream.
extension IndexTemplateTests {
    static let stream = DataStream(type: "metrics", dataset: "expvar.app", namespace: "default")

    @Test func dataStreamTemplateIsComposableWithDataStreamObject() throws {
        let template = IndexTemplate(dataStream: Self.stream)
        #expect(template.path == "/_index_template/metrics-expvar.app")
        let root = try object(template)
        #expect(root["index_patterns"] as? [String] == ["metrics-expvar.app-*"])
        #expect((root["data_stream"] as? [String: Any])?.isEmpty == true)
        #expect(root["priority"] as? Int == 200)
        let properties = try #require(try mappings(template)["properties"] as? [String: [String: Any]])
        // A data stream refuses documents without a `@timestamp` date.
        #expect(properties["@timestamp"]?["type"] as? String == "date")
        // An ordinary template has no data_stream key.
        #expect(try object(IndexTemplate(indexPattern: "x-*", kind: .composable))["data_stream"] == nil)
    }

    @Test func dataStreamDocumentsAreCreatedInTheStream() throws {
        let encoder = BulkEncoder(indexName: try IndexName(Self.stream.name), version: nil)
        let document = Document(id: "id-1", timestampMillis: 1_795_284_000_000, reader: "r", body: Array("{}".utf8))
        #expect(
            String(decoding: encoder.encode([document]), as: UTF8.self)
                == "{\"create\":{\"_index\":\"metrics-expvar.app-default\",\"_id\":\"id-1\"}}\n{}\n")
    }

    @Test(arguments: [
        (ClusterVersion(distribution: .elasticsearch, major: 6, minor: 8), false),
        (ClusterVersion(distribution: .elasticsearch, major: 7, minor: 8), false),
        (ClusterVersion(distribution: .elasticsearch, major: 7, minor: 9), true),
        (ClusterVersion(distribution: .elasticsearch, major: 8, minor: 0), true),
        (ClusterVersion(distribution: .opensearch, major: 1, minor: 0), true),
    ])
    func dataStreamsNeedElasticsearch79OrOpenSearch(_ version: ClusterVersion, _ supported: Bool) {
        #expect(version.supportsDataStreams == supported)
        var policy = BulkPolicy(installsTemplate: false)
        policy.usesDataStream = true
        var machine = BulkStateMachine(policy: policy, endpointCount: 1, hasSpool: true, random: { $0.upperBound })
        _ = machine.nextActions(now: 0)
        machine.probeSucceeded(endpoint: 0, version: version, now: 0)
        #expect(machine.isReachable == supported)
        let logs = machine.nextActions(now: 0).actions.compactMap { action -> String? in
            if case .log(.clusterUnreachable(let reason)) = action { return reason }
            return nil
        }
        #expect(logs.count == (supported ? 0 : 1))
        if !supported { #expect(logs.first?.contains("has no data streams") == true) }
    }
}
