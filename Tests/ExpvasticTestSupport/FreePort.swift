import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP port on 127.0.0.1 that was free a moment ago.
///
/// Racy by nature: another process may take the port between `pick()` and its use. Prefer letting
/// the server bind port 0 and report its address (the Go program, osmem-server and the Expvastic
/// servers all do); use this only for a port that must be known before anything listens on it, such
/// as an endpoint that is down on purpose or an etcd member's peer port.
///
/// Two things narrow the race. The port comes from outside the kernel's ephemeral range
/// (`/proc/sys/net/ipv4/ip_local_port_range`), where the kernel places the local end of every
/// outgoing connection and every bind to port 0: with many tests connecting at once, a port picked
/// from inside it is soon some connection's local port (etcd then fails with "address already in
/// use"). And one test process never hands out the same port twice.
public enum FreePort {
    private static let handedOut = Mutex<Set<Int>>([])

    /// A port outside the ephemeral range that binds on 127.0.0.1 now and was not returned before by
    /// this process; a port the kernel chooses (inside the range) when the range leaves no room
    /// outside it or 500 tries find none.
    public static func pick() throws -> Int {
        if let candidates = outsideEphemeralRange() {
            for _ in 0..<500 {
                let candidate = Int.random(in: candidates)
                guard handedOut.withLock({ $0.insert(candidate).inserted }) else { continue }
                if let port = try bound(candidate) { return port }
            }
        }
        guard let port = try bound(0) else {
            throw TestSupportError(.socket, "bind(127.0.0.1:0) failed: no port free")
        }
        handedOut.withLock { _ = $0.insert(port) }
        return port
    }

    /// 10000 up to the ephemeral range's start, or from its end up to 65535, whichever holds at least
    /// 1,000 ports; nil when neither does.
    private static func outsideEphemeralRange() -> ClosedRange<Int>? {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let bounds = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        let (low, high) = bounds.count == 2 ? (bounds[0], bounds[1]) : (32_768, 60_999)
        if low > 11_000 { return 10_000...(low - 1) }
        if high < 64_535 { return (high + 1)...65_535 }
        return nil
    }

    /// Binds 127.0.0.1:`port` (0: the kernel chooses), closes the socket and returns the port bound;
    /// nil when the port is taken (or not ours to bind).
    private static func bound(_ port: Int) throws -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError(.socket, "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result != 0 && (errno == EADDRINUSE || errno == EACCES) { return nil }
        guard result == 0 else { throw TestSupportError(.socket, "bind(127.0.0.1:\(port)) failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw TestSupportError(.socket, "getsockname() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
