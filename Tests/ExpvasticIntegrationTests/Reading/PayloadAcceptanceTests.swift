import Expvastic
import ExpvasticTestSupport
import Foundation
import Synchronization
import Testing

/// Issue 12's acceptance against real processes: `expvasyml` polls payloads that used to cost whole
/// documents (identity keys, type changes, leaf/object collisions, refused names) and ships them
/// to osmem-server; every poll must be indexed.
@Suite struct PayloadAcceptanceTests {
    /// Serves the payloads; counts the polls of each path.
    final class PayloadServer: Sendable {
        final class Polls: Sendable {
            let counts = Mutex<[String: Int]>([:])
        }

        let server: RawTCPServer
        private let polls = Polls()

        init() throws {
            let polls = self.polls
            server = try RawTCPServer { connection in
                while let request = connection.readRequest() {
                    let poll = polls.counts.withLock { polls -> Int in
                        polls[request.target, default: 0] += 1
                        return polls[request.target]! - 1
                    }
                    let body = PayloadServer.body(for: request.target, poll: poll)
                    guard
                        connection.write(
                            RawTCPServer.response(headers: ["Content-Type: application/json"], text: body))
                    else { return }
                }
            }
        }

        func polls(_ path: String) -> Int { polls.counts.withLock { $0[path] ?? 0 } }

        static func body(for path: String, poll: Int) -> String {
            switch path {
            case "/identities", "/identities-split":
                // 60 InfluxDB-style statistics of 100 values: 6,000 values (6,180 mapping fields).
                return "{"
                    + (0..<60).map { shard in
                        let values = (0..<100).map { "\"v\($0)\":\(poll + $0)" }.joined(separator: ",")
                        return "\"shard:/var/lib/influxdb/data/telegraf/autogen/\(shard):\(shard)\":"
                            + "{\"name\":\"shard\",\"tags\":{\"id\":\"\(shard)\"},\"values\":{\(values)}}"
                    }.joined(separator: ",") + "}"
            case "/cycling":
                // A value whose kind changes every poll, a leaf/object collision that alternates, one
                // inside every document, and a field that always ships.
                let kinds = ["1", "\"s\"", "true"]
                let hosts = poll % 2 == 0 ? "{\"db1\":1}" : "{\"db1.example.com\":2}"
                return "{\"v\":\(kinds[poll % 3]),\"hosts\":\(hosts),\"x\":1,\"x.y\":2,\"n\":\(poll)}"
            default:
                return #"{"a..b":1," ":2,"x":{" ":1,"ok":1},"_id":3,"_source":{"n":1},"ok":\#(poll)}"#
            }
        }
    }

    static func yaml(server: Int, cluster: Endpoint, monitoring: Int, spool: String) -> String {
        let readers = [
            ("identities", "/identities", "1s", ""), ("split", "/identities-split", "1s", "\n    split: influxdb"),
            ("cycling", "/cycling", "200ms", ""), ("invalid", "/invalid", "200ms", ""),
        ]
        var text = "settings:\n  log_level: warn\n  http:\n    listen: 127.0.0.1:\(monitoring)\nreaders:\n"
        for (name, path, interval, extra) in readers {
            text +=
                "  \(name):\n    type: expvar\n    type_name: \(name)\n    endpoint: 127.0.0.1:\(server)\n"
                + "    routepath: \(path)\n    interval: \(interval)\(extra)\n"
        }
        text += "recorders:\n"
        for (name, _, _, _) in readers {
            text +=
                "  es_\(name):\n    type: elasticsearch\n    endpoint: \(cluster.description)\n"
                + "    index_name: accept-\(name)\n    flush_interval: 100ms\n    spool_dir: \(spool)/\(name)\n"
        }
        text += "routes:\n"
        for (name, _, _, _) in readers { text += "  r_\(name):\n    readers: [\(name)]\n    recorders: [es_\(name)]\n" }
        return text
    }

