import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

/// The write-ahead log on disk: what a crash leaves is replayed by the spool of the next start.
@Suite struct WriteAheadLogTests {
    typealias F = SpoolFixtures

    private func openSpool(_ directory: String, maxBytes: Int = 1 << 30, handler: InMemoryLogHandler = .init()) throws
        -> FileSpool
    {
        try FileSpool(
            directory: directory, maxBytes: maxBytes, segmentBytes: FileSpool.segmentBytes(forMaxBytes: maxBytes),
            logger: F.logger(handler))
    }

    private func logSegments(_ directory: String) throws -> [String] {
        try F.segmentFiles(WriteAheadLog.directory(inSpool: directory))
    }

    @Test func whatACrashLeavesIsReplayedAfterTheSpoolsOwnDocuments() async throws {
        try await F.withDirectory { directory in
            do {
                let spool = try openSpool(directory)
                try spool.append(F.documents(100..<104))
                // One replayed batch acknowledged: the cursor is inside the spool's segment.
                let first = try #require(try spool.peek(maxDocuments: 2))
                try spool.acknowledge(first)
                let log = try spool.openWriteAheadLog(logger: F.logger(InMemoryLogHandler()))
                for document in F.documents(0..<5) { try log.append([document]) }
                log.confirm(F.documents(0..<2))
                #expect(log.unconfirmedDocuments == 3)
                #expect(try logSegments(directory).count == 1)
                // No close: the process dies here.
            }
            let handler = InMemoryLogHandler()
            let spool = try openSpool(directory, handler: handler)
            #expect(try logSegments(directory).isEmpty, "the log's segments now belong to the spool")
            let replayed = try F.drain(spool).map(\.id)
            // At least once: confirmed documents whose segment was not deleted yet come back too
            // (Elasticsearch answers them 409).
            #expect(replayed == ["app-102", "app-103", "app-0", "app-1", "app-2", "app-3", "app-4"])
            #expect(handler.records.contains { $0.message.contains("write-ahead log of the previous run") })
            #expect(F.errors(handler).isEmpty)
            let log = try spool.openWriteAheadLog(logger: F.logger(InMemoryLogHandler()))
            try log.append(F.documents(10..<11))
            #expect(try logSegments(directory).count == 1)
        }
    }

