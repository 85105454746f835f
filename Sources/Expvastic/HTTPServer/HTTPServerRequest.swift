import ExpvasticBase

/// One parsed request head, as handed to an ``HTTPServer`` handler. Bodies are never read.
public struct HTTPServerRequest: Sendable, Equatable {
    /// The method token as sent, e.g. `GET`.
    public var method: String
    /// The request target as sent, e.g. `/api/v1/collection?since=2026-11-21T18:00:00Z`.
    public var target: String
    /// The target's path, without the query, e.g. `/api/v1/collection`.
    public var path: String
    /// The raw query string after `?` (without it), or nil.
    public var query: String?
    /// `HTTP/1.0` or `HTTP/1.1`.
    public var version: String
    /// Header fields in the order received; names as sent.
    public var headers: [(name: String, value: String)]

    public init(
        method: String, target: String, path: String, query: String?, version: String,
        headers: [(name: String, value: String)]
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
    }

    /// The first value of header `name` (case-insensitive), or nil.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The first value of query parameter `name`, percent-decoded (`+` is a space), or nil. A parameter
    /// that is present but cannot be decoded yields nil.
    public func queryParameter(_ name: String) -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard HTTPServerRequest.percentDecode(parts[0]) == name else { continue }
            return parts.count > 1 ? HTTPServerRequest.percentDecode(parts[1]) : ""
        }
        return nil
    }

    public static func == (lhs: HTTPServerRequest, rhs: HTTPServerRequest) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.version == rhs.version
            && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    package static func percentDecode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
