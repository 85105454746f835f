import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// Every decision of a ``WriteAheadLog`` — which segment a record goes to, when to start a new
/// one, which documents are still unconfirmed and which segments may be deleted — as a value type
/// with no I/O. The log reports events and performs the returned actions.
///
/// Documents are confirmed by `_id` and in any order (a retried batch is confirmed after younger
/// ones): each segment counts its unconfirmed records, and a segment is deleted once that count is
/// 0 and no more records go into it. Ids are deterministic, so the same id twice is the same
/// document; every copy is tracked and confirmed once.
package struct WriteAheadLedger: Sendable, Equatable {
    /// What the ledger knows about one segment file.
    package struct Segment: Sendable, Equatable {
        package var sequence: UInt64
        /// Size of the file (header included).
        package var bytes: Int
        /// Records written into it and not confirmed yet.
        package var unconfirmed: Int
        /// No more appends: rolled, or a write failed.
        package var sealed: Bool
    }

    /// What the log must do, in order.
    package enum Action: Sendable, Equatable {
        /// Create the segment file with its header; it is the new writer.
        case create(segment: UInt64)
        /// Write the records at `offset` of the segment.
        case write(segment: UInt64, offset: Int)
        /// Delete a segment whose records were all confirmed.
        case delete(segment: UInt64)
    }

    /// A new segment is started when the writer would grow past this.
    package let segmentBytes: Int
    /// A writer whose records are all confirmed is deleted once it is this large (the next append
    /// starts a new one): what a restart re-sends (and Elasticsearch answers with 409) stays small.
    package let rollBytes: Int
    private(set) package var segments: [Segment] = []
    /// Document id → the segment holding its oldest unconfirmed copy (one entry per accepted
    /// document: no array per id, which would cost an allocation each).
    private(set) package var unconfirmed: [String: UInt64] = [:]
    /// Further unconfirmed copies of an id (the same document accepted again), oldest first.
    private(set) package var duplicates: [String: [UInt64]] = [:]
    private(set) package var nextSequence: UInt64

    package init(segmentBytes: Int, rollBytes: Int, firstSequence: UInt64 = 1) {
        precondition(segmentBytes > SpoolFormat.headerBytes && rollBytes > 0)
        self.segmentBytes = segmentBytes
        self.rollBytes = min(rollBytes, segmentBytes)
        nextSequence = firstSequence
    }

    /// Bytes of every segment file.
    package var totalBytes: Int { segments.reduce(0) { $0 + $1.bytes } }

    /// Documents written and not confirmed yet.
    package var unconfirmedDocuments: Int { segments.reduce(0) { $0 + $1.unconfirmed } }

    /// The segment being written, if any (always the newest).
    package var writer: UInt64? {
        guard let last = segments.last, !last.sealed else { return nil }
        return last.sequence
    }

    /// Plans writing `bytes` bytes of records: into the writer, or a new segment when the writer
    /// would grow past `segmentBytes`. Ends with `.write`; report ``written(segment:bytes:ids:)``
    /// or ``writeFailed(segment:)`` afterwards.
    package mutating func append(bytes: Int) -> [Action] {
        precondition(bytes > 0)
        var actions: [Action] = []
        if let (segment, offset) = writerOffset(for: bytes) {
            return [.write(segment: segment, offset: offset)]
        }
        actions += sealWriter()
        let sequence = nextSequence
        nextSequence += 1
        segments.append(Segment(sequence: sequence, bytes: SpoolFormat.headerBytes, unconfirmed: 0, sealed: false))
        actions.append(.create(segment: sequence))
        actions.append(.write(segment: sequence, offset: SpoolFormat.headerBytes))
        return actions
    }

    /// Where `bytes` of records go when the writer takes them (no new segment needed): the common
    /// case of ``append(bytes:)`` without building its list of actions. Report
    /// ``written(segment:bytes:ids:)`` or ``writeFailed(segment:)`` after writing there.
    package func writerOffset(for bytes: Int) -> (segment: UInt64, offset: Int)? {
        guard let last = segments.last, !last.sealed,
            last.bytes == SpoolFormat.headerBytes || last.bytes + bytes <= segmentBytes
        else { return nil }
        return (last.sequence, last.bytes)
    }

    /// The segment file could not be created: forget it.
    package mutating func creationFailed(segment: UInt64) {
        segments.removeAll { $0.sequence == segment && $0.unconfirmed == 0 }
    }

    /// The records of `ids` are in the segment (written, not necessarily synced).
    package mutating func written<S: Sequence>(segment: UInt64, bytes: Int, ids: S) where S.Element == String {
        guard let index = segments.firstIndex(where: { $0.sequence == segment }) else { return }
        segments[index].bytes += bytes
        for id in ids {
            segments[index].unconfirmed += 1
            if let oldest = unconfirmed.updateValue(segment, forKey: id) {
                // Already there: the oldest copy stays first, this one goes after the others.
                unconfirmed[id] = oldest
                duplicates[id, default: []].append(segment)
            }
        }
    }

    /// Writing failed (the file was cut back to where it was): never append to it again.
    package mutating func writeFailed(segment: UInt64) -> [Action] {
        guard let index = segments.firstIndex(where: { $0.sequence == segment }) else { return [] }
        segments[index].sealed = true
        return collectGarbage()
    }

    /// These documents are delivered (stored, dead-lettered, or durable in the spool). Ids that
    /// are not unconfirmed here (never logged, or confirmed already) change nothing.
    package mutating func confirm<S: Sequence>(_ ids: S) -> [Action] where S.Element == String {
        var touched = false
        for id in ids {
            guard let sequence = unconfirmed.removeValue(forKey: id) else { continue }
            if !duplicates.isEmpty, var more = duplicates[id] {
                unconfirmed[id] = more.removeFirst()
                duplicates[id] = more.isEmpty ? nil : more
            }
            if let index = segments.firstIndex(where: { $0.sequence == sequence }) {
                segments[index].unconfirmed -= 1
                touched = true
            }
        }
        return touched ? collectGarbage() : []
    }

    /// No more appends for now (shutdown): a writer with nothing unconfirmed goes too.
    package mutating func close() -> [Action] {
        sealWriter()
    }

    /// Deletes sealed segments with nothing unconfirmed, and a writer with nothing unconfirmed
    /// once it reached `rollBytes`.
    private mutating func collectGarbage() -> [Action] {
        if let last = segments.last, !last.sealed, last.unconfirmed == 0, last.bytes >= rollBytes {
            segments[segments.count - 1].sealed = true
        }
        var actions: [Action] = []
        segments.removeAll { segment in
            guard segment.sealed, segment.unconfirmed == 0 else { return false }
            actions.append(.delete(segment: segment.sequence))
            return true
        }
        return actions
    }

    private mutating func sealWriter() -> [Action] {
        guard !segments.isEmpty else { return [] }
        segments[segments.count - 1].sealed = true
        return collectGarbage()
    }
}
