import Expvastic
import Synchronization

/// A ``Spool`` in memory, for recorder tests: one segment per append, peek/acknowledge by position,
/// optional failure injection.
public final class InMemorySpool: Spool {
    private struct State {
        var segments: [(number: UInt64, documents: [Document])] = []
        var nextSegment: UInt64 = 1
        /// Documents of the first segment already acknowledged.
        var acknowledgedInFirst = 0
        var failAppends = false
        var appendCalls = 0
        var acknowledged = 0
    }

    private let state = Mutex(State())

    public init(documents: [Document] = []) {
        if !documents.isEmpty { state.withLock { $0.segments.append((number: 0, documents: documents)) } }
    }

    /// Makes ``append(_:)`` throw (disk full) until set back.
    public func setFailing(_ failing: Bool) { state.withLock { $0.failAppends = failing } }

    /// Every document not yet acknowledged, oldest first.
    public var pending: [Document] {
        state.withLock { state in
            var all: [Document] = []
            for (offset, segment) in state.segments.enumerated() {
                all += offset == 0 ? Array(segment.documents.dropFirst(state.acknowledgedInFirst)) : segment.documents
            }
            return all
        }
    }

    public var appendCalls: Int { state.withLock { $0.appendCalls } }
    public var acknowledgedDocuments: Int { state.withLock { $0.acknowledged } }

    public func append(_ documents: [Document]) throws(SpoolError) {
        try state.withLock { state throws(SpoolError) in
            state.appendCalls += 1
            if state.failAppends { throw SpoolError(code: "disk_full", message: "no space left on device (test)") }
            state.segments.append((number: state.nextSegment, documents: documents))
            state.nextSegment += 1
        }
    }

    public func peek(maxDocuments: Int) throws(SpoolError) -> SpoolBatch? {
        state.withLock { state in
            var documents: [Document] = []
            var position = SpoolPosition(segment: 0, offset: 0)
            var skip = state.acknowledgedInFirst
            for segment in state.segments {
                let available = segment.documents.dropFirst(skip)
                skip = 0
                let take = available.prefix(maxDocuments - documents.count)
                documents += take
                position = SpoolPosition(
                    segment: segment.number, offset: segment.documents.count - available.count + take.count)
                if documents.count == maxDocuments { break }
            }
            return documents.isEmpty ? nil : SpoolBatch(documents: documents, position: position)
        }
    }

    public func acknowledge(_ batch: SpoolBatch) throws(SpoolError) {
        state.withLock { state in
            state.acknowledged += batch.documents.count
            while let first = state.segments.first {
                if first.number < batch.position.segment
                    || (first.number == batch.position.segment && batch.position.offset >= first.documents.count)
                {
                    state.segments.removeFirst()
                    state.acknowledgedInFirst = 0
                } else {
                    if first.number == batch.position.segment { state.acknowledgedInFirst = batch.position.offset }
                    break
                }
            }
        }
    }

    public var usage: SpoolUsage {
        state.withLock { state in
            let bytes = state.segments.reduce(0) { $0 + $1.documents.reduce(0) { $0 + $1.body.count } }
            return SpoolUsage(bytes: bytes, segments: state.segments.count)
        }
    }
}
