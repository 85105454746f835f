import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import Synchronization

/// `spool_max_bytes`, shared by a ``FileSpool`` and its ``WriteAheadLog``: the spool counts the
/// log's bytes when it decides what to drop, and the log refuses records that would take the two
/// past the limit. Each side publishes its own size here, so neither waits for the other's lock.
public final class SpoolBudget: Sendable {
    /// `spool_max_bytes`: the most the spool's segments and the log's segments take together.
    public let maxBytes: Int
    private let spool = Atomic<Int>(0)
    private let log = Atomic<Int>(0)

    /// - Parameter maxBytes: `spool_max_bytes`, in bytes.
    public init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    /// Bytes of the spool's segment files.
    public var spoolBytes: Int { spool.load(ordering: .relaxed) }
    /// Bytes of the write-ahead log's segment files.
    public var logBytes: Int { log.load(ordering: .relaxed) }

    package func setSpoolBytes(_ bytes: Int) { spool.store(bytes, ordering: .relaxed) }
    package func setLogBytes(_ bytes: Int) { log.store(bytes, ordering: .relaxed) }
}
