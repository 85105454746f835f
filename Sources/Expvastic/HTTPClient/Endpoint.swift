import ExpvasticBase

/// A normalised HTTP(S) location: `localhost:1234` becomes `http://localhost:1234/`.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// `http` or `https`.
    public var scheme: String
    public var host: String
    public var port: Int
    /// Always starts with `/`.
    public var path: String

    public init(scheme: String, host: String, port: Int, path: String) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path.hasPrefix("/") ? path : "/" + path
    }

    /// Parses `host`, `host:port`, `host:port/path` or a full `http(s)://` URL; no scheme means `http`.
    /// Returns a message saying what is wrong on failure.
    public static func parse(_ text: String) -> Result<Endpoint, EndpointError> {
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
        // ASCII letters, digits and `.-_:` (the ASCII scalars that are alphabetic are the letters).
        let allowed = host.utf8.allSatisfy {
            (0x61...0x7A).contains($0 | 0x20) || (0x30...0x39).contains($0) || $0 == 0x2E || $0 == 0x2D
                || $0 == 0x5F || $0 == 0x3A
        }
        if !allowed { return .failure(EndpointError(text: text, reason: "has an invalid host \"\(host)\"")) }
        return .success(Endpoint(scheme: scheme, host: host, port: port, path: path))
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
    public var origin: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(h):\(port)"
    }

    /// A copy with `routePath` joined to this path (`/a/` + `/debug/vars` = `/a/debug/vars`).
    public func appending(path routePath: String) -> Endpoint {
        guard !routePath.isEmpty else { return self }
        var base = path
        while base.hasSuffix("/") { base.removeLast() }
        let tail = routePath.hasPrefix("/") ? routePath : "/" + routePath
        return Endpoint(scheme: scheme, host: host, port: port, path: base + tail)
    }

    public var description: String { origin + path }
}

/// Why a string is not a usable endpoint.
public struct EndpointError: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "\"\(text)\" \(reason)" }
}
