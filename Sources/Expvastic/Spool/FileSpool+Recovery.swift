import Glibc

extension FileSpool {
    /// Reads the cursor and checks every segment from the cursor's on. Segments older than the
    /// cursor were fully acknowledged (a crash came between storing the cursor and deleting them)
    /// and are not read.
    static func recover(
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

        var segments: [SpoolStateMachine.Segment] = []
        var cursor = stored
        var cursorRecords = 0
        var corrupt = 0
        let header = SpoolFormat.headerBytes
        for sequence in names.compactMap(SpoolFormat.segmentSequence(fileName:)).sorted() {
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
}
