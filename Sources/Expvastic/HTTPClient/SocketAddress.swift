import ExpvasticBase

#if canImport(Glibc)
    import Glibc
#endif

/// An IPv4 or IPv6 socket address (the bytes of a `sockaddr_in` or `sockaddr_in6`), plus the name
/// resolution that produces them.
package struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// `AF_INET` or `AF_INET6`.
    package let family: Int32
    private let bytes: [UInt8]

    private init(family: Int32, bytes: [UInt8]) {
        self.family = family
        self.bytes = bytes
    }

    /// An address from an IP literal (`127.0.0.1`, `::1`), without any lookup; nil for names.
    package init?(literal host: String, port: Int) {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
            address.sin_addr = v4
            self.init(family: AF_INET, bytes: withUnsafeBytes(of: &address) { Array($0) })
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
            address.sin6_addr = v6
            self.init(family: AF_INET6, bytes: withUnsafeBytes(of: &address) { Array($0) })
            return
        }
        return nil
    }

    /// Calls `body` with a `sockaddr` pointer and its length, as `connect` wants them.
    package func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        bytes.withUnsafeBytes { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
    }

    package var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        return bytes.withUnsafeBytes { raw -> String in
            let port: UInt16
            if family == AF_INET {
                var address = raw.loadUnaligned(as: sockaddr_in.self)
                inet_ntop(AF_INET, &address.sin_addr, &text, socklen_t(text.count))
                port = UInt16(bigEndian: address.sin_port)
                return
                    "\(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)):\(port)"
            }
            var address = raw.loadUnaligned(as: sockaddr_in6.self)
            inet_ntop(AF_INET6, &address.sin6_addr, &text, socklen_t(text.count))
            port = UInt16(bigEndian: address.sin6_port)
            return "[\(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))]:\(port)"
        }
    }

    /// Addresses for `host` without blocking, when that is possible: IP literals and `localhost`.
    package static func resolveWithoutLookup(host: String, port: Int) -> [SocketAddress]? {
        if let literal = SocketAddress(literal: host, port: port) { return [literal] }
        if HTTPHeadParser.equalsIgnoringCase(host, "localhost") {
            return [SocketAddress(literal: "127.0.0.1", port: port), SocketAddress(literal: "::1", port: port)]
                .compactMap { $0 }
        }
        return nil
    }

    /// Resolves `host` with `getaddrinfo`, which blocks: call it off the event loop and off Swift's
    /// cooperative threads. IPv6 and IPv4 addresses in the resolver's order, duplicates removed.
    package static func resolve(host: String, port: Int) -> Result<[SocketAddress], HTTPError> {
        if let known = resolveWithoutLookup(host: host, port: port) { return .success(known) }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            let reason = String(cString: gai_strerror(status))
            return .failure(.connectFailed("cannot resolve host \(host): \(reason)"))
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var cursor = list
        while let info = cursor {
            let entry = info.pointee
            cursor = entry.ai_next
            guard let sockaddr = entry.ai_addr, entry.ai_family == AF_INET || entry.ai_family == AF_INET6 else {
                continue
            }
            let raw = UnsafeRawBufferPointer(start: sockaddr, count: Int(entry.ai_addrlen))
            let address = SocketAddress(family: entry.ai_family, bytes: Array(raw))
            if !addresses.contains(address) { addresses.append(address) }
        }
        if addresses.isEmpty { return .failure(.connectFailed("host \(host) has no IPv4 or IPv6 address")) }
        return .success(addresses)
    }
}
