import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// Every decision of a ``FileSpool`` — when to roll a segment, what to drop for `spool_max_bytes`,
/// where to read, how far the acknowledged cursor moves and which segments may be deleted — as a
/// value type with no I/O. The file spool reports events and performs the returned actions.
///
/// The cursor means: every record in a segment older than `cursor.segment` is acknowledged, and so
/// is every record of `cursor.segment` that ends at or before `cursor.offset` (`cursorRecords` of
/// them). Batches never span segments, so an acknowledgement moves within one segment.
package struct SpoolStateMachine: Sendable, Equatable {
    /// What the machine knows about one segment file.
    package struct Segment: Sendable, Equatable {
        package var sequence: UInt64
        /// Size of the file on disk (garbage after a torn tail included).
        package var bytes: Int
        /// End of the last readable record.
        package var validEnd: Int
        /// Readable records.
        package var records: Int
        /// No more appends: rolled, recovered from an earlier run, torn or failed.
        package var sealed: Bool

        package init(sequence: UInt64, bytes: Int, validEnd: Int, records: Int, sealed: Bool) {
            self.sequence = sequence
            self.bytes = bytes
            self.validEnd = validEnd
            self.records = records
            self.sealed = sealed
        }
    }

    /// What the file spool must do, in order.
    package enum Action: Sendable, Equatable {
        /// Create the segment file with its header (fsync it and the directory); it is the new writer.
        case create(segment: UInt64)
        /// Append the batch's records at `offset` of the segment and fsync.
        case write(segment: UInt64, offset: Int)
        /// Delete a segment that still held unacknowledged documents (`spool_max_bytes`): log it.
        case drop(segment: UInt64, documents: Int)
        /// Delete a segment whose records were all acknowledged (or that holds none).
        case delete(segment: UInt64)
        /// Store the acknowledged position durably.
        case persistCursor(SpoolPosition)
    }

    /// Where the oldest unacknowledged records are.
    package struct ReadRange: Sendable, Equatable {
        package var segment: UInt64
        package var start: Int
        package var end: Int
        /// Records of the segment before `start`.
        package var recordsBefore: Int
    }

    package let maxBytes: Int
    package let segmentBytes: Int
    private(set) package var segments: [Segment] = []
    private(set) package var cursor = SpoolPosition(segment: 0, offset: 0)
    private(set) package var cursorRecords = 0
    private(set) package var nextSequence: UInt64 = 1
    private(set) package var droppedDocuments = 0
    private(set) package var corruptRecords = 0

    private static var headerBytes: Int { SpoolFormat.headerBytes }

    /// An empty spool.
    package init(maxBytes: Int, segmentBytes: Int) {
        precondition(maxBytes > SpoolFormat.headerBytes && segmentBytes > SpoolFormat.headerBytes)
        self.maxBytes = maxBytes
        self.segmentBytes = segmentBytes
    }

    /// The state found on disk: segments in any order (all become sealed: new data goes to a new
    /// segment), the stored cursor and the records of its segment before it, and the corrupt
    /// regions found while scanning. Call ``collectGarbage()`` next.
    package init(
        maxBytes: Int,
        segmentBytes: Int,
        recovered: [Segment],
        cursor: SpoolPosition,
        cursorRecords: Int,
        corruptRecords: Int
    ) {
        self.init(maxBytes: maxBytes, segmentBytes: segmentBytes)
        segments = recovered.sorted { $0.sequence < $1.sequence }.map { segment in
            var sealed = segment
            sealed.sealed = true
            return sealed
        }
        self.cursor = cursor
        self.cursorRecords = cursorRecords
        self.corruptRecords = corruptRecords
        nextSequence = max(cursor.segment, segments.last?.sequence ?? 0) + 1
    }

    /// The segment being written, if any (always the newest).
    package var writer: UInt64? {
        guard let last = segments.last, !last.sealed else { return nil }
        return last.sequence
    }

    package var totalBytes: Int { segments.reduce(0) { $0 + $1.bytes } }

    /// Documents not acknowledged yet.
    package var unacknowledgedDocuments: Int { segments.reduce(0) { $0 + unacknowledgedRecords(in: $1) } }

    package var usage: SpoolUsage {
        SpoolUsage(
            bytes: totalBytes,
            segments: segments.count,
            droppedDocuments: droppedDocuments,
            corruptRecords: corruptRecords
        )
    }

    // MARK: Appending

    /// Plans the append of `records` records taking `bytes` bytes: roll when the writer would
    /// grow past `segmentBytes`, drop the oldest segments while the spool would exceed `maxBytes`.
    /// The returned actions end with `.write`; report ``written(segment:bytes:records:)`` or
    /// ``writeFailed(segment:bytesOnDisk:)`` afterwards. `reservedBytes` (the write-ahead log's
    /// share of `spool_max_bytes`) counts as taken, up to what leaves room for this batch.
    package mutating func append(bytes: Int, records: Int, reservedBytes: Int = 0) throws(SpoolError) -> [Action] {
        precondition(bytes > 0 && records > 0)
        guard bytes + Self.headerBytes <= maxBytes else {
            throw SpoolError(
                code: "spool_batch_too_large",
                message:
                    "a batch of \(records) documents needs \(bytes) bytes, more than spool_max_bytes (\(maxBytes)); "
                    + "raise spool_max_bytes or lower bulk_max_docs / bulk_max_bytes"
            )
        }
        let reserved = min(max(0, reservedBytes), maxBytes - bytes - Self.headerBytes)
        var actions: [Action] = []
        var target: UInt64? = nil
        if let last = segments.last, !last.sealed, last.records == 0 || last.bytes + bytes <= segmentBytes {
            target = last.sequence
        } else {
            sealWriter()
        }
        while totalBytes + reserved + bytes + (target == nil ? Self.headerBytes : 0) > maxBytes {
            if let oldest = segments.first, oldest.sequence != target {
                actions.append(removeOldest())
            } else {
                // Only the writer is left and the batch does not fit beside it: start a new
                // segment so that the writer becomes the oldest and can go.
                sealWriter()
                target = nil
            }
        }
        if target == nil {
            let sequence = nextSequence
            nextSequence += 1
            segments.append(
                Segment(
                    sequence: sequence,
                    bytes: Self.headerBytes,
                    validEnd: Self.headerBytes,
                    records: 0,
                    sealed: false
                )
            )
            actions.append(.create(segment: sequence))
            target = sequence
        }
        actions.append(
            .write(segment: segments[segments.count - 1].sequence, offset: segments[segments.count - 1].bytes))
        return actions
    }

    /// The segment file could not be created: forget it.
    package mutating func creationFailed(segment: UInt64) {
        segments.removeAll { $0.sequence == segment && $0.records == 0 }
    }

    /// The records are on disk and synced.
    package mutating func written(segment: UInt64, bytes: Int, records: Int) {
        guard let index = segments.firstIndex(where: { $0.sequence == segment }) else { return }
        segments[index].bytes += bytes
        segments[index].validEnd = segments[index].bytes
        segments[index].records += records
    }

    /// Writing or syncing failed; the file is now `bytesOnDisk` long. Never append after that.
    package mutating func writeFailed(segment: UInt64, bytesOnDisk: Int) {
        guard let index = segments.firstIndex(where: { $0.sequence == segment }) else { return }
        segments[index].bytes = max(bytesOnDisk, segments[index].validEnd)
        segments[index].sealed = true
    }

    // MARK: Reading

    /// Where the oldest unacknowledged records are, or nil when everything was acknowledged.
    package func readRange() -> ReadRange? {
        for segment in segments where segment.sequence >= cursor.segment && unacknowledgedRecords(in: segment) > 0 {
            let atCursor = segment.sequence == cursor.segment
            return ReadRange(
                segment: segment.sequence,
                start: atCursor ? max(cursor.offset, Self.headerBytes) : Self.headerBytes,
                end: segment.validEnd,
                recordsBefore: atCursor ? cursorRecords : 0
            )
        }
        return nil
    }

    /// Reading found a bad record at `offset` of `segment` after `recordsBefore` good ones: the rest
    /// of the segment is lost. It is counted and sealed; the caller reports it once.
    package mutating func corruptionFound(segment: UInt64, offset: Int, recordsBefore: Int) -> [Action] {
        guard let index = segments.firstIndex(where: { $0.sequence == segment }) else { return [] }
        corruptRecords += max(1, segments[index].records - recordsBefore)
        segments[index].records = min(segments[index].records, recordsBefore)
        segments[index].validEnd = min(segments[index].validEnd, offset)
        segments[index].sealed = true
        return collectGarbage()
    }

    // MARK: Acknowledging

    /// A batch of `documents` documents ending at `position` was delivered. Older positions (a
    /// batch acknowledged twice, or from a segment dropped meanwhile) change nothing, and so does a
    /// position outside the oldest undelivered records (it cannot come from ``readRange()``, and
    /// taking it would skip undelivered records).
    package mutating func acknowledge(_ position: SpoolPosition, documents: Int) -> [Action] {
        guard position > cursor, let range = readRange(), position.segment == range.segment,
            position.offset > range.start, position.offset <= range.end
        else { return [] }
        cursorRecords = position.segment == cursor.segment ? cursorRecords + documents : documents
        cursor = position
        return [.persistCursor(cursor)] + collectGarbage()
    }

    /// Deletes every segment whose records were all acknowledged: sealed ones, and the writer
    /// once it holds records (the next append starts a new segment).
    package mutating func collectGarbage() -> [Action] {
        var actions: [Action] = []
        var kept: [Segment] = []
        for segment in segments {
            if unacknowledgedRecords(in: segment) == 0 && (segment.sealed || segment.records > 0) {
                actions.append(.delete(segment: segment.sequence))
            } else {
                kept.append(segment)
            }
        }
        segments = kept
        return actions
    }

    // MARK: Private

    private func unacknowledgedRecords(in segment: Segment) -> Int {
        if segment.sequence < cursor.segment { return 0 }
        if segment.sequence == cursor.segment { return max(0, segment.records - cursorRecords) }
        return segment.records
    }

    private mutating func sealWriter() {
        if !segments.isEmpty { segments[segments.count - 1].sealed = true }
    }

    private mutating func removeOldest() -> Action {
        let oldest = segments.removeFirst()
        let lost = unacknowledgedRecords(in: oldest)
        let afterOldest = SpoolPosition(segment: oldest.sequence + 1, offset: 0)
        if cursor < afterOldest {
            cursor = afterOldest
            cursorRecords = 0
        }
        guard lost > 0 else { return .delete(segment: oldest.sequence) }
        droppedDocuments += lost
        return .drop(segment: oldest.sequence, documents: lost)
    }
}
