import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import Glibc
import Synchronization

/// The write-ahead log of an Elasticsearch recorder: every document it accepts is written here
/// before `accept` returns, and confirmed once Elasticsearch stored it (or it was dead-lettered,
/// or moved to the spool). A `kill -9` at any moment therefore loses nothing: what the log holds
/// is in the kernel, and the next start hands every segment left in the log to the spool, which
/// replays it (`create` with the deterministic `_id` makes a re-sent document a harmless 409).
///
/// - Format: the spool's segment files (`SpoolFormat`), in the spool directory's `wal/`.
/// - ``append(_:)`` does one `pwritev` (no `fsync`): page cache, a few microseconds per document,
///   and it never waits for a disk flush. The record's head (frame, id, time, reader) is encoded
///   and the whole record checksummed before the log's lock is taken, in a temporary buffer on the
///   stack; the body is written from the document, never copied. The lock covers only the
///   bookkeeping and the write. ``startSync()`` (or ``sync()`` where the kernel
///   has no AIO) makes what was written since the last call durable; the recorder calls it every
///   `wal_sync_interval`, so a power loss loses at most that much (plus the time the sync takes).
/// - ``startSync()`` hands the `fdatasync`s to the kernel (``KernelSync``, Linux AIO) and returns
///   at once: no thread of ours wakes or blocks for a group commit. ``sync()`` does them on the
///   calling thread. A segment is synced with `fdatasync`: its data, and its size when it grew
///   (what reading it back needs), not its times; the directory with `fsync` when a segment was
///   created.
///   (Copying records into a `MAP_SHARED` mapping of the segment instead was measured on
///   `e2e-1000`: its page faults cost as much kernel time as the `pwrite`s, and each `fsync` then
///   had to write-protect the mapped pages; see `Benchmarks/README.md`.)
/// - A segment is deleted when it takes no more records and all of its records were confirmed;
///   the writer is rolled once it is fully confirmed and `rollBytes` large, so a restart re-sends
///   little.
/// - Bytes count against the spool's `spool_max_bytes` (``SpoolBudget``): a record that would
///   take the two past it is refused (`spool_full`), and the document stays in memory only.
///
/// Calls are serialized by a mutex; ``sync()`` fsyncs outside it, so appends never wait for it.
public final class WriteAheadLog: Sendable {
    /// The log's directory (`<spool_dir>/wal`).
    public let directory: String
    private let budget: SpoolBudget
    private let logger: Logger
    /// `wal_bytes` and `wal_syncs`, when metrics were asked for.
    private let bytesGauge: Gauge?
    private let syncCounter: Counter?
    private let state: Mutex<State>
    /// Where ``startSync()`` hands its syncs; nil when the kernel has no AIO.
    private let kernelSync: KernelSync?

    /// Encoded records on the appending thread's stack, then the body of the last one when it is
    /// written from its document; written under the lock while that thread waits for it, never
    /// kept.
    private struct Records: @unchecked Sendable {
        package let bytes: UnsafeRawBufferPointer
        package var body = UnsafeRawBufferPointer(start: nil, count: 0)
        package var count: Int { bytes.count + body.count }
    }

    private struct State: ~Copyable {
        package mutating func takeDeletions() -> [String] {
            defer { toDelete = [] }
            return toDelete
        }

        package var ledger: WriteAheadLedger
        package var writer: (sequence: UInt64, file: SpoolFile)?
        /// The writer has bytes that were not fsync'd.
        package var writerDirty = false
        /// Files rolled or about to be deleted with bytes that were not fsync'd; synced and closed by `sync`.
        package var toSync: [SpoolFile] = []
        /// A segment was created since the last sync: the directory needs one too.
        package var directoryDirty = false
        /// Confirmed segments to unlink once the lock is released (on ext4, unlinking a 1 MiB file
        /// frees its blocks: appends should not wait for that).
        package var toDelete: [String] = []
        /// Syncs ``startSync()`` handed to the kernel whose results were not reaped yet.
        package var syncsInFlight = 0
        /// False once the kernel refused an AIO sync as unsupported (`EINVAL`: the file system has
        /// no `fsync` for it): ``startSync()`` answers ``SyncStart/unavailable`` from then on.
        package var kernelSyncWorks = true
    }

