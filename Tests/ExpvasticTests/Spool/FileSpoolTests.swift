import Expvastic
import ExpvasticTestSupport
import Foundation
import Testing

@Suite struct FileSpoolTests {
    typealias F = SpoolFixtures

    private func open(
        _ directory: String,
        maxBytes: Int = 1 << 30,
        segmentBytes: Int = FileSpool.defaultSegmentBytes,
        handler: InMemoryLogHandler = InMemoryLogHandler(),
        metrics: MetricsRegistry? = nil
    ) throws -> FileSpool {
        try FileSpool(
            directory: directory,
            maxBytes: maxBytes,
            segmentBytes: segmentBytes,
            logger: F.logger(handler),
            metrics: metrics,
            metricLabels: [MetricKey.Label("recorder", "es")]
        )
    }

    @Test func roundTrip() async throws {
        try await F.withDirectory { directory in
            let spool = try open(directory)
            let documents = F.documents(0..<3) + [Document(id: "ü", timestampMillis: -5, reader: "", body: [])]
            try spool.append(documents)
            let batch = try #require(try spool.peek(maxDocuments: 10))
            #expect(batch.documents == documents)
            try spool.acknowledge(batch)
            #expect(try spool.peek(maxDocuments: 10) == nil)
        }
    }

    @Test func emptySpoolPeeksNil() async throws {
        try await F.withDirectory { directory in
            let spool = try open(directory + "/nested/deeper")
            #expect(try spool.peek(maxDocuments: 1) == nil)
            #expect(spool.usage == SpoolUsage())
            try spool.append([])
            #expect(try spool.peek(maxDocuments: 1) == nil)
            #expect(FileManager.default.fileExists(atPath: directory + "/nested/deeper"))
        }
    }

    @Test func peekReturnsTheSameBatchUntilItIsAcknowledged() async throws {
        try await F.withDirectory { directory in
            let spool = try open(directory)
            try spool.append(F.documents(0..<3))
            let first = try #require(try spool.peek(maxDocuments: 5))
            try spool.append(F.documents(3..<6))
            #expect(try spool.peek(maxDocuments: 5) == first)
            #expect(first.documents.map(\.id) == ["app-0", "app-1", "app-2"])
            try spool.acknowledge(first)
            try spool.acknowledge(first)  // twice: no effect
            let second = try #require(try spool.peek(maxDocuments: 2))
            #expect(second.documents.map(\.id) == ["app-3", "app-4"])
            try spool.acknowledge(second)
            #expect(try spool.peek(maxDocuments: 2)?.documents.map(\.id) == ["app-5"])
        }
    }

    @Test func orderAcrossSegmentsAndRestarts() async throws {
        try await F.withDirectory { directory in
            var delivered: [Document] = []
            do {
                let spool = try open(directory, segmentBytes: 600)
                for start in stride(from: 0, to: 60, by: 3) { try spool.append(F.documents(start..<start + 3)) }
                #expect(spool.usage.segments > 5)
                for _ in 0..<4 {
                    let batch = try #require(try spool.peek(maxDocuments: 4))
                    delivered += batch.documents
                    try spool.acknowledge(batch)
                }
                // Outstanding but not acknowledged: must come back after the restart.
                _ = try spool.peek(maxDocuments: 4)
            }
            do {
                let spool = try open(directory, segmentBytes: 600)
                delivered += try F.drain(spool)
                try spool.append(F.documents(60..<62))
            }
            do {
                let spool = try open(directory, segmentBytes: 600)
                delivered += try F.drain(spool, batch: 100)
            }
            #expect(delivered.map(\.id) == (0..<62).map { "app-\($0)" })
            #expect(delivered == F.documents(0..<62))
        }
    }

