import Expvastic
import ExpvasticTestSupport
import Testing

@testable import Expvastic

/// The write-ahead log's decisions, with no I/O.
@Suite struct WriteAheadLedgerTests {
    private let header = SpoolFormat.headerBytes

    /// Appends `ids` as records of `bytes` bytes each and reports them written; the actions.
    private func append(_ ids: [String], bytes: Int = 100, to ledger: inout WriteAheadLedger) -> [WriteAheadLedger
        .Action]
    {
        let actions = ledger.append(bytes: bytes * ids.count)
        guard case .write(let segment, _) = actions.last else {
            Issue.record("append did not end with a write: \(actions)")
            return actions
        }
        ledger.written(segment: segment, bytes: bytes * ids.count, ids: ids)
        return actions
    }

    @Test func firstAppendCreatesASegmentAndLaterOnesWriteAfterIt() {
        var ledger = WriteAheadLedger(segmentBytes: 1000, rollBytes: 1000)
        #expect(append(["a", "b"], to: &ledger) == [.create(segment: 1), .write(segment: 1, offset: header)])
        #expect(append(["c"], to: &ledger) == [.write(segment: 1, offset: header + 200)])
        #expect(ledger.unconfirmedDocuments == 3)
        #expect(ledger.totalBytes == header + 300)
    }

    @Test func aFullWriterIsSealedAndDeletedOnlyWhenEveryRecordIsConfirmed() {
        var ledger = WriteAheadLedger(segmentBytes: header + 300, rollBytes: 10_000)
        _ = append(["a", "b", "c"], to: &ledger)
        #expect(append(["d"], to: &ledger) == [.create(segment: 2), .write(segment: 2, offset: header)])
        // Out of order: the youngest first, then the rest.
        #expect(ledger.confirm(["d"]).isEmpty, "the writer stays while it is below rollBytes")
        #expect(ledger.confirm(["c", "a"]).isEmpty)
        #expect(ledger.confirm(["b"]) == [.delete(segment: 1)])
        #expect(ledger.segments.map(\.sequence) == [2])
    }

    @Test func aConfirmedWriterIsRolledOnceItReachesRollBytes() {
        var ledger = WriteAheadLedger(segmentBytes: 10_000, rollBytes: header + 200)
        _ = append(["a"], to: &ledger)
        #expect(ledger.confirm(["a"]).isEmpty, "below rollBytes: kept for the next records")
        _ = append(["b"], to: &ledger)
        #expect(ledger.confirm(["b"]) == [.delete(segment: 1)])
        #expect(ledger.writer == nil)
        #expect(append(["c"], to: &ledger).first == .create(segment: 2))
    }

    @Test func unknownAndRepeatedConfirmationsChangeNothing() {
        var ledger = WriteAheadLedger(segmentBytes: 10_000, rollBytes: 10_000)
        _ = append(["a", "b"], to: &ledger)
        let before = ledger
        #expect(ledger.confirm(["zzz"]).isEmpty)
        #expect(ledger == before)
        _ = ledger.confirm(["a"])
        _ = ledger.confirm(["a"])
        #expect(ledger.unconfirmedDocuments == 1)
    }

    @Test func theSameIdTwiceIsTrackedAsTwoCopies() {
        var ledger = WriteAheadLedger(segmentBytes: header + 100, rollBytes: 10_000)
        _ = append(["a"], to: &ledger)
        _ = append(["a"], to: &ledger)  // a second segment (the first is full)
        #expect(ledger.confirm(["a"]) == [.delete(segment: 1)], "the oldest copy is confirmed first")
        #expect(ledger.unconfirmedDocuments == 1)
        // rollBytes is capped at segmentBytes: the full, confirmed writer goes at once.
        #expect(ledger.confirm(["a"]) == [.delete(segment: 2)])
        #expect(ledger.close().isEmpty)
        #expect(ledger.totalBytes == 0)
    }

    @Test func closeKeepsSegmentsWithUnconfirmedRecords() {
        var ledger = WriteAheadLedger(segmentBytes: 10_000, rollBytes: 10_000)
        _ = append(["a"], to: &ledger)
        #expect(ledger.close().isEmpty)
        #expect(ledger.segments.map(\.sequence) == [1])
        #expect(append(["b"], to: &ledger).first == .create(segment: 2), "a sealed segment takes no more records")
        #expect(ledger.confirm(["a"]) == [.delete(segment: 1)])
    }

    @Test func aFailedWriteSealsTheSegment() {
        var ledger = WriteAheadLedger(segmentBytes: 10_000, rollBytes: 10_000)
        _ = append(["a"], to: &ledger)
        #expect(ledger.append(bytes: 50) == [.write(segment: 1, offset: header + 100)])
        #expect(ledger.writeFailed(segment: 1).isEmpty, "record a is still unconfirmed")
        #expect(ledger.append(bytes: 50).first == .create(segment: 2))
    }
}
