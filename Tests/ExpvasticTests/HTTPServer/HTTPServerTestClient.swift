import Expvastic
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A parsed response as the test client saw it.
struct TestHTTPResponse: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}

struct TestClientError: Error, CustomStringConvertible {
    var description: String
}

/// A plain blocking TCP client for 127.0.0.1, with receive/send timeouts so no test can hang. Use it
/// inside `Blocking.run`, never directly on the cooperative pool.
/// Used by one thread at a time (handed from the test to a helper thread at most once).
final class HTTPServerTestClient: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, timeout: Duration = .seconds(5), receiveBufferBytes: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError(description: "socket: errno \(errno)") }
        var tv = timeval(
            tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBufferBytes {
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        // No close here: every stored property is set, so a throw now runs `deinit`, which closes
        // the socket. Closing it here as well closed it twice, and the second close could hit
        // whatever another test's thread had opened under the same number in between (a
        // `ConnectionPoolTests` connect failed once in about a hundred parallel unit passes with
        // "Bad file descriptor").
        guard connected == 0 else {
            throw TestClientError(description: "connect to 127.0.0.1:\(port): errno \(errno)")
        }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// Sends everything or throws (with how much went out).
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw TestClientError(description: "send failed after \(offset) bytes: errno \(errno)")
            }
            offset += count
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Reads one response; nil when the server closed before sending anything.
    func readResponse(forHead: Bool = false) throws -> TestHTTPResponse? {
        var headEnd: Int?
        while true {
            if let end = Self.find(Array("\r\n\r\n".utf8), in: buffer) {
                headEnd = end
                break
            }
            guard try fill() else {
                if buffer.isEmpty { return nil }
                throw TestClientError(description: "connection closed inside a response head")
            }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd! + 4)
        let lines = head.components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw TestClientError(description: "bad status line \(lines[0])")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(
                (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = TestHTTPResponse(status: status, headers: headers, body: [])
        let length = forHead ? 0 : Int(response.header("Content-Length") ?? "0") ?? 0
        while buffer.count < length {
            guard try fill() else { throw TestClientError(description: "connection closed inside a body") }
        }
        response.body = Array(buffer[0..<length])
        buffer.removeFirst(length)
        return response
    }

    /// True when the server has closed the connection (reads EOF or reset) within the receive timeout.
    func isClosedByPeer() -> Bool {
        while true {
            var scratch = [UInt8](repeating: 0, count: 4096)
            let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 { continue }
            if count == 0 { return true }
            if errno == EINTR { continue }
            return errno == ECONNRESET || errno == EPIPE
        }
    }

    private func fill() throws -> Bool {
        var scratch = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer += scratch[0..<count]
                return true
            }
            if count == 0 { return false }
            if errno == EINTR { continue }
            if errno == ECONNRESET { return false }
            throw TestClientError(description: "recv: errno \(errno)")
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }

    /// One `GET` on a fresh connection (closed afterwards).
    static func get(port: Int, _ target: String, method: String = "GET") throws -> TestHTTPResponse {
        let client = try HTTPServerTestClient(port: port)
        try client.send("\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        guard let response = try client.readResponse(forHead: method == "HEAD") else {
            throw TestClientError(description: "no response to \(method) \(target)")
        }
        return response
    }
}

/// Monotonic nanoseconds, for latency measurements in tests.
func testNowNanos() -> UInt64 { SystemClock().monotonicNanos() }