    /// The log's directory inside a spool directory.
    public static func directory(inSpool spoolDirectory: String) -> String {
        FileSpool.path(spoolDirectory, "wal")
    }

    /// Opens (creating it) the log in `directory`. Segments already there are left alone (a
    /// ``FileSpool`` adopts them when it opens, before this); new ones get higher sequences.
    ///
    /// - Parameters:
    ///   - budget: shared with the spool; its `maxBytes` is `spool_max_bytes`.
    ///   - segmentBytes: size at which a new segment is started.
    ///   - rollBytes: size at which a fully confirmed writer is deleted (default 1 MiB).
    ///   - metrics: when given, the gauge `wal_bytes` and the counter `wal_syncs` are kept, with `metricLabels`.
    ///   - kernelSync: false never hands syncs to the kernel (``startSync()`` answers
    ///     ``SyncStart/unavailable``), as on a kernel without AIO.
    public init(
        directory: String,
        budget: SpoolBudget,
        segmentBytes: Int,
        rollBytes: Int = 1 << 20,
        logger: Logger,
        metrics: (any MetricsFactory)? = nil,
        metricLabels: [MetricKey.Label] = [],
        kernelSync: Bool = true
    ) throws(SpoolError) {
        let names: [String]
        do {
            try FileSystem.createDirectories(directory)
            names = try FileSystem.entries(of: directory)
        } catch {
            throw SpoolError(
                code: "spool_directory",
                message:
                    "write-ahead log: cannot use directory \(directory) (\(error)); check spool_dir and its permissions"
            )
        }
        let newest = names.compactMap(SpoolFormat.segmentSequence(fileName:)).max() ?? 0
        self.directory = directory
        self.budget = budget
        self.logger = logger
        bytesGauge = metrics?.gauge(MetricKey("wal_bytes", labels: metricLabels))
        syncCounter = metrics?.counter(MetricKey("wal_syncs", labels: metricLabels))
        let segmentBytes = max(segmentBytes, SpoolFormat.headerBytes + SpoolFormat.frameHeaderBytes + 1)
        self.kernelSync = kernelSync ? KernelSync() : nil
        state = Mutex(
            State(
                ledger: WriteAheadLedger(segmentBytes: segmentBytes, rollBytes: rollBytes, firstSequence: newest + 1)))
    }

    deinit {
        state.withLock { state in
            state.writer?.file.close()
            state.writer = nil
            for file in state.toSync { file.close() }
            state.toSync = []
        }
    }

    /// Writes one document (one `pwritev` of its record's head, encoded on the stack, and of its
    /// body as it is; no `fsync`, no allocation, no copy of the body). When this returns it survives
    /// a crash of the process; ``sync()`` makes it survive a crash of the machine.
    public func append(_ document: Document) throws(SpoolError) {
        let headBytes = SpoolFormat.recordHeadBytes(document)
        try withUnsafeTemporaryAllocation(byteCount: headBytes, alignment: 8) { (head) throws(SpoolError) in
            try SpoolFormat.writeRecordHead(document, into: head)
            let outcome = document.body.withUnsafeBytes { body in
                let records = Records(bytes: UnsafeRawBufferPointer(head), body: body)
                return Result { () throws(SpoolError) in try appendRecords(records, ids: CollectionOfOne(document.id)) }
            }
            try outcome.get()
        }
    }

    /// Writes the documents (their records copied into one buffer, one write, no `fsync`). When
    /// this returns they survive a crash of the process; ``sync()`` makes them survive a crash of
    /// the machine.
    public func append(_ documents: [Document]) throws(SpoolError) {
        guard !documents.isEmpty else { return }
        var recordBytes = 0
        for document in documents { recordBytes += SpoolFormat.recordBytes(document) }
        // Encoded and checksummed before the lock (the standard library puts small buffers on the
        // stack, larger ones on the heap).
        try withUnsafeTemporaryAllocation(byteCount: recordBytes, alignment: 8) { (buffer) throws(SpoolError) in
            var index = 0
            for document in documents {
                let count = SpoolFormat.recordBytes(document)
                try SpoolFormat.writeRecord(
                    document, into: UnsafeMutableRawBufferPointer(rebasing: buffer[index..<index + count]))
                index += count
            }
            try appendRecords(Records(bytes: UnsafeRawBufferPointer(buffer)), ids: documents.map(\.id))
        }
    }