    @Test func aRestartReplaysExactlyTheUnacknowledgedRecords() async throws {
        try await F.withDirectory { directory in
            do {
                let spool = try open(directory)
                try spool.append(F.documents(0..<10))
                try spool.acknowledge(try #require(try spool.peek(maxDocuments: 4)))
            }
            let spool = try open(directory)
            #expect(try F.drain(spool).map(\.id) == (4..<10).map { "app-\($0)" })
        }
    }

    @Test func aSegmentIsDeletedOnlyAfterAllItsRecordsWereAcknowledged() async throws {
        try await F.withDirectory { directory in
            let spool = try open(directory, segmentBytes: 300)  // 91-byte records: 3 per segment
            for number in 0..<8 { try spool.append([F.document(number)]) }
            let files = try F.segmentFiles(directory)
            #expect(files.count >= 3)
            let first = try #require(try spool.peek(maxDocuments: 100))
            #expect(first.documents.count < 8)  // a batch never spans segments
            let partial = SpoolBatch(
                documents: Array(first.documents.dropLast()),
                position: try batchEnd(of: first.documents.count - 1, in: directory, file: files[0])
            )
            try spool.acknowledge(partial)
            #expect(try F.segmentFiles(directory) == files)
            let rest = try #require(try spool.peek(maxDocuments: 100))
            #expect(rest.documents == [first.documents.last!])
            try spool.acknowledge(rest)
            #expect(try F.segmentFiles(directory) == Array(files.dropFirst()))
            #expect(try F.drain(spool).count == 8 - first.documents.count)
            #expect(try F.segmentFiles(directory).isEmpty)
            #expect(spool.usage == SpoolUsage())
            // Sequences continue after everything was deleted.
            try spool.append([F.document(100)])
            let next = try F.segmentFiles(directory)
            #expect(next.count == 1 && next[0] > files.last!)
        }
    }

    /// The position after the `count`-th record of a segment file, read with the format's framing.
    private func batchEnd(of count: Int, in directory: String, file: String) throws -> SpoolPosition {
        let bytes = try F.bytes(directory + "/" + file)
        var offset = 16
        for _ in 0..<count {
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16
            offset += 8 + length
        }
        let sequence = UInt64(file.dropFirst("segment-".count).prefix(20))!
        return SpoolPosition(segment: sequence, offset: offset)
    }

    @Test func sequencesAreNeverReusedAfterARestart() async throws {
        try await F.withDirectory { directory in
            do {
                let spool = try open(directory)
                try spool.append(F.documents(0..<2))
                #expect(try F.drain(spool).count == 2)
                #expect(try F.segmentFiles(directory).isEmpty)
            }
            let spool = try open(directory)
            try spool.append(F.documents(2..<4))
            #expect(try F.segmentFiles(directory) == ["segment-00000000000000000002.spool"])
            #expect(try F.drain(spool).map(\.id) == ["app-2", "app-3"])
        }
    }

    @Test func maxBytesDropsTheOldestSegmentsCountsAndLogsThem() async throws {
        try await F.withDirectory { directory in
            let handler = InMemoryLogHandler()
            let metrics = MetricsRegistry()
            let recordBytes = 8 + 1 + 1 + 6 + 8 + 1 + 3 + 200  // id "app-NN", reader "app", body 200
            let spool = try open(
                directory,
                maxBytes: 16 * 3 + recordBytes * 9,
                segmentBytes: 16 + recordBytes * 3,
                handler: handler,
                metrics: metrics
            )
            for start in stride(from: 10, to: 40, by: 3) {
                try spool.append(F.documents(start..<start + 3, bodyBytes: 200))
                #expect(spool.usage.bytes <= 16 * 3 + recordBytes * 9)
            }
            // 10 batches of 3 in 3-record segments, room for 3 segments: the 7 oldest went.
            #expect(spool.usage.droppedDocuments == 21)
            #expect(spool.usage.segments == 3)
            #expect(try F.drain(spool).map(\.id) == (31..<40).map { "app-\($0)" })
            let drops = F.errors(handler).filter { $0.message.contains("spool is full") }
            #expect(drops.count == 7)
            #expect(drops.first?.metadata["spool.dropped_documents"] == "3")
            #expect(drops.first?.metadata["spool.segment"]?.hasSuffix("segment-00000000000000000001.spool") == true)
            let dropped = MetricKey("spool_dropped_documents", labels: [MetricKey.Label("recorder", "es")])
            #expect(metrics.value(dropped) == .counter(21))
            let segments = MetricKey("spool_segments", labels: [MetricKey.Label("recorder", "es")])
            #expect(metrics.value(segments) == .gauge(0))
        }
    }

    @Test func aBatchLargerThanTheWholeSpoolIsRefused() async throws {
        try await F.withDirectory { directory in
            let spool = try open(directory, maxBytes: 1000)
            try spool.append([F.document(1)])
            let error = #expect(throws: SpoolError.self) { try spool.append(F.documents(0..<20, bodyBytes: 100)) }
            #expect(error?.code == "spool_batch_too_large")
            #expect(try F.drain(spool).map(\.id) == ["app-1"])
        }
    }

    @Test func unusableDirectoryIsAnError() async throws {
        try await F.withDirectory { directory in
            try F.write([1, 2, 3], to: directory + "/file")
            let error = #expect(throws: SpoolError.self) { _ = try open(directory + "/file/spool") }
            #expect(error?.code == "spool_directory")
            #expect(error?.message.contains(directory + "/file/spool") == true)
            let tooSmall = #expect(throws: SpoolError.self) { _ = try open(directory, maxBytes: 10) }
            #expect(tooSmall?.code == "spool_config")
        }
    }

    @Test func largePayloadsSurviveARestart() async throws {
        try await F.withDirectory { directory in
            // Larger than a segment and than the 1 MiB read chunk.
            var random = SplitMix64(seed: 7)
            let words = (0..<(3 << 17)).map { _ in random.next() }
            let body = words.withUnsafeBytes { Array($0) }
            let big = Document(id: "big", timestampMillis: 1, reader: "app", body: body)
            do {
                let spool = try open(directory, segmentBytes: 1 << 20)
                try spool.append([F.document(1), big, F.document(2)])
                try spool.append([big])
            }
            let spool = try open(directory, segmentBytes: 1 << 20)
            let all = try F.drain(spool, batch: 2)
            #expect(all.map(\.id) == ["app-1", "big", "app-2", "big"])
            #expect(all[1] == big && all[3] == big)
            #expect(spool.usage.corruptRecords == 0)
        }
    }

    @Test func concurrentAppendsAreSerializedWholeBatches() async throws {
        try await F.withDirectory { directory in
            let spool = try open(directory, segmentBytes: 8 << 10)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<6 {
                    // Six threads of their own, appending at the same time.
                    group.addTask {
                        try await Blocking.run { () throws(SpoolError) in
                            for round in 0..<20 {
                                let batch = (0..<4).map { index in
                                    Document(
                                        id: "t\(task)-r\(round)-\(index)",
                                        timestampMillis: Int64(round),
                                        reader: "t\(task)",
                                        body: Array("{\"i\":\(index)}".utf8)
                                    )
                                }
                                try spool.append(batch)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let all = try F.drain(spool, batch: 9)
            #expect(all.count == 480)
            #expect(Set(all.map(\.id)).count == 480)
            // Each batch stays contiguous and each task's batches stay in order.
            for start in stride(from: 0, to: all.count, by: 4) {
                let prefix = all[start].id.dropLast(2)
                #expect(all[start..<start + 4].map(\.id) == (0..<4).map { "\(prefix)-\($0)" })
            }
            for task in 0..<6 {
                let rounds = all.filter { $0.reader == "t\(task)" }.map(\.timestampMillis)
                #expect(rounds == rounds.sorted())
            }
        }
    }

    @Test func metricsFollowTheUsage() async throws {
        try await F.withDirectory { directory in
            let metrics = MetricsRegistry()
            let spool = try open(directory, metrics: metrics)
            try spool.append(F.documents(0..<3))
            let labels = [MetricKey.Label("recorder", "es")]
            #expect(metrics.value(MetricKey("spool_bytes", labels: labels)) == .gauge(Double(spool.usage.bytes)))
            #expect(metrics.value(MetricKey("spool_segments", labels: labels)) == .gauge(1))
            #expect(spool.usage.bytes > 3 * 64)
        }
    }
}
