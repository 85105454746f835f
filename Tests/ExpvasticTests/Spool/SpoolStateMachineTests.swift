import Expvastic
import ExpvasticTestSupport
import Testing

@testable import Expvastic
@testable import ExpvasticPipeline

/// The spool's decisions, without any file. Header = 16 bytes; batches are given in bytes.
@Suite struct SpoolStateMachineTests {
    typealias Machine = SpoolStateMachine
    typealias Segment = SpoolStateMachine.Segment

    /// Appends and reports success, as the file spool does.
    private func append(_ machine: inout Machine, bytes: Int, records: Int) throws -> [Machine.Action] {
        let actions = try machine.append(bytes: bytes, records: records)
        guard case .write(let segment, _)? = actions.last else {
            Issue.record("append must end with a write: \(actions)")
            return actions
        }
        machine.written(segment: segment, bytes: bytes, records: records)
        return actions
    }

    @Test func firstAppendCreatesASegmentAndWritesAfterItsHeader() throws {
        var machine = Machine(maxBytes: 10_000, segmentBytes: 1000)
        #expect(try append(&machine, bytes: 100, records: 2) == [.create(segment: 1), .write(segment: 1, offset: 16)])
        #expect(try append(&machine, bytes: 100, records: 2) == [.write(segment: 1, offset: 116)])
        #expect(machine.usage == SpoolUsage(bytes: 216, segments: 1))
        #expect(machine.writer == 1)
    }

    @Test func rollsWhenTheWriterWouldGrowPastSegmentBytes() throws {
        var machine = Machine(maxBytes: 10_000, segmentBytes: 300)
        _ = try append(&machine, bytes: 200, records: 1)
        #expect(try append(&machine, bytes: 84, records: 1) == [.write(segment: 1, offset: 216)])
        #expect(try append(&machine, bytes: 1, records: 1) == [.create(segment: 2), .write(segment: 2, offset: 16)])
        #expect(machine.segments.map(\.sealed) == [true, false])
        #expect(machine.segments.map(\.records) == [2, 1])
    }

    @Test func aBatchLargerThanASegmentGoesIntoAnEmptyWriterWithoutLooping() throws {
        var machine = Machine(maxBytes: 10_000, segmentBytes: 100)
        #expect(try append(&machine, bytes: 500, records: 5) == [.create(segment: 1), .write(segment: 1, offset: 16)])
        #expect(try append(&machine, bytes: 500, records: 5) == [.create(segment: 2), .write(segment: 2, offset: 16)])
    }

    @Test func maxBytesDropsTheOldestSegmentsAndCountsOnlyUndeliveredDocuments() throws {
        var machine = Machine(maxBytes: 700, segmentBytes: 216)
        for _ in 0..<3 { _ = try append(&machine, bytes: 200, records: 4) }  // 3 segments of 216 bytes
        // Deliver half of the oldest segment.
        let range = try #require(machine.readRange())
        _ = machine.acknowledge(SpoolPosition(segment: range.segment, offset: 116), documents: 2)
        let actions = try machine.append(bytes: 200, records: 4)
        #expect(actions == [.drop(segment: 1, documents: 2), .create(segment: 4), .write(segment: 4, offset: 16)])
        machine.written(segment: 4, bytes: 200, records: 4)
        #expect(machine.usage == SpoolUsage(bytes: 648, segments: 3, droppedDocuments: 2))
        #expect(machine.readRange() == Machine.ReadRange(segment: 2, start: 16, end: 216, recordsBefore: 0))
        // The outstanding position in the dropped segment is stale now.
        #expect(machine.acknowledge(SpoolPosition(segment: 1, offset: 216), documents: 2) == [])
    }

    @Test func droppingAnUndeliveredSegmentCountsAllItsDocuments() throws {
        var machine = Machine(maxBytes: 500, segmentBytes: 216)
        _ = try append(&machine, bytes: 200, records: 1)
        _ = try append(&machine, bytes: 200, records: 1)
        let actions = try machine.append(bytes: 200, records: 1)
        #expect(actions == [.drop(segment: 1, documents: 1), .create(segment: 3), .write(segment: 3, offset: 16)])
        #expect(machine.droppedDocuments == 1)
    }

    @Test func whenOnlyTheWriterIsLeftItIsRolledAndThenDropped() throws {
        var machine = Machine(maxBytes: 400, segmentBytes: 10_000)
        _ = try append(&machine, bytes: 300, records: 3)
        let actions = try machine.append(bytes: 200, records: 2)
        #expect(actions == [.drop(segment: 1, documents: 3), .create(segment: 2), .write(segment: 2, offset: 16)])
        machine.written(segment: 2, bytes: 200, records: 2)
        #expect(machine.usage == SpoolUsage(bytes: 216, segments: 1, droppedDocuments: 3))
    }

