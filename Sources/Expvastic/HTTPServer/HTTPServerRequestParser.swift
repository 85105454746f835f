import ExpvasticBase

/// Parses an HTTP/1.x request head from the bytes received so far. Pure: no I/O, no state, so the limits
/// can be tested byte by byte.
///
/// Accepted: optional empty lines before the request line (RFC 9112 §2.2), `CRLF` or bare `LF` line ends,
/// `origin-form` (`/path?query`) and `absolute-form` (`http://host/path`) targets, `HTTP/1.0` and
/// `HTTP/1.1`. Rejected with 400: anything else, control characters, whitespace before a header colon,
/// obsolete line folding, a missing or repeated `Host` in HTTP/1.1, invalid or conflicting
/// `Content-Length` / `Transfer-Encoding`.
package struct HTTPServerRequestParser: Sendable {
    /// The outcome of one attempt.
    package enum Result: Equatable {
        /// No complete head yet and no limit exceeded: read more.
        case incomplete
        /// A head of `headLength` bytes; `hasBody` says a body follows (which the server never reads).
        case complete(HTTPServerRequest, headLength: Int, hasBody: Bool)
        /// Answer `status` and close the connection.
        case failure(status: Int, reason: String)
    }

    package var maxRequestLineBytes: Int
    package var maxHeaderBytes: Int
    package var maxHeaderCount: Int

    package init(maxRequestLineBytes: Int, maxHeaderBytes: Int, maxHeaderCount: Int) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
    }

    package init(_ configuration: HTTPServerConfiguration) {
        self.init(
            maxRequestLineBytes: configuration.maxRequestLineBytes, maxHeaderBytes: configuration.maxHeaderBytes,
            maxHeaderCount: configuration.maxHeaderCount)
    }

    /// Bytes worth buffering for one head: up to 8 stray line-end bytes, the request line and its line end,
    /// the header section and the final empty line. With one byte more, ``parse(_:)`` always decides.
    package var maxHeadBytes: Int { maxRequestLineBytes + maxHeaderBytes + 16 }

    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")

    package func parse(_ bytes: [UInt8]) -> Result {
        var start = 0
        // Tolerate a few stray line ends left over from a previous request (at most 8 bytes).
        while start < min(bytes.count, 8), bytes[start] == Self.cr || bytes[start] == Self.lf { start += 1 }
        guard let lineEnd = Self.indexOfLF(bytes, from: start, limit: start + maxRequestLineBytes + 2) else {
            if bytes.count - start > maxRequestLineBytes + 1 {
                return .failure(status: 414, reason: "request line longer than \(maxRequestLineBytes) bytes")
            }
            return .incomplete
        }
        let line = Self.trimCR(bytes, start, lineEnd)
        if line.count > maxRequestLineBytes {
            return .failure(status: 414, reason: "request line longer than \(maxRequestLineBytes) bytes")
        }
        let requestLine: (method: String, target: String, version: String)
        switch Self.parseRequestLine(line) {
        case .success(let parsed): requestLine = parsed
        case .failure(let failure): return .failure(status: failure.status, reason: failure.reason)
        }

        var headers: [(name: String, value: String)] = []
        var position = lineEnd + 1
        let headerStart = position
        while true {
            let limit = headerStart + maxHeaderBytes + 2
            guard let end = Self.indexOfLF(bytes, from: position, limit: limit) else {
                if bytes.count - headerStart > maxHeaderBytes + 1 {
                    return .failure(status: 431, reason: "header section larger than \(maxHeaderBytes) bytes")
                }
                return .incomplete
            }
            let fieldLine = Self.trimCR(bytes, position, end)
            position = end + 1
            if fieldLine.isEmpty { break }
            if end - headerStart > maxHeaderBytes {
                return .failure(status: 431, reason: "header section larger than \(maxHeaderBytes) bytes")
            }
            if headers.count >= maxHeaderCount {
                return .failure(status: 431, reason: "more than \(maxHeaderCount) header fields")
            }
            switch Self.parseField(fieldLine) {
            case .success(let field): headers.append(field)
            case .failure(let failure): return .failure(status: failure.status, reason: failure.reason)
            }
        }
        return Self.finish(requestLine, headers: headers, headLength: position)
    }

    private struct Failure: Error {
        package var status: Int
        package var reason: String
        package init(_ status: Int, _ reason: String) {
            self.status = status
            self.reason = reason
        }
    }

    private static func finish(
        _ line: (method: String, target: String, version: String), headers: [(name: String, value: String)],
        headLength: Int
    ) -> Result {
        var hosts = 0
        var contentLengths: [String] = []
        var transferEncoding = false
        for field in headers {
            switch field.name.lowercased() {
            case "host": hosts += 1
            case "content-length": contentLengths.append(field.value)
            case "transfer-encoding": transferEncoding = true
            default: break
            }
        }
        if line.version == "HTTP/1.1", hosts != 1 {
            return .failure(status: 400, reason: "HTTP/1.1 request needs exactly one Host header")
        }
        var hasBody = transferEncoding
        if !contentLengths.isEmpty {
            if transferEncoding {
                return .failure(status: 400, reason: "both Content-Length and Transfer-Encoding")
            }
            let distinct = Set(contentLengths)
            guard distinct.count == 1, let text = distinct.first, !text.isEmpty, text.utf8.count <= 18,
                text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let length = Int(text)
            else {
                return .failure(status: 400, reason: "invalid Content-Length")
            }
            hasBody = length > 0
        }
        let (path, query) = splitTarget(line.target)
        let request = HTTPServerRequest(
            method: line.method, target: line.target, path: path, query: query, version: line.version,
            headers: headers)
        return .complete(request, headLength: headLength, hasBody: hasBody)
    }

    private static func splitTarget(_ target: String) -> (String, String?) {
        var rest = Substring(target)
        if rest.hasPrefix("http://") || rest.hasPrefix("https://") {
            rest = rest[rest.index(rest.firstIndex(of: ":")!, offsetBy: 3)...]
            rest = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
        }
        guard let mark = rest.firstIndex(of: "?") else { return (String(rest), nil) }
        return (String(rest[..<mark]), String(rest[rest.index(after: mark)...]))
    }

    private static func parseRequestLine(_ line: ArraySlice<UInt8>)
        -> Swift.Result<
            (method: String, target: String, version: String), Failure
        >
    {
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, parts[0].allSatisfy(HTTPHeadParser.isTokenByte)
        else {
            return .failure(Failure(400, "malformed request line"))
        }
        // Targets are ASCII without controls (RFC 3986); anything else is garbage, not a path.
        guard parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return .failure(Failure(400, "invalid characters in request target"))
        }
        let target = String(decoding: parts[1], as: UTF8.self)
        let isOrigin = target.hasPrefix("/")
        let isAbsolute = target.hasPrefix("http://") || target.hasPrefix("https://")
        guard isOrigin || isAbsolute || target == "*" else {
            return .failure(Failure(400, "request target must start with /"))
        }
        let version = String(decoding: parts[2], as: UTF8.self)
        switch version {
        case "HTTP/1.1", "HTTP/1.0": break
        default:
            let bytes = Array(parts[2])
            let looksLikeHTTP =
                bytes.count == 8 && bytes.starts(with: Array("HTTP/".utf8))
                && isDigit(bytes[5]) && bytes[6] == UInt8(ascii: ".") && isDigit(bytes[7])
            return .failure(looksLikeHTTP ? Failure(505, "only HTTP/1.0 and HTTP/1.1") : Failure(400, "bad version"))
        }
        return .success((String(decoding: parts[0], as: UTF8.self), target, version))
    }

    private static func parseField(_ line: ArraySlice<UInt8>) -> Swift.Result<(name: String, value: String), Failure> {
        guard let first = line.first, first != UInt8(ascii: " "), first != UInt8(ascii: "\t") else {
            return .failure(Failure(400, "obsolete header line folding"))
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
            line[line.startIndex..<colon].allSatisfy(HTTPHeadParser.isTokenByte)
        else {
            return .failure(Failure(400, "malformed header field"))
        }
        var value = line[(colon + 1)...]
        while let byte = value.first, byte == 0x20 || byte == 0x09 { value = value.dropFirst() }
        while let byte = value.last, byte == 0x20 || byte == 0x09 { value = value.dropLast() }
        guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
            return .failure(Failure(400, "control characters in header value"))
        }
        return .success(
            (String(decoding: line[line.startIndex..<colon], as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }

    private static func indexOfLF(_ bytes: [UInt8], from: Int, limit: Int) -> Int? {
        var i = from
        let end = min(bytes.count, limit)
        while i < end {
            if bytes[i] == lf { return i }
            i += 1
        }
        return nil
    }

    private static func trimCR(_ bytes: [UInt8], _ from: Int, _ lfIndex: Int) -> ArraySlice<UInt8> {
        var end = lfIndex
        if end > from, bytes[end - 1] == cr { end -= 1 }
        return bytes[from..<end]
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
