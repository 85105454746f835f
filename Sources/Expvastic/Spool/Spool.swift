import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// A durable, oldest-first queue of documents owned by one recorder (store and forward).
///
/// The recorder appends what it cannot deliver now, and replays with ``peek(maxDocuments:)`` /
/// ``acknowledge(_:)``: one batch outstanding at a time, acknowledged only after every item in it
/// was stored or dead-lettered. Data survives restarts and `kill -9`.
public protocol Spool: Sendable {
    /// Appends documents; they are durable (fsync'd) when this returns.
    func append(_ documents: [Document]) throws(SpoolError)
    /// The oldest unacknowledged documents (at most `maxDocuments`), without removing them.
    /// Returns nil when the spool is empty. Calling again before ``acknowledge(_:)`` returns the same batch.
    func peek(maxDocuments: Int) throws(SpoolError) -> SpoolBatch?
    /// Marks a batch from ``peek(maxDocuments:)`` as delivered; fully delivered segments are deleted.
    func acknowledge(_ batch: SpoolBatch) throws(SpoolError)
    /// Bytes on disk and segment files, for metrics.
    var usage: SpoolUsage { get }
}

/// Documents read back from a spool, with the position to acknowledge.
public struct SpoolBatch: Sendable, Equatable {
    public var documents: [Document]
    /// Opaque position after the last document of this batch.
    public var position: SpoolPosition

    public init(documents: [Document], position: SpoolPosition) {
        self.documents = documents
        self.position = position
    }
}

/// A place in the spool: a segment and a byte offset inside it.
public struct SpoolPosition: Sendable, Equatable, Comparable {
    public var segment: UInt64
    public var offset: Int

    public init(segment: UInt64, offset: Int) {
        self.segment = segment
        self.offset = offset
    }

    public static func < (lhs: SpoolPosition, rhs: SpoolPosition) -> Bool {
        (lhs.segment, lhs.offset) < (rhs.segment, rhs.offset)
    }
}

/// What a spool holds now.
public struct SpoolUsage: Sendable, Equatable {
    public var bytes: Int
    public var segments: Int
    /// Documents dropped because `spool_max_bytes` was reached (oldest first), since start.
    public var droppedDocuments: Int
    /// Documents lost to torn or corrupt records found on reading, since start.
    public var corruptRecords: Int

    public init(bytes: Int = 0, segments: Int = 0, droppedDocuments: Int = 0, corruptRecords: Int = 0) {
        self.bytes = bytes
        self.segments = segments
        self.droppedDocuments = droppedDocuments
        self.corruptRecords = corruptRecords
    }
}

/// A spool I/O failure (disk full, permissions): the recorder keeps the data in memory and logs it.
///
/// Codes: `spool_io` (a read, write, fsync or delete failed), `spool_missing` (a segment file
/// vanished), `spool_directory` (the directory cannot be created or listed), `spool_config`
/// (sizes too small), `spool_batch_too_large` (one batch exceeds `spool_max_bytes`),
/// `spool_record_too_large` (one document exceeds the 64 MiB record limit).
public struct SpoolError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