    /// The recorder appends one document at a time: its record's head and its body go out in one
    /// `pwritev`, and read back as they were, whatever the body's size.
    @Test func singleDocumentsAreReplayedByteForByte() async throws {
        let documents = [0, 1, 4096, 70_000, 17].enumerated().map { index, bytes in
            var document = F.document(index, bodyBytes: 64)
            document.body = (0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            return document
        }
        try await F.withDirectory { directory in
            do {
                let spool = try openSpool(directory)
                let log = try spool.openWriteAheadLog(logger: F.logger(InMemoryLogHandler()))
                for document in documents { try log.append(document) }
                #expect(log.unconfirmedDocuments == documents.count)
                // No close: the process dies here.
            }
            let handler = InMemoryLogHandler()
            let spool = try openSpool(directory, handler: handler)
            #expect(try F.drain(spool) == documents)
            #expect(F.errors(handler).isEmpty)
        }
    }

    @Test func aConfirmedLogLeavesNothingToReplay() async throws {
        try await F.withDirectory { directory in
            do {
                let spool = try openSpool(directory)
                let log = try spool.openWriteAheadLog(logger: F.logger(InMemoryLogHandler()))
                try log.append(F.documents(0..<3))
                try log.append(F.documents(3..<4))
                // Out of order, as retries make it.
                log.confirm(F.documents(3..<4))
                log.confirm(F.documents(0..<3))
                try log.close()
                #expect(log.bytes == 0)
                #expect(try logSegments(directory).isEmpty)
            }
            let spool = try openSpool(directory)
            #expect(try spool.peek(maxDocuments: 10) == nil)
        }
    }

    @Test func syncFsyncsOnlyWhatWasWritten() async throws {
        try await F.withDirectory { directory in
            let spool = try openSpool(directory)
            let metrics = MetricsRegistry()
            let log = try spool.openWriteAheadLog(
                logger: F.logger(InMemoryLogHandler()), metrics: metrics,
                metricLabels: [MetricKey.Label("recorder", "es")])
            #expect(try log.sync() == 0)
            try log.append(F.documents(0..<2))
            #expect(try log.sync() == 2, "the new segment and the directory it was created in")
            #expect(try log.sync() == 0, "nothing written since")
            try log.append(F.documents(2..<3))
            #expect(try log.sync() == 1)
            let syncs = metrics.value(MetricKey("wal_syncs", labels: [MetricKey.Label("recorder", "es")]))
            #expect(syncs == .counter(3))
        }
    }

    @Test func startSyncHandsWhatWasWrittenToTheKernelAndCloseWaitsForIt() async throws {
        try await F.withDirectory { directory in
            let spool = try openSpool(directory)
            let metrics = MetricsRegistry()
            let key = MetricKey("wal_syncs", labels: [MetricKey.Label("recorder", "es")])
            let log = try spool.openWriteAheadLog(
                logger: F.logger(InMemoryLogHandler()), metrics: metrics, metricLabels: key.labels)
            #expect(try log.startSync() == .nothingToSync)
            try log.append(F.documents(0..<2))
            #expect(log.needsSync)
            #expect(try log.startSync() == .started(2), "the new segment and the directory it was created in")
            #expect(!log.needsSync, "handed over: nothing left for the next sync")
            try log.append(F.documents(2..<3))
            // One group at a time: the next starts once the first was reaped.
            let next = try await eventuallyValue("the first group finished") { () throws -> WriteAheadLog.SyncStart? in
                let start = try log.startSync()
                return start == .stillRunning ? nil : start
            }
            #expect(next == .started(1), "the writer only")
            #expect(metrics.value(key) == .counter(2), "the first group's results were reaped")
            try log.close()
            #expect(metrics.value(key) == .counter(3), "close waited for the second group")
            #expect(try log.startSync() == .nothingToSync)
        }
    }

    @Test func startSyncTakesRolledSegmentsToo() async throws {
        try await F.withDirectory { directory in
            // 64 KiB segments (the smallest): 100 documents of 1 KB make two.
            let spool = try openSpool(directory, maxBytes: 256 << 10)
            let log = try spool.openWriteAheadLog(logger: F.logger(InMemoryLogHandler()))
            for document in F.documents(0..<100, bodyBytes: 1000) { try log.append([document]) }
            #expect(log.segmentPaths.count == 2)
            #expect(try log.startSync() == .started(3), "the rolled segment, the writer and the directory")
            try log.close()
        }
    }

    @Test func withoutTheKernelsAIOStartSyncLeavesTheSyncToTheCaller() async throws {
        try await F.withDirectory { directory in
            let spool = try openSpool(directory)
            let log = try spool.openWriteAheadLog(logger: F.logger(InMemoryLogHandler()), kernelSync: false)
            try log.append(F.documents(0..<1))
            #expect(try log.startSync() == .unavailable)
            #expect(log.needsSync, "nothing was handed over")
            #expect(try log.sync() == 2)
        }
    }

    @Test func aRolledSegmentThatIsConfirmedBeforeTheNextSyncIsNotSynced() async throws {
        try await F.withDirectory { directory in
            // 64 KiB segments (the smallest): 100 documents of 1 KB make two.
            let spool = try openSpool(directory, maxBytes: 256 << 10)
            let log = try spool.openWriteAheadLog(logger: F.logger(InMemoryLogHandler()))
            let documents = F.documents(0..<100, bodyBytes: 1000)
            for document in documents { try log.append([document]) }
            #expect(log.segmentPaths.count == 2)
            log.confirm(documents)
            #expect(log.segmentPaths.count == 1, "the full, confirmed segment is deleted")
            #expect(try log.sync() == 2, "the writer and the directory; the deleted segment needs no fsync")
        }
    }

    @Test func theLogAndTheSpoolShareSpoolMaxBytes() async throws {
        try await F.withDirectory { directory in
            let maxBytes = 64 << 10
            let spool = try openSpool(directory, maxBytes: maxBytes)
            let log = try spool.openWriteAheadLog(logger: F.logger(InMemoryLogHandler()))
            let documents = F.documents(0..<200, bodyBytes: 1000)
            var refused: SpoolError?
            var logged = 0
            for document in documents {
                do throws(SpoolError) {
                    try log.append([document])
                    logged += 1
                } catch {
                    refused = error
                    break
                }
            }
            #expect(refused?.code == "spool_full")
            #expect(refused?.message.contains("spool_max_bytes") == true)
            #expect(logged > 40 && logged < 66, "about 64 KiB of 1 KB documents, got \(logged)")
            #expect(log.bytes <= maxBytes)
            // Spooling documents the log holds (what the recorder does) and confirming them frees its share.
            try spool.append(Array(documents[0..<10]))
            log.confirm(Array(documents[0..<logged]))
            try log.close()
            #expect(log.bytes == 0)
            #expect(spool.usage.bytes + log.bytes <= maxBytes)
            try log.append([documents[logged]])
            // The spool counts the log's bytes: with the log nearly full, its appends drop its oldest.
            for document in documents[(logged + 1)...] {
                do throws(SpoolError) { try log.append([document]) } catch { break }
            }
            try spool.append(F.documents(200..<210, bodyBytes: 1000))
            #expect(spool.usage.droppedDocuments == 10, "the first 10 spooled documents made room")
            #expect(
                spool.usage.bytes + log.bytes <= maxBytes + 11 * 1100, "at most one batch over, until it is confirmed")
        }
    }
}
