import Expvastic
import Foundation
import Testing

/// `split` (issue 12, item 5): one document per entity of a keyed collection.
@Suite struct SplitConfigurationTests {
    typealias H = ReaderHarness

    static func reader(_ split: SplitConfiguration) -> (ExpvarReader, MetricsRegistry) {
        var configuration = H.configuration()
        configuration.split = split
        let metrics = MetricsRegistry()
        let reader = ExpvarReader(
            configuration: configuration, transport: FakeTransport(), metrics: metrics,
            logger: Logger(component: "test", level: .error, handler: NoOpLogHandler()))
        return (reader, metrics)
    }

    static let influx = """
        {"cmdline":["influxd"],"memstats":{"Alloc":1,"NumGC":0},
         "shard:/var/lib/influxdb/data/telegraf/autogen/1:1":{"name":"shard","tags":{"database":"telegraf","id":"1"},
           "values":{"writeBytes":10,"seriesCreate":2}},
         "database:telegraf":{"name":"database","tags":{"database":"telegraf"},"values":{"numSeries":7}},
         "httpd:127.0.0.1:8086":{"name":"httpd","tags":{"bind":"127.0.0.1:8086"},"values":{"req":3,"reqDurationNs":5.5}},
         "notstats":{"x":1}}
        """

    @Test func influxDBPresetMakesOneDocumentPerStatistic() throws {
        let (reader, _) = Self.reader(.influxDB)
        let documents = try reader.documents(fromBody: Array(Self.influx.utf8), startedAtWallNanos: H.start)
        #expect(documents.count == 4)
        let main = try H.fields(documents[0])
        #expect(main["memstats.Alloc"] as? Int == 1)
        #expect(main["notstats.x"] as? Int == 1)
        #expect(main.keys.allSatisfy { !$0.hasPrefix("shard") && !$0.hasPrefix("httpd") })
        let shard = try H.fields(documents[1])
        #expect(shard["entity"] as? String == "shard:/var/lib/influxdb/data/telegraf/autogen/1:1")
        #expect(shard["name"] as? String == "shard")
        #expect(shard["tags.database"] as? String == "telegraf")
        #expect(shard["values.writeBytes"] as? Int == 10)
        #expect(shard["values.seriesCreate"] as? Int == 2)
        #expect(shard["reader"] as? String == "FirstApp")
        #expect(shard["@timestamp"] as? String == "2026-11-21T18:00:00.123Z")
        let httpd = try H.fields(documents[3])
        #expect(httpd["entity"] as? String == "httpd:127.0.0.1:8086")
        #expect(httpd["values.reqDurationNs"] as? Double == 5.5)
        // Ids from (reader, endpoint, entity key, timestamp): distinct and stable.
        #expect(
            documents[1].id
                == DocumentID.make(
                    reader: "FirstApp", endpoint: "http://localhost:1234/debug/vars",
                    entity: "shard:/var/lib/influxdb/data/telegraf/autogen/1:1", timestampMillis: 1_795_284_000_123))
        #expect(Set(documents.map(\.id)).count == 4)
        let again = try reader.documents(fromBody: Array(Self.influx.utf8), startedAtWallNanos: H.start)
        #expect(again.map(\.id) == documents.map(\.id))
        #expect(again.map(\.body) == documents.map(\.body))
    }

    @Test func natsConnectionsArrayWithANamedIDField() throws {
        let (reader, metrics) = Self.reader(
            SplitConfiguration(membersOf: "connections", idField: "cid", keyField: "conn"))
        let body = """
            {"server_id":"N1","num_connections":2,"connections":[
              {"cid":5,"ip":"127.0.0.1","port":50001,"in_msgs":10,"subscriptions_list":["a","b"]},
              {"cid":9,"ip":"127.0.0.1","port":50002,"in_msgs":20,"rtt":"1.2ms"},
              {"ip":"no id"}, 7]}
            """
        let documents = try reader.documents(fromBody: Array(body.utf8), startedAtWallNanos: H.start)
        #expect(documents.count == 3)
        let main = try H.fields(documents[0])
        #expect(main["num_connections"] as? Int == 2)
        #expect(main.keys.allSatisfy { !$0.hasPrefix("connections") })
        let first = try H.fields(documents[1])
        #expect(first["conn"] as? String == "5")
        #expect(first["cid"] as? Int == 5)
        #expect(first["in_msgs"] as? Int == 10)
        #expect(first["subscriptions_list"] as? [String] == ["a", "b"])
        let second = try H.fields(documents[2])
        #expect(second["conn"] as? String == "9")
        #expect(second["rtt"] as? String == "1.2ms")
        #expect(H.dropped(metrics, "object_array") == 2)
    }

    @Test func configurationAcceptsAPresetOrAMapping() throws {
        let preset = loadConfiguration(
            configuration(
                reader: "type: expvar\n    type_name: influx\n    endpoint: localhost:8086\n    split: influxdb"))
        #expect(preset.diagnostics.isEmpty, "\(preset.diagnostics)")
        #expect(try #require(preset.configuration?.reader(named: "app")).split == .influxDB)
        let mapping = loadConfiguration(
            configuration(
                reader: "type: expvar\n    type_name: nats\n    endpoint: localhost:8222/connz\n"
                    + "    split: {members_of: connections, id_field: cid}"))
        #expect(mapping.diagnostics.isEmpty, "\(mapping.diagnostics)")
        #expect(
            try #require(mapping.configuration?.reader(named: "app")).split
                == SplitConfiguration(membersOf: "connections", idField: "cid"))
        let unknown = loadConfiguration(
            configuration(reader: "type: expvar\n    type_name: x\n    endpoint: localhost:1\n    split: influx"))
        #expect(unknown.configuration == nil)
        #expect(unknown.diagnostics.map(\.description).joined().contains("unknown split preset \"influx\""))
    }
}
