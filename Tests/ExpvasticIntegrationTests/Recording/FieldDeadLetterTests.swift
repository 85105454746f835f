import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// Issue 12, item 4, against real processes: the index exists before `expvasyml` starts, created
/// by "another tool", and cannot take some fields the Go test program emits. Every document must
/// be indexed without those fields, the fields and the cluster's reason must be in the dead-letter
/// file, and the reader must learn them (later polls leave them out instead of being refused again).
@Suite struct FieldDeadLetterTests {
    /// What a run left behind.
    struct Run {
        var written: Int
        var hits: [[String: Any]]
        var letters: [[String: Any]]
        var metrics: String
        var stderr: String
    }

    /// Creates `index` with `body`, runs `expvasyml` (an expvar reader of the Go program every
    /// 100 ms into the index and into a file) until 30 documents are indexed, stops it with SIGTERM.
    static func run(index: String, creating body: String) async throws -> Run {
        var result: Run?
        try await withTemporaryDirectory(prefix: "expvastic-field-dead-letters") { directory in
            let cluster = try await OsmemServer()
            defer { cluster.stop() }
            let program = try await GoExpvarProgram.start()
            defer { program.stop() }
            _ = try await cluster.json("/\(index)", method: "PUT", body: Array(body.utf8))
            let monitoring = try FreePort.pick()
            let config = directory + "/expvastic.yml"
            let file = directory + "/documents.ndjson"
            try """
            settings:
              log_level: warn
              http:
                listen: 127.0.0.1:\(monitoring)
            readers:
              go:
                type: expvar
                type_name: go
                endpoint: \(program.endpoint)
                interval: 100ms
            recorders:
              es:
                type: elasticsearch
                endpoint: \(cluster.endpoint.description)
                index_name: \(index)
                flush_interval: 100ms
                spool_dir: \(directory)/spool
              copy:
                type: file
                path: \(file)
            routes:
              all:
                readers: [go]
                recorders: [es, copy]
            """.write(toFile: config, atomically: true, encoding: .utf8)
            let process = try ExpvasymlBinary.spawn(arguments: ["-c", config])
            try await eventually("30 documents indexed", timeout: .seconds(60), interval: .milliseconds(100)) {
                (try? await cluster.count(index: index)) ?? 0 >= 30
            }
            let metrics = try await HTTPGet.get(URL(string: "http://127.0.0.1:\(monitoring)/metrics")!).text
            process.signal(SIGTERM)
            #expect(try await process.waitForExit(timeout: .seconds(20)) == 0, "stderr:\n\(process.stderr)")
            // Every document the reader produced (the file recorder has each one).
            let written = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").count / 2
            let search = try await cluster.json("/\(index)/_search?size=10000")
            let hits = try #require((search["hits"] as? [String: Any])?["hits"] as? [[String: Any]])
            let letters = try String(contentsOfFile: directory + "/spool/dead-letter.ndjson", encoding: .utf8)
                .split(separator: "\n").map { line in
                    try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                }
            print("field dead letters (\(index)): \(written) written, \(hits.count) indexed, \(letters.count) letters")
            result = Run(
                written: written, hits: hits.compactMap { $0["_source"] as? [String: Any] }, letters: letters,
                metrics: metrics, stderr: process.stderr)
        }
        return try #require(result)
    }

    /// What every scenario must show: all documents indexed, the letters name only `removed` fields
    /// and carry `reason`, the reader learned (a few letters, not one per poll).
    static func check(_ run: Run, removed: (String) -> Bool, reason: String) throws {
        #expect(run.written >= 30)
        #expect(run.hits.count == run.written)
        for source in run.hits { #expect(source["memstats.Alloc"] is NSNumber, "\(source.keys.sorted())") }
        #expect(!run.letters.isEmpty)
        var fields = 0
        for letter in run.letters {
            let values = try #require(letter["removed_fields"] as? [String: Any], "\(letter)")
            #expect(!values.isEmpty && values.keys.allSatisfy(removed), "\(values.keys.sorted())")
            fields += values.count
            #expect(letter["document"] == nil)
            #expect(letter["resent"] as? Bool == true)
            let text = (letter["error"] as? [String: Any])?["reason"] as? String ?? ""
            #expect(text.contains(reason), "\(text)")
        }
        // Only documents already on their way when the first refusal came back were refused; the
        // later polls left the fields out themselves.
        #expect(run.letters.count <= 5, "the reader did not learn: \(run.letters.count) refusals")
        #expect(Self.counter(run.metrics, "fields_dead_lettered") == fields)
        // No document went to the dead-letter file whole.
        #expect(Self.counter(run.metrics, "docs_dead_lettered") == 0)
    }

    /// A counter of recorder `es` on `/metrics` (0 when not listed).
    static func counter(_ metrics: String, _ name: String) -> Int {
        let prefix = "expvastic_\(name)_total{recorder=\"es\"} "
        guard let line = metrics.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return 0 }
        return Int(Double(line.dropFirst(prefix.count)) ?? -1)
    }

    @Test(.timeLimit(.minutes(2))) func aFieldTheIndexMapsDifferentlyCostsOnlyThatField() async throws {
        let run = try await Self.run(
            index: "conflict-go",
            creating: #"{"mappings":{"properties":{"memstats":{"properties":{"HeapAlloc":{"type":"boolean"}}}}}}"#)
        try Self.check(
            run, removed: { $0 == "memstats.HeapAlloc" },
            reason: "failed to parse field [memstats.HeapAlloc] of type [boolean]")
        for source in run.hits { #expect(source["memstats.HeapAlloc"] == nil) }
        // Pinned as a boolean: the reader's later numbers there are type conflicts.
        #expect(
            PayloadAcceptanceTests.counter(run.metrics, "fields_dropped", reader: "go", reason: "type_conflict") >= 20)
        #expect(run.stderr.components(separatedBy: "the cluster refused field memstats.HeapAlloc").count == 2)
    }

    @Test(.timeLimit(.minutes(2))) func atTheFieldLimitOnlyTheFieldsWithoutRoomAreLeftOut() async throws {
        // Another tool made the index with room for these 7 fields only (4 + memstats + 2).
        let mapped = ["@timestamp", "type", "reader", "endpoint", "memstats.Alloc", "memstats.HeapAlloc"]
        let run = try await Self.run(
            index: "limit-go",
            creating: #"""
                {"settings":{"index.mapping.total_fields.limit":7},"mappings":{"properties":{
                "@timestamp":{"type":"date"},"type":{"type":"keyword"},"reader":{"type":"keyword"},
                "endpoint":{"type":"keyword"},"memstats":{"properties":{"Alloc":{"type":"long"},"HeapAlloc":{"type":"long"}}}}}}
                """#)
        try Self.check(
            run, removed: { !mapped.contains($0) }, reason: "Limit of total fields [7] has been exceeded")
        for source in run.hits { #expect(source.keys.sorted() == mapped.sorted()) }
        #expect(
            PayloadAcceptanceTests.counter(run.metrics, "fields_dropped", reader: "go", reason: "cluster_refused") >= 20
        )
        #expect(run.stderr.contains("the cluster refused fields "))
    }
}
