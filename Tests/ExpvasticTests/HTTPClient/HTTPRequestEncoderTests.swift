import Testing

@testable import Expvastic
@testable import ExpvasticCodecs

@Suite struct HTTPRequestEncoderTests {
    private let encoder = HTTPRequestEncoder(userAgent: "expvastic/test")

    private func endpoint(_ text: String) throws -> Endpoint {
        try Endpoint.parse(text).get()
    }

    @Test func getHasHostUserAgentAndIdentityEncoding() throws {
        let request = HTTPRequest(endpoint: try endpoint("http://app:8080/debug/vars"), timeout: .seconds(1))
        let head = String(decoding: try encoder.encodeHead(request), as: UTF8.self)
        #expect(
            head
                == "GET /debug/vars HTTP/1.1\r\nHost: app:8080\r\nUser-Agent: expvastic/test\r\n"
                + "Accept-Encoding: identity\r\n\r\n")
    }

    @Test func postCarriesContentLengthAndCallerHeaders() throws {
        let request = HTTPRequest(
            method: "POST", endpoint: try endpoint("http://[::1]:80/"), path: "/_bulk",
            headers: [(name: "Content-Type", value: "application/x-ndjson")], body: Array("{}\n".utf8),
            timeout: .seconds(1))
        let head = String(decoding: try encoder.encodeHead(request), as: UTF8.self)
        #expect(head.hasPrefix("POST /_bulk HTTP/1.1\r\nHost: [::1]\r\n"))
        #expect(head.contains("\r\nContent-Length: 3\r\n"))
        #expect(head.hasSuffix("\r\nContent-Type: application/x-ndjson\r\n\r\n"))
    }

    @Test func callerHeadersReplaceDefaults() throws {
        let request = HTTPRequest(
            endpoint: try endpoint("http://a:1/"), headers: [(name: "user-agent", value: "mine")], timeout: .seconds(1))
        let head = String(decoding: try encoder.encodeHead(request), as: UTF8.self)
        #expect(!head.contains("expvastic/test"))
        #expect(head.contains("\r\nuser-agent: mine\r\n"))
    }

    @Test(arguments: [
        ("X-Key", "a\r\nInjected: yes"), ("Bad Name", "x"), ("", "x"), ("X-Nul", "a\u{0}b"),
    ])
    func headersThatWouldSplitTheRequestAreRefused(name: String, value: String) throws {
        let request = HTTPRequest(
            endpoint: try endpoint("http://a:1/"), headers: [(name: name, value: value)], timeout: .seconds(1))
        #expect(throws: HTTPRequestEncoder.Failure.self) { try encoder.encodeHead(request) }
    }

    @Test func targetWithWhiteSpaceIsRefused() throws {
        let request = HTTPRequest(endpoint: try endpoint("http://a:1/"), path: "/a b", timeout: .seconds(1))
        #expect(throws: HTTPRequestEncoder.Failure.self) { try encoder.encodeHead(request) }
    }
}
