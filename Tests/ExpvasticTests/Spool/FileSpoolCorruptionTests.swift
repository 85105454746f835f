import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// Torn tails, flipped bytes, garbage files and `kill -9` at every byte: the records before the
/// damage are delivered, the damage is reported once and counted, nothing crashes.
@Suite struct FileSpoolCorruptionTests {
    typealias F = SpoolFixtures

    private func open(
        _ directory: String,
        segmentBytes: Int = FileSpool.defaultSegmentBytes,
        handler: InMemoryLogHandler
    ) throws -> FileSpool {
        try FileSpool(directory: directory, maxBytes: 1 << 30, segmentBytes: segmentBytes, logger: F.logger(handler))
    }

    private func corruptionReports(_ handler: InMemoryLogHandler) -> [LogRecord] {
        F.errors(handler).filter { $0.message.contains("torn or corrupt") }
    }

    /// Writes one batch per entry (each a list of document numbers) into a fresh spool and returns
    /// the single segment's path.
    private func writeSegment(_ directory: String, batches: [[Int]], bodyBytes: Int = 64) throws -> String {
        let spool = try open(directory, handler: InMemoryLogHandler())
        for batch in batches { try spool.append(batch.map { F.document($0, bodyBytes: bodyBytes) }) }
        return directory + "/" + (try #require(try F.segmentFiles(directory).first))
    }

    @Test func aTruncatedLastRecordLosesOnlyItself() async throws {
        try await F.withDirectory { directory in
            let path = try writeSegment(directory, batches: [[0, 1], [2], [3]])
            let bytes = try F.bytes(path)
            try F.write(Array(bytes.dropLast(30)), to: path)
            let handler = InMemoryLogHandler()
            let spool = try open(directory, handler: handler)
            #expect(spool.usage.corruptRecords == 1)
            let reports = corruptionReports(handler)
            try #require(reports.count == 1)
            let recordBytes = (bytes.count - 16) / 4
            #expect(reports[0].metadata["spool.offset"] == String(16 + 3 * recordBytes))
            #expect(reports[0].metadata["spool.skipped_bytes"] == String(recordBytes - 30))
            #expect(reports[0].metadata["spool.segment"] == path)
            // New data never follows the torn tail.
            try spool.append([F.document(9)])
            #expect(try F.segmentFiles(directory).count == 2)
            #expect(try F.drain(spool).map(\.id) == ["app-0", "app-1", "app-2", "app-9"])
            #expect(corruptionReports(handler).count == 1)  // reported once, not on every read
            #expect(try F.segmentFiles(directory).isEmpty)
        }
    }

    @Test func aFlippedByteStopsTheSegmentThereButNotTheNextSegments() async throws {
        try await F.withDirectory { directory in
            let path = try writeSegment(directory, batches: [[0], [1], [2], [3]])
            do {
                // A later run adds a segment of its own.
                let spool = try open(directory, handler: InMemoryLogHandler())
                try spool.append([F.document(4)])
            }
            var bytes = try F.bytes(path)
            let recordBytes = (bytes.count - 16) / 4
            bytes[16 + recordBytes + 40] ^= 0x01  // inside the body of record 1
            try F.write(bytes, to: path)
            let handler = InMemoryLogHandler()
            let spool = try open(directory, handler: handler)
            let reports = corruptionReports(handler)
            try #require(reports.count == 1)
            #expect(reports[0].metadata["spool.reason"] == "checksum mismatch")
            #expect(reports[0].metadata["spool.offset"] == String(16 + recordBytes))
            #expect(reports[0].metadata["spool.skipped_bytes"] == String(3 * recordBytes))
            #expect(try F.drain(spool).map(\.id) == ["app-0", "app-4"])
            #expect(spool.usage.corruptRecords == 1)
        }
    }

    @Test func aGarbageSegmentFileIsReportedCountedAndRemoved() async throws {
        try await F.withDirectory { directory in
            _ = try writeSegment(directory, batches: [[0, 1]])
            var random = SplitMix64(seed: 3)
            let garbage = (0..<700).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let garbagePath = directory + "/segment-00000000000000000002.spool"
            try F.write(garbage, to: garbagePath)
            try F.write(Array("not ours".utf8), to: directory + "/dead-letter.ndjson")
            let handler = InMemoryLogHandler()
            let spool = try open(directory, handler: handler)
            let reports = corruptionReports(handler)
            try #require(reports.count == 1)
            #expect(reports[0].metadata["spool.segment"] == garbagePath)
            #expect(reports[0].metadata["spool.skipped_bytes"] == "700")
            #expect(spool.usage.corruptRecords == 1)
            #expect(!FileManager.default.fileExists(atPath: garbagePath))
            #expect(FileManager.default.fileExists(atPath: directory + "/dead-letter.ndjson"))
            try spool.append([F.document(2)])
            #expect(try F.drain(spool).map(\.id) == ["app-0", "app-1", "app-2"])
        }
    }

    @Test func aDamagedCursorReplaysEverythingAndWarns() async throws {
        try await F.withDirectory { directory in
            do {
                let spool = try open(directory, handler: InMemoryLogHandler())
                try spool.append(F.documents(0..<4))
                try spool.acknowledge(try #require(try spool.peek(maxDocuments: 2)))
            }
            try F.write(Array("garbage".utf8), to: directory + "/cursor")
            let handler = InMemoryLogHandler()
            let spool = try open(directory, handler: handler)
            #expect(handler.records.contains { $0.level == .warn && $0.message.contains("cursor file is not valid") })
            #expect(try F.drain(spool).map(\.id) == ["app-0", "app-1", "app-2", "app-3"])
        }
    }

    @Test func anEmptyOrHeaderlessSegmentFromACrashDuringCreationIsRemovedQuietly() async throws {
        try await F.withDirectory { directory in
            _ = try writeSegment(directory, batches: [[0]])
            try F.write([], to: directory + "/segment-00000000000000000002.spool")
            try F.write(Array("EXVS".utf8), to: directory + "/segment-00000000000000000003.spool")
            let handler = InMemoryLogHandler()
            let spool = try open(directory, handler: handler)
            #expect(F.errors(handler).isEmpty)
            #expect(spool.usage.corruptRecords == 0)
            #expect(try F.segmentFiles(directory) == ["segment-00000000000000000001.spool"])
            try spool.append([F.document(1)])
            #expect(try F.segmentFiles(directory).last == "segment-00000000000000000004.spool")
            #expect(try F.drain(spool).map(\.id) == ["app-0", "app-1"])
        }
    }

    /// `kill -9` at any moment of an append leaves a prefix of the file: cut a segment at every
    /// byte and reopen. Every complete record survives; a partial one is reported once and skipped.
    @Test func killNineAtEveryByteKeepsEveryCompleteRecord() async throws {
        try await F.withDirectory { base in
            let source = base + "/source"
            let path = try writeSegment(source, batches: [[0], [1, 2], [3]], bodyBytes: 12)
            let bytes = try F.bytes(path)
            var ends = [16]
            while ends.last! < bytes.count {
                let at = ends.last!
                ends.append(at + 8 + (Int(bytes[at]) | Int(bytes[at + 1]) << 8))
            }
            #expect(ends.count == 5 && ends.last == bytes.count)
            let directory = base + "/cut"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            for cut in 0...bytes.count {
                try F.write(Array(bytes.prefix(cut)), to: directory + "/segment-00000000000000000001.spool")
                let handler = InMemoryLogHandler()
                let spool = try open(directory, handler: handler)
                let complete = ends.dropFirst().filter { $0 <= cut }.count
                let torn = cut > 16 && !ends.contains(cut)
                #expect(spool.usage.corruptRecords == (torn ? 1 : 0), "cut at \(cut)")
                #expect(corruptionReports(handler).count == (torn ? 1 : 0), "cut at \(cut)")
                // Peek only: acknowledging would fsync the cursor, and this loop runs hundreds of times.
                let ids = try spool.peek(maxDocuments: 100)?.documents.map(\.id) ?? []
                #expect(ids == (0..<complete).map { "app-\($0)" }, "cut at \(cut)")
            }
        }
    }

    @Test func damageFoundWhileRunningIsReportedOnceAndSkipped() async throws {
        try await F.withDirectory { directory in
            let handler = InMemoryLogHandler()
            let spool = try open(directory, segmentBytes: 300, handler: handler)
            for number in 0..<6 { try spool.append([F.document(number)]) }  // 3 records per segment
            let first = directory + "/" + (try F.segmentFiles(directory)[0])
            var bytes = try F.bytes(first)
            bytes[bytes.count - 5] ^= 0xFF  // the third record of the first segment
            try F.write(bytes, to: first)
            let batch = try #require(try spool.peek(maxDocuments: 10))
            #expect(batch.documents.map(\.id) == ["app-0", "app-1"])
            #expect(corruptionReports(handler).count == 1)
            #expect(spool.usage.corruptRecords == 1)
            try spool.acknowledge(batch)
            #expect(try F.drain(spool).map(\.id) == ["app-3", "app-4", "app-5"])
            #expect(corruptionReports(handler).count == 1)
        }
    }

    @Test func aSegmentDeletedBehindTheSpoolsBackIsReportedNotFatal() async throws {
        try await F.withDirectory { directory in
            let handler = InMemoryLogHandler()
            let spool = try open(directory, segmentBytes: 300, handler: handler)
            for number in 0..<6 { try spool.append([F.document(number)]) }
            try FileManager.default.removeItem(atPath: directory + "/" + (try F.segmentFiles(directory)[0]))
            #expect(try F.drain(spool).map(\.id) == ["app-3", "app-4", "app-5"])
            #expect(corruptionReports(handler).count == 1)
            #expect(spool.usage.corruptRecords == 3)
        }
    }
}
