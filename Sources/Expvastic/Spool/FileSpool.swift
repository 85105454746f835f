import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import Glibc
import Synchronization

/// A ``Spool`` in a directory of append-only segment files (format: see `SpoolFormat`).
///
/// - `append` writes every record of a batch with one write and one fsync; a new segment is
///   started when the current one would grow past `segmentBytes` (and the directory is synced).
/// - `peek` reads the oldest unacknowledged records of one segment (a batch never spans two);
///   `acknowledge` stores the position in the `cursor` file and deletes segments whose records were
///   all acknowledged.
/// - On open every segment is checked; a torn or corrupt record is reported once (error log with
///   segment, offset and skipped bytes), counted in ``SpoolUsage/corruptRecords`` and skipped with
///   the rest of its segment; the records before it are kept. Segments of an earlier run are never
///   appended to.
/// - When an append would exceed `maxBytes` the oldest segments are dropped, counted in
///   ``SpoolUsage/droppedDocuments`` and logged at error level.
///
/// Calls are serialized by a mutex and block on disk I/O (fsync), so call them from a context
/// where blocking briefly is acceptable.
public final class FileSpool: Spool {
    /// Default size at which a new segment file is started: 16 MiB.
    public static let defaultSegmentBytes = 16 << 20

    /// A segment size that lets `spool_max_bytes` drop about an eighth of the spool at a time:
    /// 16 MiB for the default 1 GiB, smaller for small spools (at least 64 KiB).
    public static func segmentBytes(forMaxBytes maxBytes: Int) -> Int {
        min(defaultSegmentBytes, max(maxBytes / 8, 64 << 10))
    }

    /// The spool directory.
    public let directory: String
    /// `spool_max_bytes`, shared with the recorder's ``WriteAheadLog`` (see ``openWriteAheadLog(syncing:logger:metrics:metricLabels:)``).
    public let budget: SpoolBudget
    package let logger: Logger
    private let instruments: Instruments?
    private let state: Mutex<State>

    package struct State {
        package var machine: SpoolStateMachine
        /// The open segment being written; its sequence is the machine's writer.
        package var writer: (sequence: UInt64, file: SpoolFile)?
        /// The batch handed out by `peek` and not acknowledged yet.
        package var pending: SpoolBatch?
        /// The `cursor` file, open once the first acknowledgement is stored.
        package var cursorFile: SpoolFile?
    }

    private struct Instruments {
        package var bytes: Gauge
        package var segments: Gauge
        package var dropped: Counter
        package var corrupt: Counter
    }

    /// Opens (or creates, with its parents) the spool in `directory` and checks what it holds.
    ///
    /// - Parameters:
    ///   - maxBytes: `spool_max_bytes`; appends beyond it drop the oldest segments.
    ///   - segmentBytes: size at which a new segment file is started (default 16 MiB).
    ///   - logger: where corruption, drops and I/O trouble are reported.
    ///   - metrics: when given, the gauges `spool_bytes` and `spool_segments` and the counters
    ///     `spool_dropped_documents` and `spool_corrupt_records` are kept, with `metricLabels`.
    public init(
        directory: String,
        maxBytes: Int,
        segmentBytes: Int = FileSpool.defaultSegmentBytes,
        logger: Logger,
        metrics: (any MetricsFactory)? = nil,
        metricLabels: [MetricKey.Label] = []
    ) throws(SpoolError) {
        let smallest = SpoolFormat.headerBytes + SpoolFormat.frameHeaderBytes + 1
        guard maxBytes >= smallest, segmentBytes >= smallest else {
            throw SpoolError(
                code: "spool_config",
                message:
                    "spool \(directory): spool_max_bytes (\(maxBytes)) and the segment size (\(segmentBytes)) must be "
                    + "at least \(smallest) bytes; use a realistic size such as 1 GiB"
            )
        }
        self.directory = directory
        self.logger = logger
        budget = SpoolBudget(maxBytes: maxBytes)
        instruments = metrics.map { factory in
            Instruments(
                bytes: factory.gauge(MetricKey("spool_bytes", labels: metricLabels)),
                segments: factory.gauge(MetricKey("spool_segments", labels: metricLabels)),
                dropped: factory.counter(MetricKey("spool_dropped_documents", labels: metricLabels)),
                corrupt: factory.counter(MetricKey("spool_corrupt_records", labels: metricLabels))
            )
        }
        let machine = try Self.recover(
            directory: directory,
            maxBytes: maxBytes,
            segmentBytes: segmentBytes,
            logger: logger
        )
        state = Mutex(State(machine: machine))
        state.withLock { state in
            perform(state.machine.collectGarbage(), in: &state)
            publish(from: SpoolUsage(), to: state.machine.usage)
            if state.machine.unacknowledgedDocuments > 0 {
                logger.info(
                    "spool holds \(state.machine.unacknowledgedDocuments) undelivered documents; they will be replayed",
                    ["spool.directory": directory, "spool.segments": String(state.machine.segments.count)]
                )
            }
        }
    }

