import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// Issue 12, item 4, against real processes: the index exists before `expvasyml` starts and maps a
/// field the Go test program emits (`memstats.HeapAlloc`, a number) as `boolean`. Every document
/// must be indexed without that field, the field and the cluster's reason must be in the dead-letter
/// file, and the reader must learn it (later polls leave it out instead of being refused again).
@Suite struct FieldDeadLetterTests {
    @Test(.timeLimit(.minutes(2))) func aFieldTheIndexMapsDifferentlyCostsOnlyThatField() async throws {
        try await withTemporaryDirectory(prefix: "expvastic-field-dead-letters") { directory in
            let cluster = try await OsmemServer()
            defer { cluster.stop() }
            let program = try await GoExpvarProgram.start()
            defer { program.stop() }
            let index = "conflict-go"
            let mapping = #"{"mappings":{"properties":{"memstats":{"properties":{"HeapAlloc":{"type":"boolean"}}}}}}"#
            _ = try await cluster.json("/\(index)", method: "PUT", body: Array(mapping.utf8))
            #expect(try await cluster.fieldType(index: index, path: "memstats.HeapAlloc") == "boolean")
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

            // Every document the reader produced (the file recorder has each one) is in the index.
            let written = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").count / 2
            let indexed = try await cluster.count(index: index)
            let letters = try String(contentsOfFile: directory + "/spool/dead-letter.ndjson", encoding: .utf8)
                .split(separator: "\n")
            print("field dead letters: \(written) documents written, \(indexed) indexed, \(letters.count) letters")
            #expect(indexed == written)
            #expect(written >= 30)

            // None of them carries the field; the rest of each document is there.
            let search = try await cluster.json("/\(index)/_search?size=10000")
            let hits = try #require((search["hits"] as? [String: Any])?["hits"] as? [[String: Any]])
            #expect(hits.count == indexed)
            for hit in hits {
                let source = try #require(hit["_source"] as? [String: Any])
                #expect(source["memstats.HeapAlloc"] == nil)
                #expect(source["memstats.Alloc"] is NSNumber)
            }

            // The field, its value and the reason are in the dead-letter file; no document is there whole.
            #expect(!letters.isEmpty)
            for line in letters {
                let letter = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let removed = try #require(letter["removed_fields"] as? [String: Any], "\(line)")
                #expect(removed.keys.sorted() == ["memstats.HeapAlloc"])
                #expect(removed["memstats.HeapAlloc"] is NSNumber)
                #expect(letter["document"] == nil)
                #expect(letter["resent"] as? Bool == true)
                let reason = (letter["error"] as? [String: Any])?["reason"] as? String ?? ""
                #expect(reason.contains("failed to parse field [memstats.HeapAlloc] of type [boolean]"), "\(reason)")
            }
            // The reader learned it: only documents already on their way when the first refusal came
            // back were refused; the later polls dropped the field themselves.
            #expect(letters.count <= 5, "every poll was refused: the reader did not learn")
            #expect(
                PayloadAcceptanceTests.counter(metrics, "fields_dropped", reader: "go", reason: "type_conflict") >= 20)
            #expect(metrics.contains(#"expvastic_fields_dead_lettered_total{recorder="es"} \#(letters.count)"#))
            #expect(metrics.contains(#"expvastic_docs_dead_lettered_total{recorder="es"} 0"#))
            #expect(process.stderr.components(separatedBy: "the cluster refused field memstats.HeapAlloc").count == 2)
        }
    }
}
