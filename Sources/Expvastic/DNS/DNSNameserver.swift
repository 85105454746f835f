import ExpvasticBase

/// Where DNS questions go: an IP address and port (default 53).
public struct DNSNameserver: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    /// Parses `1.2.3.4`, `1.2.3.4:53`, `::1` or `[::1]:5353`; nil for anything else (names included:
    /// a nameserver cannot be found by name).
    public init?(_ text: String) {
        var host = Substring(text)
        var port = 53
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let parsed = Int(rest.dropFirst()) else { return nil }
                port = parsed
            }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            guard let parsed = Int(host[host.index(after: colon)...]) else { return nil }
            port = parsed
            host = host[..<colon]
        }
        guard (1...65535).contains(port), SocketAddress(literal: String(host), port: port) != nil else { return nil }
        self.host = String(host)
        self.port = port
    }

    /// The first `nameserver` line of a `resolv.conf` text, nil when there is none.
    public static func first(inResolvConf text: String) -> DNSNameserver? {
        for line in text.split(whereSeparator: \.isNewline) {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.count >= 2, words[0] == "nameserver", let server = DNSNameserver(String(words[1])) {
                return server
            }
        }
        return nil
    }

    /// From `/etc/resolv.conf`, else 127.0.0.1:53.
    public static func system() -> DNSNameserver {
        let text = (try? FileSystem.contents(of: "/etc/resolv.conf")).map { String(decoding: $0, as: UTF8.self) }
        return text.flatMap(first(inResolvConf:)) ?? DNSNameserver("127.0.0.1")!
    }

    package var socketAddress: SocketAddress? { SocketAddress(literal: host, port: port) }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