    deinit {
        state.withLock { state in
            state.writer?.file.close()
            state.writer = nil
            state.cursorFile?.close()
            state.cursorFile = nil
        }
    }

    // MARK: Spool

    public func append(_ documents: [Document]) throws(SpoolError) {
        guard !documents.isEmpty else { return }
        var records: [UInt8] = []
        records.reserveCapacity(documents.reduce(0) { $0 + SpoolFormat.recordBytes($1) })
        for document in documents {
            try SpoolFormat.appendRecord(document, to: &records)
        }
        try state.withLock { state throws(SpoolError) in
            let before = state.machine.usage
            defer { publish(from: before, to: state.machine.usage) }
            let actions = try state.machine.append(
                bytes: records.count, records: documents.count, reservedBytes: budget.logBytes)
            for action in actions {
                switch action {
                case .create(let segment):
                    try create(segment, in: &state)
                case .write(let segment, let offset):
                    try write(records, count: documents.count, to: segment, at: offset, in: &state)
                default:
                    perform([action], in: &state)
                }
            }
        }
    }

    public func peek(maxDocuments: Int) throws(SpoolError) -> SpoolBatch? {
        precondition(maxDocuments > 0, "peek needs room for at least one document")
        return try state.withLock { state throws(SpoolError) -> SpoolBatch? in
            if let pending = state.pending, pending.documents.count <= maxDocuments { return pending }
            let before = state.machine.usage
            defer { publish(from: before, to: state.machine.usage) }
            while let range = state.machine.readRange() {
                let scan: SegmentScan
                do throws(SpoolError) {
                    let file = try SpoolFile(path: path(of: range.segment), flags: O_RDONLY)
                    defer { file.close() }
                    scan = try SegmentScan(
                        file: file,
                        from: range.start,
                        to: range.end,
                        maxRecords: maxDocuments,
                        keepDocuments: true
                    )
                } catch  where error.code == "spool_missing" {
                    lose(range, at: range.start, reason: "segment file is missing", records: 0, in: &state)
                    continue
                }
                if let failure = scan.failure {
                    lose(range, at: failure.offset, reason: failure.reason, records: scan.records, in: &state)
                } else if scan.documents.isEmpty {
                    // readRange promised records; never loop on a segment that does not deliver them.
                    lose(range, at: range.start, reason: "no record where one was expected", records: 0, in: &state)
                    continue
                }
                guard !scan.documents.isEmpty else { continue }
                let batch = SpoolBatch(
                    documents: scan.documents,
                    position: SpoolPosition(segment: range.segment, offset: scan.end)
                )
                state.pending = batch
                return batch
            }
            return nil
        }
    }

    public func acknowledge(_ batch: SpoolBatch) throws(SpoolError) {
        state.withLock { state in
            let before = state.machine.usage
            defer { publish(from: before, to: state.machine.usage) }
            let actions = state.machine.acknowledge(batch.position, documents: batch.documents.count)
            // The outstanding batch starts before the new cursor now (it is this batch, or a part was acknowledged).
            if !actions.isEmpty { state.pending = nil }
            perform(actions, in: &state)
        }
    }

    public var usage: SpoolUsage { state.withLock { $0.machine.usage } }

    /// Opens the write-ahead log in this spool's `wal/` directory, sharing `spool_max_bytes`.
    /// Whatever an earlier run left there was adopted by this spool when it opened (and is
    /// replayed like any spooled batch), so the log starts empty. `kernelSync: false` keeps its
    /// group commits off the kernel's AIO (``WriteAheadLog/startSync()`` answers `.unavailable`).
    public func openWriteAheadLog(
        logger: Logger,
        metrics: (any MetricsFactory)? = nil,
        metricLabels: [MetricKey.Label] = [],
        kernelSync: Bool = true
    ) throws(SpoolError) -> WriteAheadLog {
        try WriteAheadLog(
            directory: WriteAheadLog.directory(inSpool: directory),
            budget: budget,
            segmentBytes: state.withLock { $0.machine.segmentBytes },
            logger: logger,
            metrics: metrics,
            metricLabels: metricLabels,
            kernelSync: kernelSync
        )
    }

    // MARK: Actions

    package func path(of segment: UInt64) -> String {
        Self.path(directory, SpoolFormat.segmentFileName(segment))
    }

