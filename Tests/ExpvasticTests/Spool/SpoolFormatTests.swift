import ExpvasticTestSupport
import Testing

@testable import Expvastic

@Suite struct SpoolFormatTests {
    private func encode(_ documents: [Document]) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for document in documents { try SpoolFormat.appendRecord(document, to: &bytes) }
        return bytes
    }

    @Test(arguments: [
        Document(id: "a", timestampMillis: 0, reader: "r", body: []),
        Document(id: "ünïcödé-✓", timestampMillis: -1, reader: "ręader", body: Array("{}".utf8)),
        Document(id: String(repeating: "x", count: 300), timestampMillis: .max, reader: "", body: [0, 255, 10]),
        SpoolFixtures.document(7, bodyBytes: 3000),
    ])
    func recordRoundTrip(document: Document) throws {
        let bytes = try encode([document])
        #expect(bytes.count == SpoolFormat.recordBytes(document))
        guard case .record(let payload, let end) = SpoolFormat.frame(in: bytes, at: 0) else {
            Issue.record("not a record: \(SpoolFormat.frame(in: bytes, at: 0))")
            return
        }
        #expect(end == bytes.count)
        #expect(SpoolFormat.document(from: bytes, payload: payload) == document)
        // The write-ahead log's way: the head encoded alone (its checksum covering the body), the
        // body written after it as it is.
        var head = [UInt8](repeating: 0, count: SpoolFormat.recordHeadBytes(document))
        try head.withUnsafeMutableBytes { buffer in try SpoolFormat.writeRecordHead(document, into: buffer) }
        #expect(head + document.body == bytes)
    }

    @Test func consecutiveRecords() throws {
        let documents = SpoolFixtures.documents(0..<5)
        let bytes = try encode(documents)
        var index = 0
        var decoded: [Document] = []
        while case .record(let payload, let end) = SpoolFormat.frame(in: bytes, at: index) {
            decoded.append(try #require(SpoolFormat.document(from: bytes, payload: payload)))
            index = end
        }
        #expect(decoded == documents)
        #expect(index == bytes.count)
    }

    @Test func incompleteFramesSayHowMuchIsNeeded() throws {
        let bytes = try encode([SpoolFixtures.document(1)])
        #expect(SpoolFormat.frame(in: Array(bytes.prefix(3)), at: 0) == .incomplete(bytes: 8))
        #expect(SpoolFormat.frame(in: Array(bytes.prefix(20)), at: 0) == .incomplete(bytes: bytes.count))
    }

    @Test func everyFlippedBitIsDetected() throws {
        let bytes = try encode([SpoolFixtures.document(1, bodyBytes: 40)])
        var unnoticed: [String] = []
        for index in bytes.indices {
            for bit in 0..<8 {
                var damaged = bytes
                damaged[index] ^= 1 << bit
                if case .record = SpoolFormat.frame(in: damaged, at: 0) { unnoticed.append("byte \(index) bit \(bit)") }
            }
        }
        #expect(unnoticed == [])
    }

    @Test func absurdLengthIsCorruptNotIncomplete() {
        let bytes: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]
        #expect(SpoolFormat.frame(in: bytes, at: 0) == .corrupt("record length 4294967295 is out of range"))
        #expect(SpoolFormat.frame(in: [0, 0, 0, 0, 0, 0, 0, 0], at: 0) == .corrupt("record length 0 is out of range"))
    }

    @Test func recordTooLargeIsRefused() async {
        // 64 MiB to allocate and fill: on the background threads, not on the shared pool.
        await Blocking.onBackgroundThreads {
            let huge = Document(
                id: "big", timestampMillis: 0, reader: "r", body: [UInt8](repeating: 0, count: 64 << 20))
            var out: [UInt8] = []
            #expect(throws: SpoolError.self) { try SpoolFormat.appendRecord(huge, to: &out) }
            #expect(out.isEmpty)
        }
    }

    @Test func segmentNames() {
        #expect(SpoolFormat.segmentFileName(42) == "segment-00000000000000000042.spool")
        #expect(SpoolFormat.segmentSequence(fileName: "segment-00000000000000000042.spool") == 42)
        #expect(SpoolFormat.segmentSequence(fileName: "segment-42.spool") == nil)
        #expect(SpoolFormat.segmentSequence(fileName: "segment-0000000000000000004x.spool") == nil)
        #expect(SpoolFormat.segmentSequence(fileName: "segment-99999999999999999999.spool") == nil)
        #expect(SpoolFormat.segmentSequence(fileName: "cursor") == nil)
        #expect(SpoolFormat.segmentSequence(fileName: "segment-00000000000000000042.spool.tmp") == nil)
    }

    @Test func header() {
        let header = SpoolFormat.segmentHeader()
        #expect(header.count == SpoolFormat.headerBytes)
        #expect(SpoolFormat.headerProblem(header) == nil)
        var otherVersion = header
        otherVersion[8] = 2
        #expect(SpoolFormat.headerProblem(otherVersion) == "unsupported segment version 2")
        #expect(SpoolFormat.headerProblem(Array("GARBAGEGARBAGE!!".utf8)) == "not a spool segment (bad magic)")
    }

    @Test func cursorRoundTripAndDamage() {
        let position = SpoolPosition(segment: 12, offset: 3456)
        let bytes = SpoolFormat.cursorFile(position)
        #expect(bytes.count == SpoolFormat.cursorBytes)
        #expect(SpoolFormat.position(fromCursorFile: bytes) == position)
        for index in bytes.indices {
            var damaged = bytes
            damaged[index] ^= 0x10
            #expect(SpoolFormat.position(fromCursorFile: damaged) == nil, "byte \(index)")
        }
        #expect(SpoolFormat.position(fromCursorFile: Array(bytes.dropLast())) == nil)
    }
}
