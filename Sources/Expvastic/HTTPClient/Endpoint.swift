import ExpvasticBase

/// A normalised HTTP(S) location: `localhost:1234` becomes `http://localhost:1234/`.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// `http` or `https`.
    public let scheme: String
    public let host: String
    public let port: Int
    /// Always starts with `/`.
    public let path: String
    /// `scheme://host:port/path`, written once: a discovered target's id and its reader's
    /// documents share it (10,000 targets made it twice each).
    public let description: String

    public init(scheme: String, host: String, port: Int, path: String) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path.hasPrefix("/") ? path : "/" + path
        description = Self.rendered(scheme: scheme, host: host, port: port, path: self.path)
    }

    /// The parts with their ``description`` already written (``parsePlainASCII(_:)``).
    private init(scheme: String, host: String, port: Int, path: String, description: String) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        self.description = description
    }

    /// Parses `host`, `host:port`, `host:port/path` or a full `http(s)://` URL; no scheme means `http`.
    /// Returns a message saying what is wrong on failure.
    public static func parse(_ text: String) -> Result<Endpoint, EndpointError> {
        if let endpoint = parsePlainASCII(text) { return .success(endpoint) }
        return parseCharacters(text)
    }

    /// ``parse(_:)`` character by character: every form and every error.
    static func parseCharacters(_ text: String) -> Result<Endpoint, EndpointError> {
        if text.isEmpty { return .failure(EndpointError(text: text, reason: "is empty")) }
        if Endpoint.containsSpaceOrNewline(text) {
            return .failure(EndpointError(text: text, reason: "contains white space"))
        }
        var rest = Substring(text)
        var scheme = "http"
        if let range = Endpoint.schemeSeparator(in: rest) {
            scheme = rest[..<range.lowerBound].lowercased()
            guard scheme == "http" || scheme == "https" else {
                return .failure(
                    EndpointError(text: text, reason: "has unknown scheme \"\(scheme)\" (use http or https)"))
            }
            rest = rest[range.upperBound...]
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let path = slash < rest.endIndex ? String(rest[slash...]) : "/"
        if authority.contains("@") {
            return .failure(
                EndpointError(text: text, reason: "has credentials in the URL (use username/password or api_key)")
            )
        }
        var host = String(authority)
        var port = scheme == "https" ? 443 : 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                return .failure(EndpointError(text: text, reason: "has an unclosed IPv6 bracket"))
            }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    return .failure(EndpointError(text: text, reason: "has an invalid port"))
                }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else {
                return .failure(EndpointError(text: text, reason: "has an invalid port (1-65535)"))
            }
            port = p
        }
        if host.isEmpty { return .failure(EndpointError(text: text, reason: "has an empty host")) }
        if !host.utf8.allSatisfy(isHostByte) {
            return .failure(EndpointError(text: text, reason: "has an invalid host \"\(host)\""))
        }
        return .success(Endpoint(scheme: scheme, host: host, port: port, path: path))
    }

    /// The common valid forms (`host:port`, `host:port/path`, `http(s)://host[:port][/path]`) in
    /// ASCII, byte by byte; nil for anything else (non-ASCII, IPv6 brackets, credentials, a sign or
    /// more than 5 digits in the port, any error), which ``parse(_:)`` then parses character by
    /// character (``parseCharacters(_:)``), so results and messages are the same. Why: discovery parses 10,000 addresses per
    /// answer, and the character-by-character parse cost about 2 µs each.
    static func parsePlainASCII(_ text: String) -> Endpoint? {
        var text = text
        return text.withUTF8 { bytes -> Endpoint? in
            let count = bytes.count
            guard count > 0 else { return nil }
            // No white space, no non-ASCII byte, no `@`, no `[`; the first `://` and the first `/` after it.
            var separator = -1
            for i in 0..<count {
                let byte = bytes[i]
                if byte <= 0x20 || byte >= 0x7F || byte == 0x40 || byte == 0x5B { return nil }
                if separator < 0 && byte == 0x3A && i + 2 < count && bytes[i + 1] == 0x2F && bytes[i + 2] == 0x2F {
                    separator = i
                }
            }
            var https = false
            var start = 0
            if separator >= 0 {
                // `http` or `https`, any case.
                func lower(_ i: Int) -> UInt8 { bytes[i] | 0x20 }
                guard separator == 4 || separator == 5, lower(0) == 0x68, lower(1) == 0x74, lower(2) == 0x74,
                    lower(3) == 0x70, separator == 4 || lower(4) == 0x73
                else { return nil }
                https = separator == 5
                start = separator + 3
            }
            var slash = start
            while slash < count && bytes[slash] != 0x2F { slash += 1 }
            // The authority is bytes[start..<slash]: host, then `:port` after its last colon.
            var colon = slash - 1
            while colon >= start && bytes[colon] != 0x3A { colon -= 1 }
            var port = https ? 443 : 80
            var hostEnd = slash
            if colon >= start {
                let digits = slash - colon - 1
                guard digits >= 1 && digits <= 5 else { return nil }
                var value = 0
                for i in (colon + 1)..<slash {
                    let digit = bytes[i] &- 0x30
                    guard digit <= 9 else { return nil }
                    value = value * 10 + Int(digit)
                }
                guard value >= 1 && value <= 65535 else { return nil }
                port = value
                hostEnd = colon
            }
            guard hostEnd > start else { return nil }
            var colonInHost = false
            for i in start..<hostEnd {
                guard isHostByte(bytes[i]) else { return nil }
                colonInHost = colonInHost || bytes[i] == 0x3A
            }
            let hostBytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<hostEnd])
            let pathBytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[slash..<count])
            let scheme: StaticString = https ? "https" : "http"
            let host = String(decoding: hostBytes, as: UTF8.self)
            let path = pathBytes.isEmpty ? "/" : String(decoding: pathBytes, as: UTF8.self)
            // A host with a colon is written in brackets (``rendered(scheme:host:port:path:)``).
            guard !colonInHost else {
                return Endpoint(scheme: scheme.description, host: host, port: port, path: path)
            }
            // Written from the parsed bytes, not from the strings just made of them (a short string
            // lends its bytes through a copy, which cost more than the rest at 10,000 addresses).
            let description = written(
                scheme: scheme.rawBytes, bracketed: false, host: hostBytes, port: port,
                path: pathBytes.isEmpty ? ("/" as StaticString).rawBytes : pathBytes)
            return Endpoint(scheme: scheme.description, host: host, port: port, path: path, description: description)
        }
    }

    /// A byte a host may have: ASCII letters, digits and `.-_:` (the ASCII scalars that are
    /// alphabetic are the letters).
    private static func isHostByte(_ byte: UInt8) -> Bool {
        (0x61...0x7A).contains(byte | 0x20) || (0x30...0x39).contains(byte) || byte == 0x2E || byte == 0x2D
            || byte == 0x5F || byte == 0x3A
    }

    /// A space, a tab or a line break anywhere in `text`: bytes when it is ASCII (10,000 discovered
    /// addresses are parsed at once), characters otherwise.
    private static func containsSpaceOrNewline(_ text: String) -> Bool {
        var ascii = true
        for byte in text.utf8 {
            if byte >= 0x80 {
                ascii = false
                break
            }
            if byte == 0x20 || byte == 0x09 || (0x0A...0x0D).contains(byte) { return true }
        }
        return ascii ? false : text.contains(where: { $0 == " " || $0 == "\t" || $0.isNewline })
    }

    /// The first `://` in `text`.
    private static func schemeSeparator(in text: Substring) -> Range<Substring.Index>? {
        let bytes = text.utf8
        var index = bytes.startIndex
        while let colon = bytes[index...].firstIndex(of: 0x3A) {
            let rest = bytes[colon...]
            if rest.starts(with: "://".utf8) { return colon..<bytes.index(colon, offsetBy: 3) }
            index = bytes.index(after: colon)
        }
        return nil
    }

    /// `http://host:port`, no path.
    public var origin: String { Self.rendered(scheme: scheme, host: host, port: port, path: "") }

    /// `origin` followed by `path`, written into one string of the right size: 10,000 discovered
    /// targets each get their id from ``description``, and appending the parts one by one cost
    /// about 0.5 µs per target.
    private static func rendered(scheme: String, host: String, port: Int, path: String) -> String {
        // The byte test is the cheap one; `contains(":")` keeps the character meaning (a colon
        // followed by a combining mark is not a colon).
        let bracketed = host.containsByte { $0 == 0x3A } && host.contains(":")
        guard port >= 0 else {
            let h = bracketed ? "[\(host)]" : host
            return "\(scheme)://\(h):\(port)" + path
        }
        var (scheme, host, path) = (scheme, host, path)
        return scheme.withUTF8 { scheme in
            host.withUTF8 { host in
                path.withUTF8 { path in
                    written(
                        scheme: UnsafeRawBufferPointer(scheme), bracketed: bracketed,
                        host: UnsafeRawBufferPointer(host), port: port, path: UnsafeRawBufferPointer(path))
                }
            }
        }
    }

    /// `scheme://host:port` + `path` (the host in brackets when `bracketed`; `port` ≥ 0), each part
    /// copied at once into a string of the right size.
    private static func written(
        scheme: UnsafeRawBufferPointer, bracketed: Bool, host: UnsafeRawBufferPointer, port: Int,
        path: UnsafeRawBufferPointer
    ) -> String {
        var digits = 1
        var rest = port / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        let capacity = scheme.count + host.count + path.count + (bracketed ? 6 : 4) + digits
        return String(unsafeUninitializedCapacity: capacity) { buffer in
            let out = UnsafeMutableRawPointer(buffer.baseAddress!)
            var count = 0
            func put(_ bytes: UnsafeRawBufferPointer) {
                guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
                (out + count).copyMemory(from: base, byteCount: bytes.count)
                count += bytes.count
            }
            put(scheme)
            put((bracketed ? "://[" : "://" as StaticString).rawBytes)
            put(host)
            put((bracketed ? "]:" : ":" as StaticString).rawBytes)
            var value = port
            for index in stride(from: count + digits - 1, through: count, by: -1) {
                buffer[index] = UInt8(truncatingIfNeeded: 0x30 + value % 10)
                value /= 10
            }
            count += digits
            put(path)
            return count
        }
    }

    /// A copy with `routePath` joined to this path (`/a/` + `/debug/vars` = `/a/debug/vars`).
    public func appending(path routePath: String) -> Endpoint {
        guard !routePath.isEmpty else { return self }
        var base = path
        while base.hasSuffix("/") { base.removeLast() }
        let tail = routePath.hasPrefix("/") ? routePath : "/" + routePath
        return Endpoint(scheme: scheme, host: host, port: port, path: base + tail)
    }
}

/// Why a string is not a usable endpoint.
public struct EndpointError: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "\"\(text)\" \(reason)" }
}