    package static func path(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    private func create(_ segment: UInt64, in state: inout State) throws(SpoolError) {
        closeWriter(in: &state)
        let path = path(of: segment)
        do {
            let file = try SpoolFile(path: path, flags: O_WRONLY | O_CREAT | O_EXCL)
            state.writer = (segment, file)
            try file.write(SpoolFormat.segmentHeader(), at: 0)
            try file.sync()
            try SpoolFile.syncDirectory(directory)
        } catch {
            closeWriter(in: &state)
            try? SpoolFile.remove(path)
            state.machine.creationFailed(segment: segment)
            logger.error("spool cannot start a new segment: \(error.message)", ["spool.segment": path])
            throw error
        }
    }

    private func write(
        _ records: [UInt8],
        count: Int,
        to segment: UInt64,
        at offset: Int,
        in state: inout State
    ) throws(SpoolError) {
        guard let writer = state.writer, writer.sequence == segment else {
            preconditionFailure("spool writes to segment \(segment) but has \(String(describing: state.writer)) open")
        }
        do {
            try writer.file.write(records, at: offset)
            try writer.file.sync()
        } catch {
            // Never leave a partial batch for a later append to follow: cut it off, and seal.
            var onDisk = offset
            do { try writer.file.truncate(to: offset) } catch { onDisk = (try? writer.file.size()) ?? offset }
            state.machine.writeFailed(segment: segment, bytesOnDisk: onDisk)
            closeWriter(in: &state)
            logger.error(
                "spool cannot append \(count) documents: \(error.message)", ["spool.segment": writer.file.path])
            throw error
        }
        state.machine.written(segment: segment, bytes: records.count, records: count)
    }

    /// Performs deletions, drops and cursor writes; failures are logged, never thrown: a segment
    /// that could not be deleted or a cursor that could not be stored only means more replay
    /// (duplicates are harmless).
    private func perform(_ actions: [SpoolStateMachine.Action], in state: inout State) {
        for action in actions {
            switch action {
            case .delete(let segment):
                remove(segment, in: &state)
            case .drop(let segment, let documents):
                logger.error(
                    "spool is full (spool_max_bytes \(state.machine.maxBytes)): dropped the oldest segment "
                        + "\(SpoolFormat.segmentFileName(segment)) with \(documents) undelivered documents",
                    [
                        "spool.segment": path(of: segment),
                        "spool.dropped_documents": String(documents),
                    ]
                )
                remove(segment, in: &state)
            case .persistCursor(let position):
                do {
                    try storeCursor(position, in: &state)
                } catch {
                    logger.error(
                        "spool cannot store its cursor (more will be replayed after a restart): \(error.message)",
                        ["spool.directory": directory]
                    )
                }
            case .create, .write:
                preconditionFailure("\(action) is performed by append")
            }
        }
        if let writer = state.writer, writer.sequence != state.machine.writer { closeWriter(in: &state) }
    }

    private func remove(_ segment: UInt64, in state: inout State) {
        if state.writer?.sequence == segment { closeWriter(in: &state) }
        if state.pending?.position.segment == segment { state.pending = nil }
        do {
            try SpoolFile.remove(path(of: segment))
        } catch {
            logger.error("spool cannot delete a segment: \(error.message)", ["spool.segment": path(of: segment)])
        }
    }

    private func closeWriter(in state: inout State) {
        state.writer?.file.close()
        state.writer = nil
    }

    /// Overwrites the cursor file in place, without fsync: acknowledgements are frequent, and a
    /// cursor lost or torn by a power failure (its checksum tells) only means more replay, never
    /// loss. A `kill -9` cannot tear it: the write completes in the kernel.
    private func storeCursor(_ position: SpoolPosition, in state: inout State) throws(SpoolError) {
        if state.cursorFile == nil {
            let file = try SpoolFile(path: Self.path(directory, SpoolFormat.cursorFileName), flags: O_RDWR | O_CREAT)
            do {
                try file.truncate(to: SpoolFormat.cursorBytes)
            } catch {
                file.close()
                throw error
            }
            state.cursorFile = file
        }
        try state.cursorFile?.write(SpoolFormat.cursorFile(position), at: 0)
    }

    /// Reports a torn or corrupt record found while reading (once: the segment is cut there).
    private func lose(
        _ range: SpoolStateMachine.ReadRange,
        at offset: Int,
        reason: String,
        records: Int,
        in state: inout State
    ) {
        let bytes = state.machine.segments.first { $0.sequence == range.segment }?.bytes ?? offset
        Self.reportCorruption(
            logger: logger,
            path: path(of: range.segment),
            offset: offset,
            skipped: max(0, bytes - offset),
            reason: reason
        )
        let actions = state.machine.corruptionFound(
            segment: range.segment,
            offset: offset,
            recordsBefore: range.recordsBefore + records
        )
        perform(actions, in: &state)
    }

    package static func reportCorruption(logger: Logger, path: String, offset: Int, skipped: Int, reason: String) {
        logger.error(
            "spool segment is torn or corrupt at byte \(offset) (\(reason)); skipped \(skipped) bytes, "
                + "the records before it are kept",
            [
                "spool.segment": path,
                "spool.offset": String(offset),
                "spool.skipped_bytes": String(skipped),
                "spool.reason": reason,
            ]
        )
    }

    private func publish(from before: SpoolUsage, to after: SpoolUsage) {
        budget.setSpoolBytes(after.bytes)
        guard let instruments else { return }
        instruments.bytes.set(Double(after.bytes))
        instruments.segments.set(Double(after.segments))
        if after.droppedDocuments > before.droppedDocuments {
            instruments.dropped.increment(by: Int64(after.droppedDocuments - before.droppedDocuments))
        }
        if after.corruptRecords > before.corruptRecords {
            instruments.corrupt.increment(by: Int64(after.corruptRecords - before.corruptRecords))
        }
    }
}
