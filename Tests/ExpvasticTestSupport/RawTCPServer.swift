import Expvastic
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback TCP server for tests that need to script a peer byte by byte: it listens on
/// 127.0.0.1 with a port chosen by the kernel, accepts on its own thread and runs `handler` on a new
/// thread per connection with a blocking socket. The handler can answer properly, drip, stall,
/// send garbage, close or reset — anything a hostile or broken server does. Counts connections.
///
/// Call ``stop()`` when done (typically in `defer`): it stops accepting and shuts down open
/// connections so blocked handlers return.
public final class RawTCPServer: Sendable {
    private struct State {
        var accepted = 0
        var open: Set<Int32> = []
        var stopped = false
    }

    /// The port the server listens on.
    public let port: Int
    private let listenFD: Int32
    private let state = Mutex(State())

    /// Starts listening and accepting. `handler` runs once per connection on its own thread; the
    /// socket is closed when it returns.
    public init(handler: @escaping @Sendable (RawTCPConnection) -> Void) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RawTCPServerError(operation: "socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 1024) == 0 else {
            let error = errno
            close(fd)
            throw RawTCPServerError(operation: "bind/listen", errno: error)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listenFD = fd
        let thread = Thread { [self] in acceptLoop(handler: handler) }
        thread.name = "raw-tcp-accept"
        thread.start()
    }

    /// `http://127.0.0.1:<port>/`.
    public var endpoint: Endpoint { Endpoint(scheme: "http", host: "127.0.0.1", port: port, path: "/") }

    /// Connections accepted so far.
    public var acceptedConnections: Int { state.withLock { $0.accepted } }

    /// Connections whose handler has not returned yet.
    public var openConnections: Int { state.withLock { $0.open.count } }

    /// Stops accepting and shuts down every open connection. Idempotent.
    public func stop() {
        state.withLock { state in
            guard !state.stopped else { return }
            state.stopped = true
            shutdown(listenFD, Int32(SHUT_RDWR))
            for fd in state.open { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    private func acceptLoop(handler: @escaping @Sendable (RawTCPConnection) -> Void) {
        defer { close(listenFD) }
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                let error = errno
                if state.withLock({ $0.stopped }) { return }
                if error == EINTR || error == ECONNABORTED || error == EMFILE || error == ENFILE {
                    if error == EMFILE || error == ENFILE { usleep(1000) }
                    continue
                }
                return
            }
            let number = state.withLock { state -> Int? in
                if state.stopped { return nil }
                state.accepted += 1
                state.open.insert(fd)
                return state.accepted
            }
            guard let number else {
                close(fd)
                return
            }
            let thread = Thread { [self] in
                handler(RawTCPConnection(fd: fd, number: number))
                state.withLock { state in
                    state.open.remove(fd)
                    close(fd)
                }
            }
            thread.stackSize = 256 * 1024
            thread.start()
        }
    }

    /// A minimal `HTTP/1.1` response with `Content-Length`.
    public static func response(
        status: Int = 200, reason: String = "OK", headers: [String] = [], body: [UInt8]
    ) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(reason)\r\nContent-Length: \(body.count)\r\n"
        for header in headers { head += header + "\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }

    /// Same, with a text body.
    public static func response(status: Int = 200, headers: [String] = [], text: String) -> [UInt8] {
        response(status: status, headers: headers, body: Array(text.utf8))
    }
}

/// A test server could not start.
public struct RawTCPServerError: Error, CustomStringConvertible {
    public var operation: String
    public var errno: Int32
    public var description: String { "\(operation) failed: \(String(cString: strerror(errno)))" }
}

/// A request as ``RawTCPConnection/readRequest()`` read it.
public struct RawHTTPRequest: Sendable {
    public var method: String
    public var target: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    /// The first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// One accepted connection, handed to the handler on its own thread. Blocking I/O.
public final class RawTCPConnection {
    /// The socket. Closed by the server after the handler returns.
    public let fd: Int32
    /// 1 for the first connection the server accepted, 2 for the next, …
    public let number: Int
    private var buffer: [UInt8] = []

    init(fd: Int32, number: Int) {
        self.fd = fd
        self.number = number
    }

    /// Reads one request: head plus a `Content-Length` body. Nil when the peer closed first.
    public func readRequest() -> RawHTTPRequest? {
        var headEnd: Int?
        while true {
            if let end = findHeadEnd() {
                headEnd = end
                break
            }
            guard fill() else { return nil }
        }
        guard let headEnd else { return nil }
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3 else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(
                (
                    name: String(line[..<colon]),
                    value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                ))
        }
        var request = RawHTTPRequest(
            method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: [])
        let length = Int(request.header("Content-Length") ?? "0") ?? 0
        while buffer.count < length {
            guard fill() else { return nil }
        }
        request.body = Array(buffer[..<length])
        buffer.removeFirst(length)
        return request
    }

    /// Writes everything; false when the peer is gone.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0, errno == EINTR { continue }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    /// Writes the UTF-8 of `text`.
    @discardableResult
    public func write(_ text: String) -> Bool { write(Array(text.utf8)) }

    /// Blocks until the peer closes (or `seconds` pass); true when it closed.
    @discardableResult
    public func waitForPeerClose(seconds: Int = 10) -> Bool {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var scratch = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &scratch, scratch.count, 0)
            if count > 0 { continue }
            if count < 0, errno == EINTR { continue }
            return count == 0 || errno == ECONNRESET
        }
    }

    /// Waits up to `milliseconds` for bytes (or an end of input) to read; true when there are some.
    /// Bytes already buffered by ``readRequest()`` count.
    public func waitForInput(milliseconds: Int32) -> Bool {
        if !buffer.isEmpty { return true }
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, milliseconds) > 0
    }

    /// Makes the close after the handler returns an RST instead of a FIN (`SO_LINGER` 0); return
    /// from the handler right after calling it.
    public func resetOnClose() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    /// Sends a FIN: the peer reads end of input. The server closes the socket after the handler.
    public func closeWrite() {
        shutdown(fd, Int32(SHUT_WR))
    }

    private func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count > 0 {
                buffer.append(contentsOf: chunk[..<count])
                return true
            }
            if count < 0, errno == EINTR { continue }
            return false
        }
    }
}
