import ExpvasticBase

/// Parses one HTTP/1.x response from bytes as they arrive. A pure value type: the connection feeds
/// it what it reads and asks whether the response is complete, so every framing rule is tested
/// without sockets.
///
/// Framing follows RFC 9112 §6.3: no body for HEAD, 1xx, 204 and 304; `Transfer-Encoding` with
/// `chunked` last means chunked (trailers are read and dropped); any other transfer coding, or no
/// length at all, means the body runs until the server closes; otherwise `Content-Length`. Interim
/// 1xx responses are skipped. The body limit is checked as soon as a length is known and while
/// bytes arrive, so an oversize body is refused without buffering more than one read past it.
package struct HTTPResponseParser: Sendable {
    private enum State: Sendable, Equatable {
        case head
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case complete
    }

    private let requestWasHead: Bool
    private let maxBodyBytes: Int
    private let limits: HTTPHeadParser.Limits
    private var state = State.head
    private var head: HTTPHeadParser
    private var trailers: HTTPHeadParser
    private var chunkLine: [UInt8] = []
    private var status = 0
    private var fields: [(name: String, value: String)] = []
    private var body: [UInt8] = []
    /// Set for a streamed response: body bytes go here as they arrive instead of into the body.
    private let onBody: (@Sendable ([UInt8]) -> Void)?

    /// Whether the connection may carry another request once this response is complete.
    private(set) package var keepAlive = true
    /// True once any byte of the response has been consumed: after that a failure is no longer a
    /// stale pooled connection and the request must not be retried.
    private(set) package var hasReceivedBytes = false

    /// - Parameters:
    ///   - requestWasHead: the request was `HEAD`, so the response has no body whatever it says.
    ///   - maxBodyBytes: a larger body fails with ``HTTPError/bodyTooLarge(limit:)``.
    ///   - onBody: streams the body: each piece of it is passed on as it arrives and none is kept
    ///     (the completed response then has an empty body).
    package init(
        requestWasHead: Bool, maxBodyBytes: Int, limits: HTTPHeadParser.Limits = HTTPHeadParser.Limits(),
        onBody: (@Sendable ([UInt8]) -> Void)? = nil
    ) {
        self.requestWasHead = requestWasHead
        self.onBody = onBody
        self.maxBodyBytes = maxBodyBytes
        self.limits = limits
        head = HTTPHeadParser(limits: limits)
        trailers = HTTPHeadParser(limits: limits, expectsStartLine: false)
    }

    /// True once the whole response has been parsed.
    package var isComplete: Bool { state == .complete }

    /// The parsed response, handing over the body without a copy. Only valid once complete.
    package mutating func takeResponse() -> HTTPResponse? {
        guard isComplete else { return nil }
        let response = HTTPResponse(status: status, headers: fields, body: body)
        body = []
        return response
    }

    /// Consumes bytes and returns how many were part of this response. When the response completes
    /// early the rest is left unconsumed; a caller that gets fewer than it passed has extra bytes the
    /// server should not have sent.
    package mutating func parse(_ bytes: UnsafeRawBufferPointer) throws(HTTPError) -> Int {
        if !bytes.isEmpty { hasReceivedBytes = true }
        var index = 0
        while index < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[index...])
            switch state {
            case .head:
                do {
                    index += try head.parse(rest)
                } catch {
                    throw .malformedResponse(error.message)
                }
                if head.isComplete { try headComplete() }
            case .fixedBody(let remaining):
                let take = min(remaining, rest.count)
                deliver(UnsafeRawBufferPointer(rebasing: rest[0..<take]))
                index += take
                state = remaining == take ? .complete : .fixedBody(remaining: remaining - take)
            case .untilClose:
                try admit(rest.count)
                deliver(rest)
                index += rest.count
            case .chunkSize:
                index += try parseChunkSize(rest)
            case .chunkData(let remaining):
                let take = min(remaining, rest.count)
                deliver(UnsafeRawBufferPointer(rebasing: rest[0..<take]))
                index += take
                state = remaining == take ? .chunkDataEnd : .chunkData(remaining: remaining - take)
            case .chunkDataEnd:
                index += try parseChunkDataEnd(rest)
            case .trailers:
                do {
                    index += try trailers.parse(rest)
                } catch {
                    throw .malformedResponse("chunked trailer: \(error.message)")
                }
                if trailers.isComplete { state = .complete }
            case .complete:
                return index
            }
        }
        return index
    }

    /// Convenience for tests.
    package mutating func parse(_ bytes: [UInt8]) throws(HTTPError) -> Int {
        let outcome = bytes.withUnsafeBytes { buffer in Result { () throws(HTTPError) in try parse(buffer) } }
        return try outcome.get()
    }

    /// The server closed the connection. Completes a body that runs until close; anything else
    /// unfinished is ``HTTPError/connectionClosed(_:)``.
    package mutating func finishAtEndOfInput() throws(HTTPError) {
        switch state {
        case .complete:
            return
        case .untilClose:
            state = .complete
            keepAlive = false
        case .head:
            if hasReceivedBytes {
                throw .connectionClosed("server closed the connection in the middle of the response head")
            }
            throw .connectionClosed("server closed the connection without responding")
        case .fixedBody(let remaining):
            throw .connectionClosed(
                "server closed the connection after \(body.count) body bytes, \(remaining) more were announced")
        case .chunkSize, .chunkData, .chunkDataEnd, .trailers:
            throw .connectionClosed("server closed the connection in the middle of a chunked body")
        }
    }

    private mutating func deliver(_ bytes: UnsafeRawBufferPointer) {
        if let onBody { onBody(Array(bytes)) } else { body.append(bytes: bytes) }
    }

    private mutating func admit(_ count: Int) throws(HTTPError) {
        if count > maxBodyBytes - body.count { throw .bodyTooLarge(limit: maxBodyBytes) }
    }

    private mutating func headComplete() throws(HTTPError) {
        let startLine = head.startLine
        let version: Int
        (version, status) = try Self.parseStatusLine(startLine)
        if (100...199).contains(status) {
            if status == 101 { throw .malformedResponse("unexpected 101 Switching Protocols") }
            head = HTTPHeadParser(limits: limits)  // interim response: the real one follows
            return
        }
        fields = head.fields
        keepAlive = version == 1
        var contentLength: Int?
        var transferEncoding: [String] = []
        for field in fields {
            let name = field.name
            if HTTPHeadParser.equalsIgnoringCase(name, "content-length") {
                let length = try Self.parseContentLength(field.value)
                if let contentLength, contentLength != length {
                    throw .malformedResponse("conflicting Content-Length values \(contentLength) and \(length)")
                }
                contentLength = length
            } else if HTTPHeadParser.equalsIgnoringCase(name, "transfer-encoding") {
                for coding in field.value.split(separator: ",") {
                    let trimmed = coding.trimmingSpaces
                    if !trimmed.isEmpty { transferEncoding.append(trimmed.lowercased()) }
                }
            } else if HTTPHeadParser.equalsIgnoringCase(name, "connection") {
                for option in field.value.split(separator: ",")
                where HTTPHeadParser.equalsIgnoringCase(String(option.trimmingSpaces), "close") {
                    keepAlive = false
                }
            }
        }
        if requestWasHead || status == 204 || status == 304 {
            state = .complete
            return
        }
        if !transferEncoding.isEmpty {
            if contentLength != nil { keepAlive = false }  // RFC 9112 §6.3: smuggling risk, do not reuse
            if transferEncoding.last == "chunked" {
                state = .chunkSize
            } else {
                keepAlive = false
                state = .untilClose
            }
            return
        }
        if let contentLength {
            try admit(contentLength)
            body.reserveCapacity(contentLength)
            state = contentLength == 0 ? .complete : .fixedBody(remaining: contentLength)
            return
        }
        keepAlive = false
        state = .untilClose
    }

    /// Parses `chunk-size [; ext] CRLF`; returns the bytes consumed.
    private mutating func parseChunkSize(_ bytes: UnsafeRawBufferPointer) throws(HTTPError) -> Int {
        guard let newline = bytes.firstIndex(of: 0x0A) else {
            chunkLine.append(contentsOf: bytes)
            if chunkLine.count > 4096 { throw .malformedResponse("chunk size line longer than 4096 bytes") }
            return bytes.count
        }
        chunkLine.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<newline]))
        if chunkLine.count > 4096 { throw .malformedResponse("chunk size line longer than 4096 bytes") }
        var size = 0
        var digits = 0
        for byte in chunkLine {
            let value: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A") + 10)
            default: value = -1
            }
            if value < 0 { break }
            guard size <= (Int.max - 15) / 16 else { throw .malformedResponse("chunk size overflows") }
            size = size * 16 + value
            digits += 1
        }
        if digits == 0 { throw .malformedResponse("chunk size line without a hexadecimal size") }
        let rest = chunkLine[digits...].drop { $0 == 0x20 || $0 == 0x09 }
        if let first = rest.first, first != UInt8(ascii: ";"), !(first == 0x0D && rest.count == 1) {
            throw .malformedResponse("chunk size followed by unexpected bytes")
        }
        chunkLine.removeAll(keepingCapacity: true)
        if size == 0 {
            state = .trailers
        } else {
            try admit(size)
            state = .chunkData(remaining: size)
        }
        return newline + 1
    }

    /// Consumes the CRLF after chunk data.
    private mutating func parseChunkDataEnd(_ bytes: UnsafeRawBufferPointer) throws(HTTPError) -> Int {
        // Accept CRLF or a bare LF; chunkLine holds a CR seen at the end of an earlier read.
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == 0x0A {
                chunkLine.removeAll(keepingCapacity: true)
                state = .chunkSize
                return index
            }
            if byte == 0x0D, chunkLine.isEmpty {
                chunkLine.append(byte)
                continue
            }
            throw .malformedResponse("chunk data longer than its announced size")
        }
        return index
    }

    /// `HTTP/1.1 200 OK` → (minor version, status).
    package static func parseStatusLine(_ line: [UInt8]) throws(HTTPError) -> (minorVersion: Int, status: Int) {
        let prefix: [UInt8] = Array("HTTP/1.".utf8)
        guard line.count >= 12, line.starts(with: prefix) else {
            throw .malformedResponse("status line does not start with HTTP/1.x: \(Self.excerpt(line))")
        }
        let minor = line[7]
        guard minor == UInt8(ascii: "0") || minor == UInt8(ascii: "1"), line[8] == 0x20 else {
            throw .malformedResponse("unsupported HTTP version in status line: \(Self.excerpt(line))")
        }
        var status = 0
        for byte in line[9..<12] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
                throw .malformedResponse("status code is not three digits: \(Self.excerpt(line))")
            }
            status = status * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard status >= 100, line.count == 12 || line[12] == 0x20 else {
            throw .malformedResponse("invalid status code in status line: \(Self.excerpt(line))")
        }
        return (Int(minor - UInt8(ascii: "0")), status)
    }

    /// Digits only; a list of identical values (`5, 5`) is accepted as RFC 9110 §8.6 allows. Read
    /// byte by byte: it runs on every response.
    package static func parseContentLength(_ value: String) throws(HTTPError) -> Int {
        func invalid() -> HTTPError { .malformedResponse("invalid Content-Length \"\(value.prefix(40))\"") }
        var result: Int?
        var current: Int?  // the element being read; nil before its first digit
        var spaceAfterDigits = false
        func endElement() throws(HTTPError) {
            guard let length = current else { throw invalid() }
            if let result, result != length {
                throw .malformedResponse("conflicting Content-Length values in \"\(value.prefix(40))\"")
            }
            result = length
            current = nil
            spaceAfterDigits = false
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9") where !spaceAfterDigits:
                let (times, overflow) = (current ?? 0).multipliedReportingOverflow(by: 10)
                let (sum, carry) = times.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
                guard !overflow, !carry else { throw invalid() }
                current = sum
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                if current != nil { spaceAfterDigits = true }
            case UInt8(ascii: ","):
                try endElement()
            default:
                throw invalid()
            }
        }
        try endElement()
        return result!  // endElement set it or threw
    }

    private static func excerpt(_ line: [UInt8]) -> String {
        let text = String(decoding: line.prefix(40), as: UTF8.self)
        return "\"" + String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
            + "\""
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
