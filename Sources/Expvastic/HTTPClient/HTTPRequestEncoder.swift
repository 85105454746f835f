import ExpvasticBase

/// Turns an ``HTTPRequest`` into the bytes of an HTTP/1.1 request head. A pure function: the body
/// is sent as it is, after the head, without a copy.
///
/// Adds `Host`, `User-Agent`, `Accept-Encoding: identity` and, when there is a body or the method
/// usually has one, `Content-Length`, unless the request already carries that header. Refuses
/// methods, targets and header fields that contain bytes which would let them end a line early
/// (request splitting).
package struct HTTPRequestEncoder: Sendable {
    /// Sent as `User-Agent` unless the request has its own.
    package var userAgent: String

    /// Why a request cannot be sent; `message` names the part that is wrong.
    package struct Failure: Error, Sendable, Equatable {
        package var message: String
    }

    /// The head of `request`, ending with the empty line.
    package func encodeHead(_ request: HTTPRequest) throws(Failure) -> [UInt8] {
        guard !request.method.isEmpty, request.method.utf8.allSatisfy(HTTPHeadParser.isTokenByte) else {
            throw Failure(message: "method \"\(request.method)\" is not an HTTP token")
        }
        guard request.path.utf8.first == UInt8(ascii: "/") || request.path == "*",
            request.path.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F })
        else {
            throw Failure(message: "request target \"\(request.path)\" must start with / and contain no white space")
        }
        var hasHost = false
        var hasUserAgent = false
        var hasAcceptEncoding = false
        var hasContentLength = false
        for header in request.headers {
            guard !header.name.isEmpty, header.name.utf8.allSatisfy(HTTPHeadParser.isTokenByte) else {
                throw Failure(message: "header name \"\(header.name)\" is not an HTTP token")
            }
            guard header.value.utf8.allSatisfy({ $0 != 0x0D && $0 != 0x0A && $0 != 0x00 }) else {
                throw Failure(message: "value of header \(header.name) contains a line break or NUL")
            }
            if HTTPHeadParser.equalsIgnoringCase(header.name, "host") { hasHost = true }
            if HTTPHeadParser.equalsIgnoringCase(header.name, "user-agent") { hasUserAgent = true }
            if HTTPHeadParser.equalsIgnoringCase(header.name, "accept-encoding") { hasAcceptEncoding = true }
            if HTTPHeadParser.equalsIgnoringCase(header.name, "content-length") { hasContentLength = true }
        }
        var head: [UInt8] = []
        head.reserveCapacity(128 + request.path.utf8.count + request.headers.count * 48)
        head.append(contentsOf: request.method.utf8)
        head.append(0x20)
        head.append(contentsOf: request.path.utf8)
        head.append(contentsOf: " HTTP/1.1\r\n".utf8)
        if !hasHost {
            head.append(contentsOf: "Host: ".utf8)
            Self.appendHostHeaderValue(request.endpoint, to: &head)
            head.append(contentsOf: "\r\n".utf8)
        }
        if !hasUserAgent, !userAgent.isEmpty {
            head.append(contentsOf: "User-Agent: ".utf8)
            head.append(contentsOf: userAgent.utf8)
            head.append(contentsOf: "\r\n".utf8)
        }
        if !hasAcceptEncoding { head.append(contentsOf: "Accept-Encoding: identity\r\n".utf8) }
        if !hasContentLength, !request.body.isEmpty || Self.methodExpectsBody(request.method) {
            head.append(contentsOf: "Content-Length: ".utf8)
            head.append(contentsOf: String(request.body.count).utf8)
            head.append(contentsOf: "\r\n".utf8)
        }
        for header in request.headers {
            head.append(contentsOf: header.name.utf8)
            head.append(contentsOf: ": ".utf8)
            head.append(contentsOf: header.value.utf8)
            head.append(contentsOf: "\r\n".utf8)
        }
        head.append(contentsOf: "\r\n".utf8)
        return head
    }

    /// `host` or `host:port`; IPv6 literals in brackets; the port only when not the default.
    /// Appended byte by byte: no string is made per request.
    static func appendHostHeaderValue(_ endpoint: Endpoint, to head: inout [UInt8]) {
        let bracketed = endpoint.host.utf8.contains(UInt8(ascii: ":"))
        if bracketed { head.append(UInt8(ascii: "[")) }
        head.append(contentsOf: endpoint.host.utf8)
        if bracketed { head.append(UInt8(ascii: "]")) }
        if endpoint.port != (endpoint.scheme == "https" ? 443 : 80) {
            head.append(UInt8(ascii: ":"))
            head.append(contentsOf: String(endpoint.port).utf8)  // at most 5 digits: no allocation
        }
    }

    private static func methodExpectsBody(_ method: String) -> Bool {
        method == "POST" || method == "PUT" || method == "PATCH"
    }
}