    static func counter(_ metrics: String, _ name: String, reader: String, reason: String) -> Int {
        for line in metrics.split(separator: "\n") where line.hasPrefix("expvastic_" + name + "_total{") {
            guard line.contains("reader=\"\(reader)\""), line.contains("reason=\"\(reason)\"") else { continue }
            return Int(Double(line.split(separator: " ").last ?? "") ?? -1)
        }
        return 0
    }

    @Test(.timeLimit(.minutes(2))) func everyPollIsIndexed() async throws {
        try await withTemporaryDirectory(prefix: "expvastic-payloads") { directory in
            let cluster = try await OsmemServer()
            defer { cluster.stop() }
            let payloads = try PayloadServer()
            defer { payloads.server.stop() }
            let monitoring = try FreePort.pick()
            let config = directory + "/expvastic.yml"
            try Self.yaml(
                server: payloads.server.port, cluster: cluster.endpoint, monitoring: monitoring, spool: directory
            )
            .write(toFile: config, atomically: true, encoding: .utf8)
            let process = try ExpvasymlBinary.spawn(arguments: ["-c", config])
            try await eventually("50 polls of the cycling body", timeout: .seconds(60), interval: .milliseconds(100)) {
                payloads.polls("/cycling") >= 50
            }
            // Every poll served so far must arrive (the process keeps running meanwhile).
            let served = (
                identities: payloads.polls("/identities"), split: payloads.polls("/identities-split"),
                cycling: payloads.polls("/cycling"), invalid: payloads.polls("/invalid")
            )
            func countAll() async throws -> (identities: Int, split: Int, cycling: Int, invalid: Int) {
                (
                    try await cluster.count(index: "accept-identities"),
                    try await cluster.count(index: "accept-split"),
                    try await cluster.count(index: "accept-cycling"),
                    try await cluster.count(index: "accept-invalid")
                )
            }
            var counts = try await countAll()
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                counts = try await countAll()
                if counts.identities >= served.identities, counts.split >= served.split * 61,
                    counts.cycling >= served.cycling, counts.invalid >= served.invalid
                {
                    break
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            let metrics = try await HTTPGet.get(URL(string: "http://127.0.0.1:\(monitoring)/metrics")!).text
            process.signal(SIGTERM)
            #expect(try await process.waitForExit(timeout: .seconds(20)) == 0, "stderr:\n\(process.stderr)")
            let (identities, split, cycling, invalid) = served
            let indexed = counts
            print(
                "payload acceptance: polls \(served); indexed \(indexed); stderr:\n\(process.stderr)")
            // Identity keys: ≥ 99 % of polls indexed, the budget drop counted and warned once.
            #expect(Double(indexed.identities) >= 0.99 * Double(identities))
            #expect(Self.counter(metrics, "fields_dropped", reader: "identities", reason: "budget") > 0)
            #expect(process.stderr.components(separatedBy: "budget 1,996").count - 1 == 1)
            // With split: one document per statistic plus the main one, every value kept.
            #expect(Double(indexed.split) >= 0.99 * Double(split * 61))
            #expect(Self.counter(metrics, "fields_dropped", reader: "split", reason: "budget") == 0)
            // Type changes and collisions on every poll: every poll indexed, the drops counted.
            #expect(indexed.cycling >= cycling)
            #expect(Self.counter(metrics, "fields_dropped", reader: "cycling", reason: "type_conflict") > 0)
            #expect(Self.counter(metrics, "fields_dropped", reader: "cycling", reason: "conflict") > 0)
            // Refused names: nothing rejected, all counted.
            #expect(indexed.invalid >= invalid)
            #expect(Self.counter(metrics, "fields_dropped", reader: "invalid", reason: "invalid_key") >= 5)
            for name in ["identities", "split", "cycling", "invalid"] {
                #expect(!FileManager.default.fileExists(atPath: "\(directory)/\(name)/dead-letter.ndjson"), "\(name)")
            }
        }
    }
}
