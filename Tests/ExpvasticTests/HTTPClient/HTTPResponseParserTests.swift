import Testing

@testable import Expvastic
@testable import ExpvasticCodecs

@Suite struct HTTPResponseParserTests {
    /// Feeds `text` in pieces of `step` bytes and returns the parser and the bytes consumed.
    private func parse(
        _ text: String, step: Int = .max, head: Bool = false, max: Int = 1 << 20
    ) throws(HTTPError) -> (parser: HTTPResponseParser, consumed: Int) {
        var parser = HTTPResponseParser(requestWasHead: head, maxBodyBytes: max)
        let bytes = Array(text.utf8)
        var offset = 0
        var consumed = 0
        while offset < bytes.count, !parser.isComplete {
            let end = offset + Swift.min(bytes.count - offset, step)
            consumed += try parser.parse(Array(bytes[offset..<end]))
            offset = end
        }
        return (parser, consumed)
    }

    private func body(_ parser: HTTPResponseParser) throws -> String {
        var parser = parser
        let taken = parser.takeResponse()
        let response = try #require(taken)
        return String(decoding: response.body, as: UTF8.self)
    }

    @Test(arguments: [1, 2, 7, 1000])
    func contentLengthInAnySplit(step: Int) throws {
        let text = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":12345}"
        let (parser, consumed) = try parse(text, step: step)
        #expect(parser.isComplete)
        #expect(parser.keepAlive)
        #expect(consumed == text.utf8.count)
        var copy = parser
        let taken = copy.takeResponse()
        let response = try #require(taken)
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        #expect(String(decoding: response.body, as: UTF8.self) == "{\"a\":12345}")
    }

    @Test(arguments: [1, 3, 1000])
    func chunkedWithExtensionsAndTrailers(step: Int) throws {
        let text =
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Checksum: 1\r\n\r\n"
        let (parser, consumed) = try parse(text, step: step)
        #expect(parser.isComplete)
        #expect(parser.keepAlive)
        #expect(consumed == text.utf8.count)
        #expect(try body(parser) == "hello 0123456789")
    }

    @Test func bytesAfterTheResponseAreLeftUnconsumed() throws {
        let text = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"
        var parser = HTTPResponseParser(requestWasHead: false, maxBodyBytes: 100)
        let consumed = try parser.parse(Array(text.utf8))
        #expect(parser.isComplete)
        #expect(consumed == text.utf8.count - 5)
    }

    @Test func bodyUntilCloseCompletesAtEndOfInputAndClosesTheConnection() throws {
        var parser = HTTPResponseParser(requestWasHead: false, maxBodyBytes: 100)
        _ = try parser.parse(Array("HTTP/1.1 200 OK\r\n\r\nsome body".utf8))
        #expect(!parser.isComplete)
        try parser.finishAtEndOfInput()
        #expect(parser.isComplete)
        #expect(!parser.keepAlive)
        #expect(try body(parser) == "some body")
    }

    @Test(arguments: [("HEAD", 200), ("GET", 204), ("GET", 304)])
    func responsesWithoutBody(method: String, status: Int) throws {
        let text = "HTTP/1.1 \(status) X\r\nContent-Length: 1000\r\n\r\n"
        let (parser, consumed) = try parse(text, head: method == "HEAD")
        #expect(parser.isComplete)
        #expect(consumed == text.utf8.count)
        #expect(try body(parser) == "")
    }

    @Test func interimResponsesAreSkipped() throws {
        let text =
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
        let (parser, _) = try parse(text, step: 5)
        var copy = parser
        let taken = copy.takeResponse()
        let response = try #require(taken)
        #expect(response.status == 201)
        #expect(response.header("link") == nil)
    }

    @Test func connectionCloseAndHTTP10EndTheConnection() throws {
        let close = try parse("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n").parser
        #expect(close.isComplete)
        #expect(!close.keepAlive)
        let old = try parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").parser
        #expect(old.isComplete)
        #expect(!old.keepAlive)
    }

    @Test func transferEncodingWinsOverContentLengthButTheConnectionIsNotReused() throws {
        let text = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
        let (parser, _) = try parse(text)
        #expect(parser.isComplete)
        #expect(!parser.keepAlive)
        #expect(try body(parser) == "ok")
    }

    @Test func bareLineFeedsAreAccepted() throws {
        let (parser, _) = try parse("HTTP/1.1 200 OK\nContent-Length: 2\n\nok")
        #expect(try body(parser) == "ok")
    }

    @Test func contentLengthOverTheLimitFailsAtTheHead() {
        var parser = HTTPResponseParser(requestWasHead: false, maxBodyBytes: 10)
        #expect(throws: HTTPError.bodyTooLarge(limit: 10)) {
            try parser.parse(Array("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n".utf8))
        }
    }

    @Test func chunkedBodyOverTheLimitFailsWhenTheChunkIsAnnounced() {
        var parser = HTTPResponseParser(requestWasHead: false, maxBodyBytes: 10)
        #expect(throws: HTTPError.bodyTooLarge(limit: 10)) {
            try parser.parse(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n".utf8))
        }
    }

    @Test func bodyUntilCloseOverTheLimitFails() throws {
        var parser = HTTPResponseParser(requestWasHead: false, maxBodyBytes: 10)
        _ = try parser.parse(Array("HTTP/1.1 200 OK\r\n\r\n123456".utf8))
        #expect(throws: HTTPError.bodyTooLarge(limit: 10)) { try parser.parse(Array("7890x".utf8)) }
    }

    @Test func endOfInputBeforeAnyByteIsAConnectionClosedError() throws {
        var parser = HTTPResponseParser(requestWasHead: false, maxBodyBytes: 10)
        #expect(!parser.hasReceivedBytes)
        #expect(throws: HTTPError.connectionClosed("server closed the connection without responding")) {
            try parser.finishAtEndOfInput()
        }
    }

    @Test func endOfInputInsideTheBodyIsAConnectionClosedError() throws {
        var parser = HTTPResponseParser(requestWasHead: false, maxBodyBytes: 100)
        _ = try parser.parse(Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n1234".utf8))
        #expect(parser.hasReceivedBytes)
        #expect(
            throws: HTTPError.connectionClosed("server closed the connection after 4 body bytes, 6 more were announced")
        ) {
            try parser.finishAtEndOfInput()
        }
    }

    @Test(arguments: [
        "garbage\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 099 Low\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: ,5\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5,\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\n",
        "HTTP/1.1 101 Switching Protocols\r\n\r\n",
    ])
    func malformedResponsesAreRejected(text: String) {
        var parser = HTTPResponseParser(requestWasHead: false, maxBodyBytes: 1 << 40)
        let error = #expect(throws: HTTPError.self) { try parser.parse(Array(text.utf8)) }
        #expect(error?.code == "malformed_response")
    }

    @Test func duplicateIdenticalContentLengthsAreAccepted() throws {
        let (parser, _) = try parse("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length:\t2 \r\n\r\nok")
        #expect(try body(parser) == "ok")
    }

    @Test func oversizeHeadIsRejected() {
        var limits = HTTPHeadParser.Limits()
        limits.maxHeadBytes = 1024
        var parser = HTTPResponseParser(requestWasHead: false, maxBodyBytes: 100, limits: limits)
        let header = "X-Filler: " + String(repeating: "a", count: 200) + "\r\n"
        let text = "HTTP/1.1 200 OK\r\n" + String(repeating: header, count: 10)
        let error = #expect(throws: HTTPError.self) { try parser.parse(Array(text.utf8)) }
        #expect(error?.code == "malformed_response")
    }
}
