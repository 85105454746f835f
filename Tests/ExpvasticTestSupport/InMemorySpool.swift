import Expvastic
import Synchronization

/// A ``Spool`` in memory, for tests of the components that use one. Same contract as the file
/// spool: oldest first, `peek` returns the same batch until it is acknowledged, positions of
/// batches that were dropped meanwhile are ignored. Optionally bounded (oldest documents are
/// dropped and counted) and able to fail appends on demand.
public final class InMemorySpool: Spool {
    private struct State {
        /// Unacknowledged documents, oldest first.
        var documents: [Document] = []
        /// Absolute index of `documents[0]` (the acknowledged count, drops included).
        var base = 0
        var pending: SpoolBatch?
        var dropped = 0
        var appendFailure: SpoolError?
        var appendCalls = 0
        var acknowledgedDocuments = 0
    }

    private let state = Mutex(State())
    /// The most documents held; older ones are dropped (and counted) beyond it.
    public let maxDocuments: Int

    public init(maxDocuments: Int = .max) {
        precondition(maxDocuments > 0)
        self.maxDocuments = maxDocuments
    }

    /// Makes every following ``append(_:)`` throw `error` (nil: succeed again).
    public func failAppends(with error: SpoolError?) {
        state.withLock { $0.appendFailure = error }
    }

    /// The unacknowledged documents, oldest first.
    public var documents: [Document] { state.withLock { $0.documents } }

    /// How many times ``append(_:)`` was called (failures included).
    public var appendCalls: Int { state.withLock { $0.appendCalls } }

    /// Documents acknowledged so far.
    public var acknowledgedDocuments: Int { state.withLock { $0.acknowledgedDocuments } }

    public func append(_ documents: [Document]) throws(SpoolError) {
        try state.withLock { state throws(SpoolError) in
            state.appendCalls += 1
            if let failure = state.appendFailure { throw failure }
            state.documents.append(contentsOf: documents)
            let excess = state.documents.count - maxDocuments
            if excess > 0 {
                state.documents.removeFirst(excess)
                state.base += excess
                state.dropped += excess
                // The outstanding batch lost documents: the next peek starts at the new oldest.
                state.pending = nil
            }
        }
    }

    public func peek(maxDocuments: Int) throws(SpoolError) -> SpoolBatch? {
        precondition(maxDocuments > 0)
        return state.withLock { state in
            if let pending = state.pending, pending.documents.count <= maxDocuments { return pending }
            guard !state.documents.isEmpty else { return nil }
            let taken = Array(state.documents.prefix(maxDocuments))
            let batch = SpoolBatch(
                documents: taken,
                position: SpoolPosition(segment: 0, offset: state.base + taken.count)
            )
            state.pending = batch
            return batch
        }
    }

    public func acknowledge(_ batch: SpoolBatch) throws(SpoolError) {
        state.withLock { state in
            let count = min(batch.position.offset - state.base, state.documents.count)
            guard count > 0 else { return }
            state.documents.removeFirst(count)
            state.base += count
            state.acknowledgedDocuments += count
            state.pending = nil
        }
    }

    public var usage: SpoolUsage {
        state.withLock { state in
            SpoolUsage(
                bytes: state.documents.reduce(0) { $0 + $1.body.count },
                segments: state.documents.isEmpty ? 0 : 1,
                droppedDocuments: state.dropped
            )
        }
    }
}
