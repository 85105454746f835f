import Testing

@testable import Expvastic
@testable import ExpvasticCodecs

@Suite struct HTTPHeadParserTests {
    @Test func requestHeadWithFieldsAndBodyLeftOver() throws {
        var parser = HTTPHeadParser()
        let text = "\r\nPOST /_bulk HTTP/1.1\r\nHost: es:9200\r\nContent-Length:  4 \r\n\r\nbody"
        let consumed = try parser.parse(Array(text.utf8))
        #expect(parser.isComplete)
        #expect(consumed == text.utf8.count - 4)
        #expect(String(decoding: parser.startLine, as: UTF8.self) == "POST /_bulk HTTP/1.1")
        #expect(parser.fields.map(\.name) == ["Host", "Content-Length"])
        #expect(parser.value(of: "content-length") == "4")
    }

    @Test func headSplitInsideLinesAndLineEnds() throws {
        let text = Array("HTTP/1.1 200 OK\r\nA: 1\r\nBee: two words\r\n\r\n".utf8)
        for split in 1..<text.count {
            var parser = HTTPHeadParser()
            let first = try parser.parse(Array(text[..<split]))
            #expect(first == split)
            #expect(!parser.isComplete || split == text.count)
            _ = try parser.parse(Array(text[split...]))
            #expect(parser.isComplete)
            #expect(parser.value(of: "bee") == "two words")
        }
    }

    @Test func obsoleteLineFoldingBecomesASpace() throws {
        var parser = HTTPHeadParser()
        _ = try parser.parse(Array("HTTP/1.1 200 OK\r\nX: first\r\n   second\r\n\r\n".utf8))
        #expect(parser.value(of: "x") == "first second")
    }

    @Test func trailersHaveNoStartLine() throws {
        var parser = HTTPHeadParser(expectsStartLine: false)
        _ = try parser.parse(Array("Checksum: 1\r\n\r\n".utf8))
        #expect(parser.isComplete)
        #expect(parser.fields.count == 1)
    }

    @Test func longLineIsRejectedBeforeItIsBuffered() {
        var limits = HTTPHeadParser.Limits()
        limits.maxLineBytes = 100
        var parser = HTTPHeadParser(limits: limits)
        #expect(throws: HTTPHeadParser.Failure.self) {
            for _ in 0..<10 { _ = try parser.parse(Array(repeating: UInt8(ascii: "a"), count: 20)) }
        }
    }

    @Test func tooManyFieldsAreRejected() {
        var limits = HTTPHeadParser.Limits()
        limits.maxFields = 3
        var parser = HTTPHeadParser(limits: limits)
        #expect(throws: HTTPHeadParser.Failure(message: "more than 3 header fields")) {
            try parser.parse(Array("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n".utf8))
        }
    }

    @Test func nulBytesAreRejected() {
        var parser = HTTPHeadParser()
        #expect(throws: HTTPHeadParser.Failure.self) {
            try parser.parse([UInt8]("HTTP/1.1 200 OK\r\nA: ".utf8) + [0] + [UInt8]("\r\n\r\n".utf8))
        }
    }

    @Test func caseInsensitiveComparison() {
        #expect(HTTPHeadParser.equalsIgnoringCase("Content-LENGTH", "content-length"))
        #expect(!HTTPHeadParser.equalsIgnoringCase("Content-Length", "content-lengt"))
        #expect(!HTTPHeadParser.equalsIgnoringCase("a", "b"))
    }
}
