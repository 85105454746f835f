import ExpvasticTestSupport
import Foundation
import Testing

@testable import Expvastic

/// The recorder and its write-ahead log: written on accept, confirmed on delivery, replayed after
/// a crash (issue 16, defect 4: `kill -9` lost the documents still in memory).
@Suite struct ElasticsearchRecorderWriteAheadLogTests {
    typealias R = ElasticsearchRecorderTests

    struct Rig {
        let recorder: ElasticsearchRecorder
        let log: WriteAheadLog
        let spool: FileSpool
        let clock: ManualClock
        let transport: BulkFakeTransport
    }

    static func rig(
        _ directory: String,
        handler: @escaping BulkFakeTransport.Handler = BulkFakeTransport.healthy
    ) throws -> Rig {
        let clock = ManualClock()
        let logger = Logger(component: "recorder.es", level: .debug, handler: InMemoryLogHandler(), clock: clock)
        let spool = try FileSpool(directory: directory, maxBytes: 1 << 20, segmentBytes: 64 << 10, logger: logger)
        let log = try spool.openWriteAheadLog(logger: logger)
        let transport = BulkFakeTransport(handler)
        // The handlers read the NDJSON as it is sent.
        var configuration = try R.configuration(spoolDirectory: directory)
        configuration.compression = .none
        let recorder = ElasticsearchRecorder(
            name: "es", configuration: configuration, transport: transport,
            spool: spool, clock: clock, metrics: MetricsRegistry(), logger: logger, random: { $0.upperBound },
            writeAheadLog: log)
        return Rig(recorder: recorder, log: log, spool: spool, clock: clock, transport: transport)
    }

    /// The group commit, with the kernel's AIO and without (then on the I/O executor): what was
    /// accepted is synced within `wal_sync_interval`, and `wal_syncs` counts each fsync.
    @Test(arguments: [true, false])
    func acceptedDocumentsAreSyncedOnTheTimer(kernelSync: Bool) async throws {
        try await withTemporaryDirectory { directory in
            let clock = ManualClock()
            let logger = Logger(component: "recorder.es", level: .debug, handler: InMemoryLogHandler(), clock: clock)
            let spool = try FileSpool(directory: directory, maxBytes: 1 << 20, segmentBytes: 64 << 10, logger: logger)
            let metrics = MetricsRegistry()
            let key = MetricKey("wal_syncs", labels: [MetricKey.Label("recorder", "es")])
            let log = try spool.openWriteAheadLog(
                logger: logger, metrics: metrics, metricLabels: key.labels, kernelSync: kernelSync)
            var configuration = try R.configuration(spoolDirectory: directory)
            configuration.compression = .none
            let recorder = ElasticsearchRecorder(
                name: "es", configuration: configuration, transport: BulkFakeTransport(BulkFakeTransport.healthy),
                spool: spool, clock: clock, metrics: MetricsRegistry(), logger: logger, random: { $0.upperBound },
                writeAheadLog: log)
            let interval = configuration.walSyncInterval
            async let running: Void = recorder.run()
            recorder.accept(R.doc(1))
            #expect(log.needsSync)
            // The timer's sleep may start after an advance: advance until the sync was started.
            #expect(
                await eventually {
                    clock.advance(by: interval)
                    return !log.needsSync
                })
            // Counted when done (with the kernel's AIO: reaped on a later tick).
            #expect(
                await eventually {
                    clock.advance(by: interval)
                    return metrics.value(key) == .counter(2)
                }, "the segment and the directory")
            await recorder.finish(deadline: clock.monotonicNanos())
            try await running
            #expect(metrics.value(key) == .counter(2), "nothing new to sync at shutdown")
        }
    }

    @Test func acceptedDocumentsAreInTheLogBeforeAcceptReturnsAndAReStartReplaysThem() async throws {
        try await withTemporaryDirectory { directory in
            do {
                let rig = try Self.rig(directory)
                // The recorder's loop never runs: like a process killed right after accepting.
                for n in 1...3 {
                    rig.recorder.accept(R.doc(n))
                    #expect(rig.log.unconfirmedDocuments == n)
                }
            }
            let spool = try FileSpool(
                directory: directory, maxBytes: 1 << 20,
                logger: Logger(component: "spool", level: .error, handler: InMemoryLogHandler()))
            let replayed = try SpoolFixtures.drain(spool).map(\.id)
            #expect(replayed == ["id-1", "id-2", "id-3"])
        }
    }

    @Test func storedDocumentsAreConfirmedAndRetriedOnesStayInTheLog() async throws {
        // id-2 is refused with a 429 every time; id-1 and id-3 are stored.
        let handler: BulkFakeTransport.Handler = { request in
            guard request.path == "/_bulk" else { return try await BulkFakeTransport.healthy(request) }
            let text = String(decoding: request.body, as: UTF8.self)
            let items = text.split(separator: "\n").filter { $0.contains("\"create\"") }.map { line in
                line.contains("\"id-2\"")
                    ? #"{"create":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"busy"}}}"#
                    : #"{"create":{"status":201}}"#
            }
            return HTTPResponse(
                status: 200, body: Array(#"{"took":1,"errors":true,"items":[\#(items.joined(separator: ","))]}"#.utf8))
        }
        try await withTemporaryDirectory { directory in
            let rig = try Self.rig(directory, handler: handler)
            async let running: Void = rig.recorder.run()
            for n in 1...3 { rig.recorder.accept(R.doc(n)) }
            rig.recorder.accept(R.doc(4))
            #expect(await eventually { rig.transport.requests.filter { $0.path == "/_bulk" }.count >= 2 })
            #expect(await eventually { rig.log.unconfirmedDocuments == 1 }, "only id-2 waits for a retry")
            // Shutdown: id-2 goes to the spool, which confirms it in the log; the log is empty.
            await rig.recorder.finish(deadline: rig.clock.monotonicNanos())
            try await running
            #expect(rig.log.unconfirmedDocuments == 0)
            #expect(rig.log.bytes == 0)
            #expect(try SpoolFixtures.segmentFiles(WriteAheadLog.directory(inSpool: directory)).isEmpty)
            #expect(try SpoolFixtures.drain(rig.spool).map(\.id) == ["id-2"])
        }
    }

    @Test func whileTheClusterIsUnreachableSpooledDocumentsLeaveTheLog() async throws {
        try await withTemporaryDirectory { directory in
            let rig = try Self.rig(directory) { _ throws(HTTPError) in
                throw HTTPError.connectFailed("connection refused")
            }
            async let running: Void = rig.recorder.run()
            #expect(await eventually { rig.transport.requests.count >= 1 })
            for n in 1...5 { rig.recorder.accept(R.doc(n)) }
            #expect(rig.log.unconfirmedDocuments == 5)
            #expect(await eventually { rig.spool.usage.bytes > 0 && rig.log.unconfirmedDocuments == 0 })
            await rig.recorder.finish(deadline: rig.clock.monotonicNanos())
            try await running
            #expect(try SpoolFixtures.drain(rig.spool).map(\.id) == ["id-1", "id-2", "id-3", "id-4", "id-5"])
        }
    }
}