    /// Generic for the two entry points above only, so that each gets a specialized copy (an
    /// unspecialized generic costs more than the copy it does).
    private func appendRecords<C: Collection & Sendable>(_ records: Records, ids: C) throws(SpoolError)
    where C.Element == String {
        let recordBytes = records.count
        var deletions: [String] = []
        defer { remove(deletions) }
        try state.withLock { state throws(SpoolError) in
            defer { swap(&deletions, &state.toDelete) }
            let spoolBytes = budget.spoolBytes
            let needed = recordBytes + (state.ledger.writer == nil ? SpoolFormat.headerBytes : 0)
            guard state.ledger.totalBytes + spoolBytes + needed <= budget.maxBytes else {
                throw SpoolError(
                    code: "spool_full",
                    message:
                        "write-ahead log: spool_max_bytes (\(budget.maxBytes)) is reached (spool \(spoolBytes) bytes, "
                        + "log \(state.ledger.totalBytes) bytes); \(ids.count) documents are held in memory only "
                        + "until the spool drains; raise spool_max_bytes if this happens while the cluster is up"
                )
            }
            defer { publish(state.ledger.totalBytes) }
            if let (segment, offset) = state.ledger.writerOffset(for: recordBytes) {
                // The common case, without a list of actions.
                try write(records, ids: ids, to: segment, at: offset, in: &state)
                return
            }
            for action in state.ledger.append(bytes: recordBytes) {
                switch action {
                case .create(let segment):
                    try create(segment, in: &state)
                case .write(let segment, let offset):
                    try write(records, ids: ids, to: segment, at: offset, in: &state)
                case .delete:
                    perform([action], in: &state)
                }
            }
        }
    }

    /// These documents were stored by Elasticsearch, dead-lettered or spooled: their records
    /// need not be replayed. Deletes the segments that hold nothing unconfirmed any more.
    public func confirm(_ documents: [Document]) {
        guard !documents.isEmpty else { return }
        let deletions = state.withLock { state in
            perform(state.ledger.confirm(documents.lazy.map(\.id)), in: &state)
            publish(state.ledger.totalBytes)
            return state.takeDeletions()
        }
        remove(deletions)
    }

    /// Whether ``sync()`` has anything to do (something was written, rolled or created since).
    public var needsSync: Bool {
        state.withLock { !$0.toSync.isEmpty || $0.writerDirty || $0.directoryDirty }
    }

    /// Fsyncs what was written since the last call (the writer, rolled segments and the directory
    /// when a segment was created). The `fsync` runs outside the log's lock, on a duplicate of the
    /// descriptor, so appends go on meanwhile. Returns the number of `fsync` calls made.
    @discardableResult
    public func sync() throws(SpoolError) -> Int {
        let (files, syncDirectory) = state.withLock { state -> ([SpoolFile], Bool) in
            var files = state.toSync
            state.toSync = []
            if state.writerDirty, let writer = state.writer {
                let copy = dup(writer.file.descriptor)
                if copy >= 0 {
                    files.append(SpoolFile(descriptor: copy, path: writer.file.path))
                    state.writerDirty = false
                }
            }
            defer { state.directoryDirty = false }
            return (files, state.directoryDirty)
        }
        defer { for file in files { file.close() } }
        var failure: SpoolError?
        for file in files {
            do { try file.syncData() } catch { failure = failure ?? error }
        }
        if syncDirectory {
            do { try SpoolFile.syncDirectory(directory) } catch { failure = failure ?? error }
        }
        let count = files.count + (syncDirectory ? 1 : 0)
        syncCounter?.increment(by: Int64(count))
        if let failure { throw failure }
        return count
    }

