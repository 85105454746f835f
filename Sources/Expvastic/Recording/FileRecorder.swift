import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import Synchronization

/// Appends documents to a file in exactly the `_bulk` NDJSON format (a `create` action line, then
/// the document), rotating by size: `path`, `path.1` … `path.<max_files>` (SPEC §4.5). Good for
/// debugging, capture and offline replay (`curl -H 'Content-Type: application/x-ndjson'
/// --data-binary @file http://…/_bulk`).
///
/// ``accept(_:)`` only queues; the ``run()`` loop writes, through the recorder's ``BlockingExecutor``
/// (writes, rotation and the final `fsync` block on the disk). The queue holds `queueSize` documents;
/// beyond that documents are dropped and counted (`docs_dropped`), since a file recorder has no spool.
public final class FileRecorder: Recorder {
    public let name: String
    private let configuration: FileRecorderConfiguration
    private let encoder: BulkEncoder
    private let clock: any TimeSource
    private let logger: Logger
    private let io: BlockingExecutor
    private let queueSize: Int
    private let queued: Counter
    private let written: Counter
    private let dropped: Counter
    private let queueLength: Gauge
    private let state = Mutex(State())
    private let wakeup = Wakeup()
    private let loopEnded = Latch()

    private struct State {
        package var documents: [Document] = []
        package var finishing = false
        package var running = false
        package var ended = false
    }

    /// - Parameters:
    ///   - io: where the file is written; a new executor for this recorder by default.
    /// - Throws: ``RecorderError`` with code `bad_index_name` when `index_name` is not a valid index name.
    public init(
        name: String,
        configuration: FileRecorderConfiguration,
        clock: any TimeSource,
        metrics: any MetricsFactory,
        logger: Logger,
        queueSize: Int = 10_000,
        io: BlockingExecutor? = nil
    ) throws(RecorderError) {
        self.name = name
        self.configuration = configuration
        do {
            encoder = BulkEncoder(indexName: try IndexName(configuration.indexName))
        } catch {
            throw RecorderError(code: "bad_index_name", message: "recorders.\(name).index_name: \(error.description)")
        }
        self.clock = clock
        self.logger = logger
        self.io = io ?? BlockingExecutor(label: "expvastic.recorder.\(name)")
        self.queueSize = max(1, queueSize)
        let labels = [MetricKey.Label("recorder", name)]
        queued = metrics.counter(MetricKey("docs_queued", labels: labels))
        written = metrics.counter(MetricKey("docs_sent", labels: labels))
        dropped = metrics.counter(MetricKey("docs_dropped", labels: labels))
        queueLength = metrics.gauge(MetricKey("queue_length", labels: labels))
    }

    public var status: RecorderStatus {
        RecorderStatus(
            name: name, kind: "file", destination: configuration.path, documentsSent: Int(written.value),
            queueLength: state.withLock { $0.documents.count })
    }

    public func accept(_ document: Document) {
        let accepted = state.withLock { state -> Bool in
            guard !state.ended, state.documents.count < queueSize else { return false }
            state.documents.append(document)
            return true
        }
        if accepted {
            queued.increment()
            wakeup.signal()
        } else {
            dropped.increment()
        }
    }

    public func run() async throws {
        let alreadyEnded = state.withLock { state -> Bool in
            if state.ended { return true }
            state.running = true
            return false
        }
        if alreadyEnded { return }
        let file = RotatingFile(
            path: configuration.path, maxBytes: configuration.maxBytes, maxFiles: configuration.maxFiles)
        var failing = false
        while true {
            let (documents, finishing) = state.withLock { state in
                defer { state.documents = [] }
                return (state.documents, state.finishing || Task.isCancelled)
            }
            queueLength.set(0)
            if !documents.isEmpty {
                let wasFailing = failing
                failing = await io.run { self.write(documents, to: file, failing: wasFailing) }
            }
            if finishing { break }
            await wakeup.wait(until: nil, clock: clock)
        }
        do throws(RecorderError) {
            try await io.run { () throws(RecorderError) in try file.sync() }
        } catch {
            logger.error("cannot sync at shutdown", ["error": error.message])
        }
        await io.run { file.close() }
        let late = state.withLock { state in
            state.ended = true
            state.running = false
            defer { state.documents = [] }
            return state.documents.count
        }
        if late > 0 { dropped.increment(by: Int64(late)) }
        loopEnded.open()
    }

    /// Writes what is queued, fsyncs and returns (the file recorder needs no deadline: writes are local).
    public func finish(deadline: UInt64) async {
        let (running, leftovers) = state.withLock { state -> (Bool, [Document]) in
            state.finishing = true
            if state.running { return (true, []) }
            state.ended = true
            defer { state.documents = [] }
            return (false, state.documents)
        }
        wakeup.signal()
        if running {
            await loopEnded.wait()
        } else if !leftovers.isEmpty {
            // run() never started: write here.
            let file = RotatingFile(
                path: configuration.path, maxBytes: configuration.maxBytes, maxFiles: configuration.maxFiles)
            await io.run {
                _ = self.write(leftovers, to: file, failing: false)
                try? file.sync()
                file.close()
            }
        }
    }

    /// Appends and flushes `documents` (blocking: runs on ``io``); returns whether writing is now
    /// failing, logging only when that changes from `failing`.
    private func write(_ documents: [Document], to file: RotatingFile, failing: Bool) -> Bool {
        do throws(RecorderError) {
            var record: [UInt8] = []
            for document in documents {
                record.removeAll(keepingCapacity: true)
                encoder.append(document, to: &record)
                try file.append(record)
            }
            try file.flush()
            written.increment(by: Int64(documents.count))
            if failing { logger.info("file writable again", ["file": configuration.path]) }
            return false
        } catch {
            dropped.increment(by: Int64(documents.count))
            if !failing {
                logger.error("cannot write; documents are dropped until it works", ["error": error.message])
            }
            return true
        }
    }
}
