import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// The shipped `expvastic.yml`, unchanged, on a machine with nothing else running: it writes its
/// own metrics to the file and spools the Elasticsearch share until 127.0.0.1:9200 answers.
@Suite struct ShippedConfigurationTests {
    @Test(.timeLimit(.minutes(1))) func worksWithoutElasticsearchAndDrainsWhenOneAppears() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("expvastic-shipped-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let shipped = try RepoRoot.url().appendingPathComponent("expvastic.yml")
        try FileManager.default.copyItem(at: shipped, to: directory.appendingPathComponent("expvastic.yml"))
        let first = try ExpvasymlBinary.spawn(arguments: ["-c", "expvastic"], currentDirectory: directory)
        try await Task.sleep(for: .seconds(12))
        first.signal(SIGTERM)
        #expect(try await first.waitForExit(timeout: .seconds(15)) == 0, "stderr:\n\(first.stderr)")
        let file = directory.appendingPathComponent("data/expvastic.ndjson")
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.count >= 2, "no documents in the file recorder's file")
        let spool = directory.appendingPathComponent("data/spool/local_elasticsearch")
        let segments = try FileManager.default.contentsOfDirectory(atPath: spool.path).filter { $0.hasSuffix(".spool") }
        #expect(!segments.isEmpty, "the Elasticsearch share is not in the spool")

        let elasticsearch = try await OsmemServer(port: 9200)
        defer { elasticsearch.stop() }
        let second = try ExpvasymlBinary.spawn(arguments: ["-c", "expvastic"], currentDirectory: directory)
        let expected = lines.count / 2
        let index = "expvastic-*"
        try await eventually(
            "the spool drains into 127.0.0.1:9200", timeout: .seconds(20), interval: .milliseconds(300)
        ) {
            try await elasticsearch.count(index: index) >= expected
        }
        second.signal(SIGTERM)
        #expect(try await second.waitForExit(timeout: .seconds(15)) == 0)
        print("shipped config: \(expected) documents in the file, all delivered to 127.0.0.1:9200 from the spool")
    }
}