    /// What ``startSync()`` did.
    public enum SyncStart: Equatable, Sendable {
        /// This many syncs (segments, and the directory when a segment was created) went to the kernel.
        case started(Int)
        /// Nothing was written, rolled or created since the last sync.
        case nothingToSync
        /// The syncs of the last call are still running (the next call starts what is new).
        case stillRunning
        /// The kernel takes no AIO syncs: call ``sync()`` on a thread that may block instead.
        case unavailable
    }

    /// Group commit without waiting: hands the syncs of what was written since the last sync (as
    /// ``sync()`` would do them) to the kernel (``KernelSync``) and returns at once, so it may run on
    /// a thread that must not block. One group at a time: while the last one runs, nothing starts.
    /// Reaps the results of the last group first (without waiting).
    ///
    /// - Throws: the first failure of the last group's syncs (the data they covered may not be
    ///   durable), or the kernel refusing the submission; what was not submitted stays to sync.
    public func startSync() throws(SpoolError) -> SyncStart {
        guard let kernelSync else { return .unavailable }
        var toClose: [SpoolFile] = []
        defer { for file in toClose { file.close() } }
        return try state.withLock { state throws(SpoolError) -> SyncStart in
            if let failure = reapSyncs(waitingForAll: false, in: &state) { throw failure }
            guard state.kernelSyncWorks else { return .unavailable }
            guard state.syncsInFlight == 0 else { return .stillRunning }
            guard !state.toSync.isEmpty || state.writerDirty || state.directoryDirty else { return .nothingToSync }
            // Rolled segments, the writer, the directory: in this order, and the first `submitted` went.
            var requests = state.toSync.map { KernelSync.Request(descriptor: $0.descriptor, dataOnly: true) }
            if state.writerDirty, let writer = state.writer {
                requests.append(KernelSync.Request(descriptor: writer.file.descriptor, dataOnly: true))
            }
            var directoryFile: SpoolFile?
            if state.directoryDirty {
                let file = try SpoolFile(path: directory, flags: O_RDONLY | O_DIRECTORY)
                directoryFile = file
                toClose.append(file)
                requests.append(KernelSync.Request(descriptor: file.descriptor, dataOnly: false))
            }
            let (submitted, code) = kernelSync.submit(Array(requests.prefix(kernelSync.capacity)))
            if submitted == 0 {
                if code == EINVAL || code == ENOSYS || code == EOPNOTSUPP {
                    state.kernelSyncWorks = false
                    return .unavailable
                }
                throw SpoolFile.error("start an fsync in", directory, errno: code)
            }
            state.syncsInFlight = submitted
            // The kernel holds its own reference to each file: rolled segments can be closed now.
            let rolled = min(submitted, state.toSync.count)
            toClose += state.toSync.prefix(rolled)
            state.toSync.removeFirst(rolled)
            var left = submitted - rolled
            if state.writerDirty, state.writer != nil, left > 0 {
                state.writerDirty = false
                left -= 1
            }
            if directoryFile != nil, left > 0 { state.directoryDirty = false }
            return .started(submitted)
        }
    }

    /// Takes the results of the syncs ``startSync()`` started (all of them, waiting, at shutdown;
    /// what has finished otherwise), counts them in `wal_syncs`, and returns the first failure.
    private func reapSyncs(waitingForAll: Bool, in state: inout State) -> SpoolError? {
        guard let kernelSync, state.syncsInFlight > 0 else { return nil }
        var failure: SpoolError?
        repeat {
            let minimum = waitingForAll ? state.syncsInFlight : 0
            switch kernelSync.reap(
                minimum: minimum, maximum: state.syncsInFlight, timeoutNanos: waitingForAll ? nil : 0)
            {
            case .success(let results):
                state.syncsInFlight -= results.count
                syncCounter?.increment(by: Int64(results.count))
                if let code = results.first(where: { $0 != 0 }), failure == nil {
                    failure = SpoolFile.error("fsync", directory, errno: code)
                }
                if results.isEmpty { return failure }
            case .failure(let error):
                return failure ?? SpoolFile.error("reap an fsync in", directory, errno: error.errno)
            }
        } while state.syncsInFlight > 0
        return failure
    }

