import Expvastic
import ExpvasticTestSupport
import Foundation

/// Documents, directories and loggers for the spool tests.
enum SpoolFixtures {
    /// A document whose id and body tell where it came from.
    static func document(_ number: Int, bodyBytes: Int = 64, reader: String = "app") -> Document {
        var body = Array("{\"n\":\(number),\"pad\":\"".utf8)
        let fill = max(0, bodyBytes - body.count - 2)
        body.append(contentsOf: (0..<fill).map { UInt8(ascii: "a") + UInt8(($0 + number) % 26) })
        body.append(contentsOf: Array("\"}".utf8))
        return Document(
            id: "\(reader)-\(number)",
            timestampMillis: 1_795_284_000_000 + Int64(number),
            reader: reader,
            body: body
        )
    }

    static func documents(_ range: Range<Int>, bodyBytes: Int = 64) -> [Document] {
        range.map { document($0, bodyBytes: bodyBytes) }
    }

    /// Runs `body` with a fresh directory under the temporary directory, removed afterwards. The
    /// spool blocks on disk I/O (every append is fsync'd), so it all runs on the test support's background threads,
    /// not on the cooperative pool the other tests share.
    static func withDirectory(_ body: (String) async throws -> Void) async throws {
        try await Blocking.onBackgroundThreads {
            let path = FileManager.default.temporaryDirectory
                .appendingPathComponent("expvastic-spool-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: path) }
            try await body(path)
        }
    }

    static func logger(_ handler: InMemoryLogHandler) -> Logger {
        Logger(component: "spool.test", level: .debug, handler: handler)
    }

    /// Segment file names in `directory`, sorted.
    static func segmentFiles(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("segment-") }.sorted()
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Peeks and acknowledges until the spool is empty; everything it held, oldest first.
    static func drain(_ spool: any Spool, batch: Int = 7) throws -> [Document] {
        var all: [Document] = []
        for _ in 0..<100_000 {
            guard let next = try spool.peek(maxDocuments: batch) else { return all }
            all += next.documents
            try spool.acknowledge(next)
        }
        return all
    }

    /// Error records logged so far.
    static func errors(_ handler: InMemoryLogHandler) -> [LogRecord] {
        handler.records.filter { $0.level == .error }
    }
}