    @Test func aBatchThatCanNeverFitIsRefusedAndChangesNothing() throws {
        var machine = Machine(maxBytes: 400, segmentBytes: 10_000)
        _ = try append(&machine, bytes: 100, records: 1)
        let before = machine
        let error = #expect(throws: SpoolError.self) { _ = try machine.append(bytes: 385, records: 1) }
        #expect(error?.code == "spool_batch_too_large")
        #expect(machine == before)
        // Exactly the limit still fits (header + batch == maxBytes) after dropping the rest.
        #expect(try append(&machine, bytes: 384, records: 1).last == .write(segment: 2, offset: 16))
        #expect(machine.totalBytes == 400)
    }

    @Test func readRangeStartsAtTheCursorAndAcknowledgeDeletesFinishedSealedSegments() throws {
        var machine = Machine(maxBytes: 10_000, segmentBytes: 216)
        #expect(machine.readRange() == nil)
        _ = try append(&machine, bytes: 100, records: 2)
        _ = try append(&machine, bytes: 100, records: 2)
        _ = try append(&machine, bytes: 100, records: 2)  // rolls to segment 2
        #expect(machine.readRange() == Machine.ReadRange(segment: 1, start: 16, end: 216, recordsBefore: 0))
        #expect(
            machine.acknowledge(SpoolPosition(segment: 1, offset: 116), documents: 2) == [
                .persistCursor(SpoolPosition(segment: 1, offset: 116))
            ])
        #expect(machine.readRange() == Machine.ReadRange(segment: 1, start: 116, end: 216, recordsBefore: 2))
        #expect(
            machine.acknowledge(SpoolPosition(segment: 1, offset: 216), documents: 2) == [
                .persistCursor(SpoolPosition(segment: 1, offset: 216)), .delete(segment: 1),
            ])
        #expect(machine.readRange() == Machine.ReadRange(segment: 2, start: 16, end: 116, recordsBefore: 0))
        // Acknowledging the same batch twice changes nothing.
        #expect(machine.acknowledge(SpoolPosition(segment: 1, offset: 216), documents: 2) == [])
    }

    @Test func positionsThatWouldSkipUndeliveredRecordsAreIgnored() throws {
        var machine = Machine(maxBytes: 10_000, segmentBytes: 116)
        _ = try append(&machine, bytes: 100, records: 2)
        _ = try append(&machine, bytes: 100, records: 2)
        let before = machine
        #expect(machine.acknowledge(SpoolPosition(segment: 2, offset: 116), documents: 2) == [])
        #expect(machine.acknowledge(SpoolPosition(segment: 1, offset: 117), documents: 2) == [])
        #expect(machine.acknowledge(SpoolPosition(segment: 1, offset: 16), documents: 0) == [])
        #expect(machine == before)
    }

    @Test func aFullyDeliveredWriterIsDeletedAndTheNextAppendStartsANewSegment() throws {
        var machine = Machine(maxBytes: 10_000, segmentBytes: 1000)
        _ = try append(&machine, bytes: 100, records: 2)
        #expect(
            machine.acknowledge(SpoolPosition(segment: 1, offset: 116), documents: 2) == [
                .persistCursor(SpoolPosition(segment: 1, offset: 116)), .delete(segment: 1),
            ])
        #expect(machine.writer == nil)
        #expect(machine.usage == SpoolUsage())
        #expect(try append(&machine, bytes: 100, records: 2) == [.create(segment: 2), .write(segment: 2, offset: 16)])
        #expect(machine.readRange() == Machine.ReadRange(segment: 2, start: 16, end: 116, recordsBefore: 0))
    }

    @Test func aWriteFailureSealsTheSegmentSoNothingIsAppendedAfterIt() throws {
        var machine = Machine(maxBytes: 10_000, segmentBytes: 1000)
        _ = try append(&machine, bytes: 100, records: 1)
        let actions = try machine.append(bytes: 100, records: 1)
        #expect(actions == [.write(segment: 1, offset: 116)])
        machine.writeFailed(segment: 1, bytesOnDisk: 150)
        #expect(machine.segments == [Segment(sequence: 1, bytes: 150, validEnd: 116, records: 1, sealed: true)])
        #expect(try machine.append(bytes: 100, records: 1) == [.create(segment: 2), .write(segment: 2, offset: 16)])
    }

    @Test func aSegmentThatCouldNotBeCreatedIsForgotten() throws {
        var machine = Machine(maxBytes: 10_000, segmentBytes: 1000)
        _ = try machine.append(bytes: 100, records: 1)
        machine.creationFailed(segment: 1)
        #expect(machine.segments.isEmpty)
        #expect(try machine.append(bytes: 100, records: 1) == [.create(segment: 2), .write(segment: 2, offset: 16)])
    }

    @Test func corruptionCutsTheSegmentCountsTheLostRecordsAndSealsTheWriter() throws {
        var machine = Machine(maxBytes: 10_000, segmentBytes: 1000)
        _ = try append(&machine, bytes: 500, records: 5)
        #expect(machine.corruptionFound(segment: 1, offset: 216, recordsBefore: 2) == [])
        #expect(machine.corruptRecords == 3)
        #expect(machine.segments == [Segment(sequence: 1, bytes: 516, validEnd: 216, records: 2, sealed: true)])
        #expect(machine.readRange() == Machine.ReadRange(segment: 1, start: 16, end: 216, recordsBefore: 0))
        // Reading the two good records and acknowledging them deletes the damaged segment.
        #expect(
            machine.acknowledge(SpoolPosition(segment: 1, offset: 216), documents: 2) == [
                .persistCursor(SpoolPosition(segment: 1, offset: 216)), .delete(segment: 1),
            ])
        // Nothing readable at all before the bad record: the segment goes at once.
        _ = try append(&machine, bytes: 100, records: 1)
        #expect(machine.corruptionFound(segment: 2, offset: 16, recordsBefore: 0) == [.delete(segment: 2)])
        #expect(machine.corruptRecords == 4)
    }

    @Test func recoveryDeletesWhatWasAlreadyDeliveredAndNeverReusesASequence() {
        let recovered = [
            Segment(sequence: 9, bytes: 316, validEnd: 316, records: 3, sealed: true),  // a gap is fine
            Segment(sequence: 5, bytes: 216, validEnd: 216, records: 2, sealed: true),  // before the cursor
            Segment(sequence: 7, bytes: 316, validEnd: 316, records: 3, sealed: false),  // the cursor's
            Segment(sequence: 8, bytes: 40, validEnd: 16, records: 0, sealed: true),  // garbage only
        ]
        var machine = Machine(
            maxBytes: 10_000,
            segmentBytes: 1000,
            recovered: recovered,
            cursor: SpoolPosition(segment: 7, offset: 116),
            cursorRecords: 1,
            corruptRecords: 1
        )
        #expect(machine.collectGarbage() == [.delete(segment: 5), .delete(segment: 8)])
        #expect(machine.segments.map(\.sequence) == [7, 9])
        #expect(machine.segments.allSatisfy { $0.sealed })
        #expect(machine.unacknowledgedDocuments == 5)
        #expect(machine.nextSequence == 10)
        #expect(machine.readRange() == Machine.ReadRange(segment: 7, start: 116, end: 316, recordsBefore: 1))
        #expect(machine.usage.corruptRecords == 1)
    }

    @Test func afterEverythingWasDeletedSequencesContinueAfterTheCursor() throws {
        var machine = Machine(
            maxBytes: 10_000,
            segmentBytes: 1000,
            recovered: [],
            cursor: SpoolPosition(segment: 41, offset: 500),
            cursorRecords: 0,
            corruptRecords: 0
        )
        #expect(try machine.append(bytes: 10, records: 1) == [.create(segment: 42), .write(segment: 42, offset: 16)])
        machine.written(segment: 42, bytes: 10, records: 1)
        #expect(machine.readRange()?.segment == 42)
    }

    @Test(arguments: 1...40)
    func randomWorkloadKeepsTheInvariants(seed: Int) async throws {
        // Thousands of steps and checks: computed on the background threads, not on the shared pool.
        try await Blocking.onBackgroundThreads {
            var random = SplitMix64(seed: UInt64(seed))
            var machine = Machine(maxBytes: 3000, segmentBytes: 700)
            var written = 0  // records appended
            var delivered = 0  // records acknowledged
            for _ in 0..<300 {
                if random.next() % 3 != 0 {
                    let records = Int(random.next() % 5) + 1
                    _ = try append(&machine, bytes: records * (Int(random.next() % 60) + 20), records: records)
                    written += records
                } else if let range = machine.readRange() {
                    let segment = try #require(machine.segments.first { $0.sequence == range.segment })
                    let count = min(Int(random.next() % 4) + 1, segment.records - range.recordsBefore)
                    // Records of unknown size: acknowledge the whole rest, or a made-up boundary inside.
                    let offset = count == segment.records - range.recordsBefore ? range.end : range.start + 1
                    _ = machine.acknowledge(SpoolPosition(segment: range.segment, offset: offset), documents: count)
                    delivered += count
                }
                #expect(machine.totalBytes <= machine.maxBytes)
                #expect(machine.segments.map(\.sequence) == machine.segments.map(\.sequence).sorted())
                #expect(machine.segments.dropLast().allSatisfy { $0.sealed })
                #expect(written == delivered + machine.droppedDocuments + machine.unacknowledgedDocuments)
            }
        }
    }
}