    /// Shutdown, after everything in memory was stored or spooled: waits for the syncs
    /// ``startSync()`` started, fsyncs, and deletes the writer when all of its records were
    /// confirmed. Appends after this start a new segment.
    public func close() throws(SpoolError) {
        let (deletions, inFlight) = state.withLock { state in
            perform(state.ledger.close(), in: &state)
            publish(state.ledger.totalBytes)
            return (state.takeDeletions(), reapSyncs(waitingForAll: true, in: &state))
        }
        remove(deletions)
        try sync()
        if let inFlight { throw inFlight }
    }

    /// Documents written and not confirmed yet.
    public var unconfirmedDocuments: Int { state.withLock { $0.ledger.unconfirmedDocuments } }

    /// Bytes of the log's segment files.
    public var bytes: Int { state.withLock { $0.ledger.totalBytes } }

    /// The log's segment files, oldest first.
    public var segmentPaths: [String] { state.withLock { $0.ledger.segments.map { path(of: $0.sequence) } } }

    // MARK: Actions

    private func path(of segment: UInt64) -> String {
        FileSpool.path(directory, SpoolFormat.segmentFileName(segment))
    }

    private func create(_ segment: UInt64, in state: inout State) throws(SpoolError) {
        closeWriter(in: &state)
        let path = path(of: segment)
        do {
            let file = try SpoolFile(path: path, flags: O_WRONLY | O_CREAT | O_EXCL)
            state.writer = (segment, file)
            try file.write(SpoolFormat.segmentHeader(), at: 0)
            state.writerDirty = true
            state.directoryDirty = true
        } catch {
            closeWriter(in: &state)
            try? SpoolFile.remove(path)
            state.ledger.creationFailed(segment: segment)
            throw error
        }
    }

    private func write<C: Collection & Sendable>(
        _ records: Records, ids: C, to segment: UInt64, at offset: Int, in state: inout State
    ) throws(SpoolError) where C.Element == String {
        guard let file = state.writer?.file, state.writer?.sequence == segment else {
            preconditionFailure("write-ahead log writes to segment \(segment) but has another open")
        }
        do {
            try file.write(records.bytes, then: records.body, at: offset)
        } catch {
            // Never leave a partial record for the next append to follow: cut it off, and seal.
            try? file.truncate(to: offset)
            perform(state.ledger.writeFailed(segment: segment), in: &state)
            closeWriter(in: &state)
            throw error
        }
        state.writerDirty = true
        state.ledger.written(segment: segment, bytes: records.count, ids: ids)
    }

    /// Forgets deleted segments; ``remove(_:)`` unlinks their files once the lock is released.
    private func perform(_ actions: [WriteAheadLedger.Action], in state: inout State) {
        for action in actions {
            guard case .delete(let segment) = action else {
                preconditionFailure("\(action) is performed by append")
            }
            if state.writer?.sequence == segment { closeWriter(in: &state) }
            let path = path(of: segment)
            // A deleted segment needs no fsync (and the descriptor must not wait for one).
            state.toSync.removeAll { file in
                guard file.path == path else { return false }
                file.close()
                return true
            }
            state.toDelete.append(path)
        }
        if let writer = state.writer, writer.sequence != state.ledger.writer { closeWriter(in: &state) }
    }

    /// Unlinks confirmed segments, outside the lock. Failures are logged, never thrown: a segment
    /// that could not be deleted is only replayed again after a restart (duplicates are harmless).
    private func remove(_ paths: [String]) {
        for path in paths {
            do {
                try SpoolFile.remove(path)
            } catch {
                logger.error(
                    "write-ahead log cannot delete a confirmed segment: \(error.message)", ["spool.segment": path])
            }
        }
    }

    /// Closes the writer; bytes not synced yet are synced by the next ``sync()`` first.
    private func closeWriter(in state: inout State) {
        guard let writer = state.writer else { return }
        state.writer = nil
        if state.writerDirty {
            state.toSync.append(writer.file)
            state.writerDirty = false
        } else {
            writer.file.close()
        }
    }

    private func publish(_ bytes: Int) {
        budget.setLogBytes(bytes)
        bytesGauge?.set(Double(bytes))
    }
}
