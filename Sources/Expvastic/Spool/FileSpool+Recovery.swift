import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import Glibc

extension FileSpool {
    /// Reads the cursor and checks every segment from the cursor's on. Segments older than the
    /// cursor were fully acknowledged (a crash came between storing the cursor and deleting them)
    /// and are not read.
    package static func recover(
        directory: String,
        maxBytes: Int,
        segmentBytes: Int,
        logger: Logger
    ) throws(SpoolError) -> SpoolStateMachine {
        let names: [String]
        do {
            try FileSystem.createDirectories(directory)
            names = try FileSystem.entries(of: directory)
        } catch {
            throw SpoolError(
                code: "spool_directory",
                message: "spool: cannot use directory \(directory) (\(error)); check spool_dir and its permissions"
            )
        }

        var stored = SpoolPosition(segment: 0, offset: 0)
        if let bytes = try SpoolFile.contents(of: path(directory, SpoolFormat.cursorFileName)) {
            if let position = SpoolFormat.position(fromCursorFile: bytes) {
                stored = position
            } else {
                logger.warn(
                    "spool cursor file is not valid; replaying from the oldest segment (duplicates are harmless)",
                    ["spool.directory": directory]
                )
            }
        }

        var sequences = names.compactMap(SpoolFormat.segmentSequence(fileName:))
        sequences += try adoptWriteAheadLog(
            directory: directory, after: max(stored.segment, sequences.max() ?? 0), logger: logger)

        var segments: [SpoolStateMachine.Segment] = []
        var cursor = stored
        var cursorRecords = 0
        var corrupt = 0
        let header = SpoolFormat.headerBytes
        for sequence in sequences.sorted() {
            let segmentPath = path(directory, SpoolFormat.segmentFileName(sequence))
            let file = try SpoolFile(path: segmentPath, flags: O_RDONLY)
            defer { file.close() }
            let size = try file.size()
            var found = SpoolStateMachine.Segment(
                sequence: sequence,
                bytes: size,
                validEnd: header,
                records: 0,
                sealed: true
            )
            defer { segments.append(found) }
            if sequence < stored.segment { continue }
            if size < header {
                // A crash while the segment was being created: no record was ever in it.
                logger.warn(
                    "spool segment has an incomplete header (\(size) bytes); removing it",
                    ["spool.segment": segmentPath]
                )
                continue
            }
            if let problem = SpoolFormat.headerProblem(try file.read(count: header, at: 0)) {
                reportCorruption(logger: logger, path: segmentPath, offset: 0, skipped: size, reason: problem)
                corrupt += 1
                continue
            }
            let scan = try SegmentScan(
                file: file,
                from: header,
                to: size,
                keepDocuments: false,
                mark: sequence == stored.segment ? stored.offset : nil
            )
            if let failure = scan.failure {
                reportCorruption(
                    logger: logger,
                    path: segmentPath,
                    offset: failure.offset,
                    skipped: size - failure.offset,
                    reason: failure.reason
                )
                corrupt += 1
            }
            found.validEnd = scan.end
            found.records = scan.records
            if sequence == stored.segment {
                cursorRecords = scan.markedRecords
                if scan.markedOffset != stored.offset && stored.offset > header {
                    logger.warn(
                        "spool cursor (byte \(stored.offset)) is not at a record boundary; resuming at byte "
                            + "\(scan.markedOffset)",
                        ["spool.segment": segmentPath]
                    )
                    cursor.offset = scan.markedOffset
                }
            }
        }
        return SpoolStateMachine(
            maxBytes: maxBytes,
            segmentBytes: segmentBytes,
            recovered: segments,
            cursor: cursor,
            cursorRecords: cursorRecords,
            corruptRecords: corrupt
        )
    }

    /// Moves the segments a write-ahead log left in `<directory>/wal` (a crash or `kill -9`
    /// before their documents were confirmed) into the spool, as its newest segments with
    /// sequences after `newest`, so that they are checked and replayed like any spooled batch.
    /// `rename` is atomic: a crash in the middle leaves each segment in one place or the other,
    /// and the next start moves the rest. Returns the new sequences.
    package static func adoptWriteAheadLog(directory: String, after newest: UInt64, logger: Logger) throws(SpoolError)
        -> [UInt64]
    {
        let logDirectory = WriteAheadLog.directory(inSpool: directory)
        guard FileSystem.kind(of: logDirectory) == .directory else { return [] }
        let names: [String]
        do {
            names = try FileSystem.entries(of: logDirectory)
        } catch {
            throw SpoolError(
                code: "spool_directory",
                message: "spool: cannot list the write-ahead log \(logDirectory) (\(error)); check its permissions")
        }
        var adopted: [UInt64] = []
        var next = newest + 1
        for sequence in names.compactMap(SpoolFormat.segmentSequence(fileName:)).sorted() {
            let source = path(logDirectory, SpoolFormat.segmentFileName(sequence))
            let file = try SpoolFile(path: source, flags: O_RDONLY)
            let size = try file.size()
            file.close()
            guard size > SpoolFormat.headerBytes else {
                // Created, never written to: nothing to replay.
                try SpoolFile.remove(source)
                continue
            }
            let target = path(directory, SpoolFormat.segmentFileName(next))
            let moved = source.withCString { from in target.withCString { to in rename(from, to) } }
            guard moved == 0 else { throw SpoolFile.error("move the write-ahead log segment to", target) }
            adopted.append(next)
            next += 1
        }
        if !adopted.isEmpty {
            try SpoolFile.syncDirectory(directory)
            try SpoolFile.syncDirectory(logDirectory)
            logger.info(
                "write-ahead log of the previous run handed to the spool: \(adopted.count) segments are replayed "
                    + "(documents already stored are answered 409 and count as delivered)",
                ["spool.directory": directory, "spool.segments": String(adopted.count)]
            )
        }
        return adopted
    }
}
