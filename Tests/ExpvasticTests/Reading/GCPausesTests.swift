import Expvastic
import Foundation
import Testing

@testable import Expvastic

@Suite struct GCPausesTests {
    typealias H = ReaderHarness

    /// A synthetic memstats body: GC g paused `g * 10` ns and ended at `1e18 + g`.
    static func memstats(numGC: UInt64, ringSize: Int = 256, pauseTotal: UInt64? = nil) -> String {
        var pauses = [UInt64](repeating: 0, count: ringSize)
        var ends = [UInt64](repeating: 0, count: ringSize)
        if numGC > 0 {
            for gc in max(1, numGC >= UInt64(ringSize) ? numGC - UInt64(ringSize) + 1 : 1)...numGC {
                pauses[Int((gc - 1) % UInt64(ringSize))] = gc * 10
                ends[Int((gc - 1) % UInt64(ringSize))] = 1_000_000_000_000_000_000 + gc
            }
        }
        let total = pauseTotal ?? (numGC * (numGC + 1) / 2 * 10)
        return #"{"memstats":{"PauseTotalNs":\#(total),"PauseNs":[\#(pauses.map(String.init).joined(separator: ","))],"#
            + #""PauseEnd":[\#(ends.map(String.init).joined(separator: ","))],"NumGC":\#(numGC)}}"#
    }

    static func gc(_ document: Document) throws -> [String: Any] {
        try H.fields(document).filter { $0.key.hasPrefix("memstats.gc.") }
    }

    @Test func windowArithmetic() {
        let first = GCPauseWindow(numGC: 100, previous: nil, ringSize: 256)
        #expect(first.count == 0)
        #expect(first.gcNumbers == nil)
        #expect(GCPauseWindow(numGC: 100, previous: 100, ringSize: 256).available == 0)
        #expect(GCPauseWindow(numGC: 105, previous: 100, ringSize: 256).gcNumbers == 101...105)
        let many = GCPauseWindow(numGC: 1000, previous: 100, ringSize: 256)
        #expect(many.count == 900)
        #expect(many.gcNumbers == 745...1000)
        #expect(many.available == 256)
        let restarted = GCPauseWindow(numGC: 3, previous: 5000, ringSize: 256)
        #expect(restarted.count == 3)
        #expect(restarted.gcNumbers == 1...3)
        #expect(GCPauseWindow.index(ofGC: 256, ringSize: 256) == 255)
        #expect(GCPauseWindow.index(ofGC: 257, ringSize: 256) == 0)
    }

    @Test func firstPollReportsNothingNew() throws {
        let (reader, _) = H.reader()
        let fields = try Self.gc(try H.document(reader, Self.memstats(numGC: 6214)))
        #expect(fields["memstats.gc.pause_count"] as? Int == 0)
        #expect(fields["memstats.gc.pause_total_ns"] as? Int == 0)
        #expect(fields["memstats.gc.pauses_ns"] == nil)
        #expect(fields["memstats.gc.pause_max_ns"] == nil)
    }

