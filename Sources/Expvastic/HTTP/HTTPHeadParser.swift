import ExpvasticBase

/// Incrementally parses the head of an HTTP/1.x message: an optional start line (status line or
/// request line) followed by header fields and an empty line. A pure value type fed bytes as they
/// arrive; it owns no socket, so the client and the small server can share it and tests can feed it
/// any byte sequence.
///
/// Lines end in CRLF; a bare LF is accepted too. Empty lines before the start line are skipped (RFC
/// 9112 §2.2). Obsolete line folding is replaced by a single space. Limits bound memory for hostile
/// peers: the head as a whole, each line, and the number of fields.
package struct HTTPHeadParser: Sendable {
    /// Bounds on what a peer may send in one head.
    package struct Limits: Sendable, Equatable {
        /// The whole head including line ends, in bytes.
        package var maxHeadBytes = 64 * 1024
        /// One line (start line or field line), in bytes.
        package var maxLineBytes = 16 * 1024
        /// Number of header fields.
        package var maxFields = 256
    }

    /// Why a head is not acceptable; `message` says what was wrong.
    package struct Failure: Error, Sendable, Equatable {
        package var message: String
    }

    package let limits: Limits
    /// Whether the head begins with a start line (false for chunked trailers).
    package let expectsStartLine: Bool
    /// The start line without its line end, once seen.
    private(set) package var startLine: [UInt8] = []
    /// Header fields in arrival order; names as sent, values with surrounding white space removed.
    private(set) package var fields: [(name: String, value: String)] = []
    /// True once the empty line that ends the head has been consumed.
    private(set) package var isComplete = false
    /// Bytes of head consumed so far.
    private(set) package var consumedBytes = 0

    private var sawStartLine = false
    /// A line split across two `parse` calls.
    private var partialLine: [UInt8] = []

    package init(limits: Limits = Limits(), expectsStartLine: Bool = true) {
        self.limits = limits
        self.expectsStartLine = expectsStartLine
    }

    /// Consumes bytes up to and including the empty line that ends the head and returns how many it
    /// consumed. Bytes after the head are left for the caller (they are the body).
    package mutating func parse(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> Int {
        precondition(!isComplete, "HTTPHeadParser.parse called after the head was complete")
        var index = 0
        let count = bytes.count
        while index < count, !isComplete {
            let lineStart = index
            var end = lineStart
            while end < count, bytes[end] != 0x0A { end += 1 }
            if end == count {
                let tail = count - lineStart
                try account(tail, lineLength: partialLine.count + tail)
                partialLine.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[lineStart..<count]))
                return count
            }
            index = end + 1
            try account(index - lineStart, lineLength: partialLine.count + (end - lineStart))
            if partialLine.isEmpty {
                try process(line: UnsafeRawBufferPointer(rebasing: bytes[lineStart..<end]))
            } else {
                partialLine.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[lineStart..<end]))
                let line = partialLine
                partialLine.removeAll(keepingCapacity: true)
                let outcome = line.withUnsafeBytes { buffer in
                    Result { () throws(Failure) in try process(line: buffer) }
                }
                try outcome.get()
            }
        }
        return index
    }

    /// Convenience for tests and callers holding an array.
    package mutating func parse(_ bytes: [UInt8]) throws(Failure) -> Int {
        let outcome = bytes.withUnsafeBytes { buffer in Result { () throws(Failure) in try parse(buffer) } }
        return try outcome.get()
    }

    /// The value of the first field with this name (ASCII case-insensitive).
    package func value(of name: String) -> String? {
        fields.first { Self.equalsIgnoringCase($0.name, name) }?.value
    }

    private mutating func account(_ bytes: Int, lineLength: Int) throws(Failure) {
        consumedBytes += bytes
        if consumedBytes > limits.maxHeadBytes {
            throw Failure(message: "head longer than \(limits.maxHeadBytes) bytes")
        }
        if lineLength > limits.maxLineBytes {
            throw Failure(message: "header line longer than \(limits.maxLineBytes) bytes")
        }
    }

    /// `raw` excludes the LF; a trailing CR is stripped here.
    private mutating func process(line raw: UnsafeRawBufferPointer) throws(Failure) {
        var length = raw.count
        if length > 0, raw[length - 1] == 0x0D { length -= 1 }
        let line = UnsafeRawBufferPointer(rebasing: raw[0..<length])
        for byte in line where byte == 0x0D || byte == 0x00 {
            throw Failure(message: "header line contains a bare CR or a NUL byte")
        }
        if expectsStartLine, !sawStartLine {
            if line.isEmpty { return }  // RFC 9112 §2.2: ignore empty lines before the start line
            startLine = Array(line)
            sawStartLine = true
            return
        }
        if line.isEmpty {
            isComplete = true
            return
        }
        if line[0] == 0x20 || line[0] == 0x09 {
            // Obsolete line folding: continue the previous value after one space.
            guard !fields.isEmpty else { throw Failure(message: "continuation line before any header field") }
            let continuation = Self.trimmed(line)
            if !continuation.isEmpty {
                fields[fields.count - 1].value += " " + String(decoding: continuation, as: UTF8.self)
            }
            return
        }
        guard let colon = line.firstIndex(of: 0x3A) else {
            throw Failure(message: "header line without a colon")
        }
        guard colon > 0 else { throw Failure(message: "header field with an empty name") }
        for index in 0..<colon where !Self.isTokenByte(line[index]) {
            throw Failure(message: "header field name contains an invalid character")
        }
        guard fields.count < limits.maxFields else {
            throw Failure(message: "more than \(limits.maxFields) header fields")
        }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<colon]), as: UTF8.self)
        let value = String(
            decoding: Self.trimmed(UnsafeRawBufferPointer(rebasing: line[(colon + 1)...])), as: UTF8.self)
        if fields.isEmpty { fields.reserveCapacity(8) }  // one allocation for a usual head, not three
        fields.append((name: name, value: value))
    }

    private static func trimmed(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }

    /// RFC 9110 `tchar`.
    package static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// ASCII case-insensitive comparison without allocating.
    package static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        return a.utf8.elementsEqual(b.utf8) { x, y in
            x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= 0x61 && (x | 0x20) <= 0x7A)
        }
    }
}
