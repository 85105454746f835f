import ExpvasticTestSupport
import Testing

@testable import ExpvasticCodecs

/// ``Endpoint/parse(_:)`` reads plain ASCII addresses byte by byte and everything else character by
/// character: both give the same endpoints and the same errors.
@Suite struct EndpointTests {
    @Test(arguments: [
        ("localhost:1234", "http://localhost:1234/"),
        ("10.0.0.5", "http://10.0.0.5:80/"),
        ("10.0.0.5:8080/debug/vars", "http://10.0.0.5:8080/debug/vars"),
        ("HTTPS://Example.com/a/b?x=1", "https://Example.com:443/a/b?x=1"),
        ("http://h_1.local:00080", "http://h_1.local:80/"),
        ("https://[::1]:9200/", "https://[::1]:9200/"),
        ("http://a:b:65535/p", "http://[a:b]:65535/p"),
    ])
    func validForms(text: String, description: String) throws {
        #expect(try Endpoint.parse(text).get().description == description)
    }

    @Test(arguments: [
        ("", "\"\" is empty"),
        ("a b:80", "\"a b:80\" contains white space"),
        ("ftp://x", "\"ftp://x\" has unknown scheme \"ftp\" (use http or https)"),
        ("u:p@host:80", "\"u:p@host:80\" has credentials in the URL (use username/password or api_key)"),
        ("host:0", "\"host:0\" has an invalid port (1-65535)"),
        ("host:65536", "\"host:65536\" has an invalid port (1-65535)"),
        ("host:", "\"host:\" has an invalid port (1-65535)"),
        (":80", "\":80\" has an empty host"),
        ("http://", "\"http://\" has an empty host"),
        ("hö.st:80", "\"hö.st:80\" has an invalid host \"hö.st\""),
        ("[::1", "\"[::1\" has an unclosed IPv6 bracket"),
    ])
    func errors(text: String, message: String) {
        guard case .failure(let error) = Endpoint.parse(text) else {
            Issue.record("\(text) parsed")
            return
        }
        #expect(error.description == message)
    }

    /// Random strings over the bytes that matter to the parse (separators, digits, letters, `@`,
    /// brackets, white space, control and non-ASCII characters): the byte-level parse either
    /// declines or gives what the character-level parse gives, and `parse` always agrees with the
    /// character-level parse, errors included.
    @Test func theByteLevelParseAgreesWithTheCharacterLevelOne() {
        let pieces = [
            "http", "HTTPS", "https", "ftp", "://", ":", "/", "//", "a", "Z", "h_1", "-", ".", "0", "1", "8080",
            "65535", "65536", "000080", "+80", "@", "[", "]", "::1", " ", "\t", "\u{01}", "\u{7F}", "é", "?x=1",
            "#f", "%20", "e\u{301}", "\r\n",
        ]
        var random = SplitMix64(seed: 1_919)
        var fast = 0
        for _ in 0..<20_000 {
            let count = 1 + Int(random.next() % 8)
            let text = (0..<count).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
            let slow = Endpoint.parseCharacters(text)
            if let endpoint = Endpoint.parsePlainASCII(text) {
                fast += 1
                #expect(slow == .success(endpoint), "\(text)")
            }
            #expect(Endpoint.parse(text) == slow, "\(text)")
        }
        // The random strings reach the byte-level parse often enough to mean something.
        #expect(fast > 1_000)
    }

    /// `description` and `origin` as they were built before (interpolation), for bracketed and
    /// plain hosts.
    @Test func descriptionAndOriginAreTheInterpolatedForms() {
        for (host, port) in [
            ("10.0.0.1", 80), ("::1", 9200), ("h", 65535), ("e\u{301}:x", 1), ("a:\u{301}", 2), ("h", 0), ("h", -3),
            ("h", 1_234_567),
        ] {
            let endpoint = Endpoint(scheme: "https", host: host, port: port, path: "/a")
            let bracketed = host.contains(":") ? "[\(host)]" : host
            #expect(endpoint.origin == "https://\(bracketed):\(port)")
            #expect(endpoint.description == "https://\(bracketed):\(port)/a")
        }
    }
}
