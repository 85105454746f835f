import Synchronization
import Testing

@testable import Expvastic

/// A streamed body (``HTTPRequest/onBody``) is passed on piece by piece as it arrives and not kept.
@Suite struct HTTPResponseParserStreamingTests {
    final class Pieces: Sendable {
        private let pieces = Mutex<[[UInt8]]>([])
        func add(_ piece: [UInt8]) { pieces.withLock { $0.append(piece) } }
        var text: [String] { pieces.withLock { $0.map { String(decoding: $0, as: UTF8.self) } } }
    }

    @Test func chunksArePassedOnAsTheyArriveAndTheResponseKeepsNoBody() throws {
        let pieces = Pieces()
        var parser = HTTPResponseParser(requestWasHead: false, maxBodyBytes: 8, onBody: { pieces.add($0) })
        _ = try parser.parse(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n{\"a\":1\r\n".utf8))
        #expect(pieces.text == ["{\"a\":1"])
        #expect(!parser.isComplete)
        // Far more than maxBodyBytes in all: nothing is held, so nothing is too large.
        for _ in 0..<5 { _ = try parser.parse(Array("6\r\n}\n{\"b\"\r\n".utf8)) }
        #expect(pieces.text.count == 6)
        _ = try parser.parse(Array("0\r\n\r\n".utf8))
        #expect(parser.isComplete)
        #expect(parser.takeResponse()?.body == [])
    }

    @Test func aFixedLengthBodyStreamsToo() throws {
        let pieces = Pieces()
        var parser = HTTPResponseParser(requestWasHead: false, maxBodyBytes: 100, onBody: { pieces.add($0) })
        _ = try parser.parse(Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab".utf8))
        _ = try parser.parse(Array("cde".utf8))
        #expect(pieces.text == ["ab", "cde"])
        #expect(parser.takeResponse()?.status == 200)
    }
}