    @Test func newPausesAcrossTheRingWrap() throws {
        let (reader, _) = H.reader()
        _ = try H.document(reader, Self.memstats(numGC: 254))
        let document = try H.document(reader, Self.memstats(numGC: 259))
        let fields = try Self.gc(document)
        #expect(fields["memstats.gc.pause_count"] as? Int == 5)
        #expect(fields["memstats.gc.pauses_ns"] as? [Int] == [2550, 2560, 2570, 2580, 2590])
        #expect(
            H.text(document).contains(
                #""memstats.gc.pause_ends":[1000000000000000255,1000000000000000256,1000000000000000257,"#))
        #expect(fields["memstats.gc.pause_total_ns"] as? Int == 12850)
        #expect(fields["memstats.gc.pause_max_ns"] as? Int == 2590)
        #expect(fields["memstats.gc.pause_avg_ns"] as? Double == 2570)
        #expect(!H.text(document).contains("PauseNs"))
        #expect(!H.text(document).contains("PauseEnd\""))
    }

    @Test func moreThanARingBetweenPolls() throws {
        let (reader, _) = H.reader()
        _ = try H.document(reader, Self.memstats(numGC: 10))
        let fields = try Self.gc(try H.document(reader, Self.memstats(numGC: 1010)))
        #expect(fields["memstats.gc.pause_count"] as? Int == 1000)
        let pauses = try #require(fields["memstats.gc.pauses_ns"] as? [Int])
        #expect(pauses.count == 256)
        #expect(pauses.first == 7550)
        #expect(pauses.last == 10100)
        // Exact total from PauseTotalNs, although 744 pauses are no longer in the ring.
        let expectedTotal = (1010 * 1011 / 2 - 10 * 11 / 2) * 10
        #expect(fields["memstats.gc.pause_total_ns"] as? Int == expectedTotal)
        #expect(fields["memstats.gc.pause_avg_ns"] as? Double == Double(expectedTotal) / 1000)
    }

    @Test func noNewGCAndRestart() throws {
        let (reader, _) = H.reader()
        _ = try H.document(reader, Self.memstats(numGC: 300))
        let same = try Self.gc(try H.document(reader, Self.memstats(numGC: 300)))
        #expect(same["memstats.gc.pause_count"] as? Int == 0)
        #expect(same["memstats.gc.pauses_ns"] == nil)
        let restarted = try Self.gc(try H.document(reader, Self.memstats(numGC: 2)))
        #expect(restarted["memstats.gc.pause_count"] as? Int == 2)
        #expect(restarted["memstats.gc.pauses_ns"] as? [Int] == [10, 20])
        #expect(restarted["memstats.gc.pause_total_ns"] as? Int == 30)
    }

    @Test func realFixtureSecondPoll() throws {
        let (reader, _) = H.reader()
        let body = try Fixtures.load("go-debug-vars-10k")
        _ = try reader.document(fromBody: body, startedAtWallNanos: H.start)
        let again = try Self.gc(try reader.document(fromBody: body, startedAtWallNanos: H.start + 1_000_000_000))
        #expect(again["memstats.gc.pause_count"] as? Int == 0)
    }

    @Test func ringWithoutNumGCIsDroppedAndCounted() throws {
        let (reader, metrics) = H.reader()
        let document = try H.document(reader, #"{"memstats":{"PauseNs":[1,2,3],"PauseEnd":[4,5,6]}}"#)
        #expect(try Self.gc(document).isEmpty)
        #expect(!H.text(document).contains("Pause"))
        #expect(H.dropped(metrics, "gc_ring") == 2)
    }

    @Test func customGCTypes() throws {
        let map = FieldMap(gcTypes: ["app.gc.Pauses", "other.list"])
        let (reader, _) = H.reader(fieldMap: map)
        _ = try H.document(reader, #"{"app":{"gc":{"Pauses":[5,6,7,4],"NumGC":4}},"other":{"list":[1,2]}}"#)
        let fields = try H.fields(
            try H.document(reader, #"{"app":{"gc":{"Pauses":[8,9,7,4],"NumGC":6}},"other":{"list":[3,4]}}"#))
        #expect(fields["app.gc.Pauses"] == nil)
        #expect(fields["app.gc.Pauses.pauses_ns"] as? [Int] == [8, 9])
        #expect(fields["app.gc.Pauses.pause_count"] as? Int == 2)
        #expect(fields["app.gc.Pauses.pause_total_ns"] as? Int == 17)
        #expect(fields["app.gc.NumGC"] as? Int == 6)
        #expect(fields["other.list.pauses_ns"] as? [Int] == [3, 4])
        #expect(fields["other.list.pause_max_ns"] as? Int == 4)
        #expect(fields["other.list.pause_count"] as? Int == 2)
    }

    @Test func derivedFieldsObeyExclude() throws {
        let (reader, _) = H.reader(exclude: ["memstats.gc.pauses_ns", "memstats.gc.pause_ends"])
        _ = try H.document(reader, Self.memstats(numGC: 1))
        let fields = try Self.gc(try H.document(reader, Self.memstats(numGC: 3)))
        #expect(fields["memstats.gc.pauses_ns"] == nil)
        #expect(fields["memstats.gc.pause_ends"] == nil)
        #expect(fields["memstats.gc.pause_count"] as? Int == 2)
    }
}
