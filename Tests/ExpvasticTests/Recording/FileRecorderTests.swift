import ExpvasticTestSupport
import Foundation
import Testing

@testable import Expvastic

@Suite struct FileRecorderTests {
    static func doc(_ n: Int) -> Document {
        Document(id: "id-\(n)", timestampMillis: 1_795_284_000_000, reader: "r", body: Array(#"{"n":\#(n)}"#.utf8))
    }

    @Test func writesTheExactBulkNDJSONAndCreatesDirectories() async throws {
        try await withTemporaryDirectory(prefix: "expvastic-file-recorder") { directory in
            var configuration = FileRecorderConfiguration(path: directory + "/a/b/out.ndjson")
            configuration.indexName = "expvastic-%{+yyyy.MM.dd}"
            let metrics = MetricsRegistry()
            let recorder = try FileRecorder(
                name: "file", configuration: configuration, clock: SystemClock(), metrics: metrics,
                logger: Logger(component: "recorder.file", handler: NoOpLogHandler()))
            async let running: Void = recorder.run()
            recorder.accept(Self.doc(1))
            recorder.accept(Self.doc(2))
            await recorder.finish(deadline: 0)
            try await running
            let text = try String(contentsOfFile: configuration.path, encoding: .utf8)
            #expect(
                text == """
                    {"create":{"_index":"expvastic-2026.11.21","_id":"id-1"}}
                    {"n":1}
                    {"create":{"_index":"expvastic-2026.11.21","_id":"id-2"}}
                    {"n":2}

                    """)
            #expect(metrics.value(MetricKey("docs_sent", labels: [.init("recorder", "file")])) == .counter(2))
        }
    }

    @Test func rotatesBySizeKeepingMaxFilesAndNeverSplitsADocument() async throws {
        try await withTemporaryDirectory(prefix: "expvastic-file-recorder") { directory in
            var configuration = FileRecorderConfiguration(path: directory + "/out.ndjson")
            let recordSize = BulkEncoder(indexName: try IndexName("expvastic")).encode([Self.doc(1)]).count
            configuration.maxBytes = recordSize * 2
            configuration.maxFiles = 2
            let recorder = try FileRecorder(
                name: "file", configuration: configuration, clock: SystemClock(), metrics: MetricsRegistry(),
                logger: Logger(component: "recorder.file", handler: NoOpLogHandler()))
            async let running: Void = recorder.run()
            for n in 1...7 { recorder.accept(Self.doc(n)) }
            await recorder.finish(deadline: 0)
            try await running
            func ids(_ path: String) throws -> [String] {
                try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap { line in
                    line.hasPrefix(#"{"n":"#) ? String(line.dropFirst(5).dropLast()) : nil
                }
            }
            // 7 documents, 2 per file: out has 7, out.1 has 5-6, out.2 has 3-4; 1-2 were rotated away.
            #expect(try ids(configuration.path) == ["7"])
            #expect(try ids(configuration.path + ".1") == ["5", "6"])
            #expect(try ids(configuration.path + ".2") == ["3", "4"])
            #expect(!FileManager.default.fileExists(atPath: configuration.path + ".3"))
            for path in [configuration.path, configuration.path + ".1", configuration.path + ".2"] {
                let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
                #expect(size <= configuration.maxBytes)
            }
        }
    }

    @Test func appendsToAnExistingFileAndCountsItsSize() async throws {
        try await withTemporaryDirectory(prefix: "expvastic-file-recorder") { directory in
            var configuration = FileRecorderConfiguration(path: directory + "/out.ndjson")
            let recordSize = BulkEncoder(indexName: try IndexName("expvastic")).encode([Self.doc(1)]).count
            let path = configuration.path
            // An atomic write fsyncs: not on the pool.
            try await Blocking.run {
                try String(repeating: "x", count: recordSize).appending("\n").write(
                    toFile: path, atomically: true, encoding: .utf8)
            }
            configuration.maxBytes = recordSize * 2
            let recorder = try FileRecorder(
                name: "file", configuration: configuration, clock: SystemClock(), metrics: MetricsRegistry(),
                logger: Logger(component: "recorder.file", handler: NoOpLogHandler()))
            async let running: Void = recorder.run()
            recorder.accept(Self.doc(1))
            await recorder.finish(deadline: 0)
            try await running
            // The existing line plus one record would pass max_bytes, so the old content rotated first.
            #expect(try String(contentsOfFile: configuration.path + ".1", encoding: .utf8).hasPrefix("xxx"))
            #expect(try String(contentsOfFile: configuration.path, encoding: .utf8).contains(#"{"n":1}"#))
        }
    }

    @Test func badIndexNameIsAnError() {
        var configuration = FileRecorderConfiguration(path: "/tmp/x")
        configuration.indexName = "Bad"
        #expect(throws: RecorderError.self) {
            _ = try FileRecorder(
                name: "f", configuration: configuration, clock: SystemClock(), metrics: MetricsRegistry(),
                logger: Logger(component: "f", handler: NoOpLogHandler()))
        }
    }

    @Test func finishWithoutRunStillWrites() async throws {
        try await withTemporaryDirectory(prefix: "expvastic-file-recorder") { directory in
            let configuration = FileRecorderConfiguration(path: directory + "/out.ndjson")
            let recorder = try FileRecorder(
                name: "file", configuration: configuration, clock: SystemClock(), metrics: MetricsRegistry(),
                logger: Logger(component: "recorder.file", handler: NoOpLogHandler()))
            recorder.accept(Self.doc(1))
            await recorder.finish(deadline: 0)
            #expect(try String(contentsOfFile: configuration.path, encoding: .utf8).contains(#"{"n":1}"#))
        }
    }
}
