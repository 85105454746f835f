import Testing

@testable import Expvastic

@Suite struct HTTPServerRequestParserTests {
    let parser = HTTPServerRequestParser(maxRequestLineBytes: 100, maxHeaderBytes: 128, maxHeaderCount: 4)

    private func parse(_ text: String) -> HTTPServerRequestParser.Result { parser.parse(Array(text.utf8)) }

    private func failureStatus(_ text: String) -> Int? {
        if case .failure(let status, _) = parse(text) { return status }
        return nil
    }

    @Test func parsesAGetWithQueryAndHeaders() throws {
        let text =
            "GET /api/v1/collection?since=2026-11-21T18%3A00%3A00Z&x=a+b HTTP/1.1\r\nHost: h\r\nX-A:  v  \r\n\r\n"
        guard case .complete(let request, let length, let hasBody) = parse(text + "GET /next") else {
            Issue.record("expected a complete request")
            return
        }
        #expect(length == text.utf8.count)
        #expect(!hasBody)
        #expect(request.method == "GET")
        #expect(request.path == "/api/v1/collection")
        #expect(request.version == "HTTP/1.1")
        #expect(request.header("x-a") == "v")
        #expect(request.queryParameter("since") == "2026-11-21T18:00:00Z")
        #expect(request.queryParameter("x") == "a b")
        #expect(request.queryParameter("missing") == nil)
    }

    @Test func acceptsBareLineFeedsAndAbsoluteForm() {
        guard case .complete(let request, _, _) = parse("\r\nGET http://h:1/metrics?a=1 HTTP/1.0\nHost: h\n\n") else {
            Issue.record("expected a complete request")
            return
        }
        #expect(request.path == "/metrics")
        #expect(request.query == "a=1")
    }

    @Test func waitsForMoreBytes() {
        #expect(parse("GET / HTTP/1.1\r\nHost: h\r\n") == .incomplete)
        #expect(parse("GET / HT") == .incomplete)
        #expect(parse("") == .incomplete)
    }

    @Test func enforcesTheLimits() {
        #expect(failureStatus("GET /" + String(repeating: "a", count: 150)) == 414)
        #expect(failureStatus("GET /" + String(repeating: "a", count: 150) + " HTTP/1.1\r\n\r\n") == 414)
        #expect(failureStatus("GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "b", count: 200)) == 431)
        let many = (0..<5).map { "X-\($0): 1\r\n" }.joined()
        #expect(failureStatus("GET / HTTP/1.1\r\nHost: h\r\n" + many + "\r\n") == 431)
        // A stream of carriage returns never becomes a request.
        #expect(failureStatus(String(repeating: "\r", count: 150)) == 414)
    }

    @Test(arguments: [
        "\u{1}\u{2}garbage\r\n\r\n",
        "GET\r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n",
        "GET nopath HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\u{0}b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET /\u{e9} HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / FTP/1.1\r\nHost: h\r\n\r\n",
    ])
    func rejectsMalformedRequestsWith400(text: String) {
        #expect(failureStatus(text) == 400)
    }

    @Test func rejectsOtherVersionsWith505() {
        #expect(failureStatus("GET / HTTP/2.0\r\nHost: h\r\n\r\n") == 505)
    }

    @Test func notesABody() {
        guard
            case .complete(let request, _, let hasBody) = parse(
                "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n")
        else {
            Issue.record("expected a complete request")
            return
        }
        #expect(request.method == "POST")
        #expect(hasBody)
        guard
            case .complete(_, _, let chunked) = parse("PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
        else {
            Issue.record("expected a complete request")
            return
        }
        #expect(chunked)
    }

    @Test func undecodableQueryValueIsNil() {
        let request = HTTPServerRequest(
            method: "GET", target: "/?a=%zz&b=%41", path: "/", query: "a=%zz&b=%41", version: "HTTP/1.1",
            headers: [])
        #expect(request.queryParameter("a") == nil)
        #expect(request.queryParameter("b") == "A")
    }

    @Test func parsesListenAddresses() throws {
        let plain = try HTTPServerConfiguration(listen: "127.0.0.1:9800")
        #expect(plain.host == "127.0.0.1" && plain.port == 9800)
        let v6 = try HTTPServerConfiguration(listen: "[::1]:0")
        #expect(v6.host == "::1" && v6.port == 0)
        let bare = try HTTPServerConfiguration(listen: ":7")
        #expect(bare.host == "127.0.0.1" && bare.port == 7)
        for bad in ["127.0.0.1", "127.0.0.1:99999", "h:x", "[::1]"] {
            #expect(throws: HTTPServerError.self) { try HTTPServerConfiguration(listen: bad) }
        }
    }
}
