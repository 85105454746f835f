#if canImport(Glibc)
    import Glibc
#endif

/// One non-blocking TCP connection owned by the event loop: the socket, its epoll registration and
/// the exchange it currently carries. The policy — which exchange, when to reuse or close — is the
/// pool's; this type only does the system calls.
final class HTTPConnection {
    enum State {
        /// `connect` in progress; the other addresses to try if it fails.
        case connecting(remaining: ArraySlice<SocketAddress>)
        case active
        case idle
        case closed
    }

    /// What happened to a write attempt.
    enum WriteOutcome {
        case complete
        /// The socket buffer is full; wait for `EPOLLOUT`.
        case blocked
        case failed(errno: Int32)
    }

    /// What a read produced.
    enum ReadOutcome {
        case bytes(Int)
        case endOfInput
        case wouldBlock
        case failed(errno: Int32)
    }

    let id: UInt64
    let fd: Int32
    let key: ConnectionPool.Key
    let address: SocketAddress
    private let epollFD: Int32
    var state: State
    var exchange: HTTPExchange?
    /// Responses completed on this connection; above zero it is a reused connection.
    var completedExchanges = 0
    /// Monotonic nanoseconds when it last went idle.
    var idleSince: UInt64 = 0
    /// Whether `EPOLLOUT` is part of the registration.
    private var watchesWritable: Bool

    private init(
        id: UInt64, fd: Int32, key: ConnectionPool.Key, address: SocketAddress, epollFD: Int32,
        remaining: ArraySlice<SocketAddress>
    ) {
        self.id = id
        self.fd = fd
        self.key = key
        self.address = address
        self.epollFD = epollFD
        state = .connecting(remaining: remaining)
        watchesWritable = true
    }

    /// Opens a non-blocking socket, starts connecting and registers it for readable and writable
    /// (writable signals the end of the connect). Returns `errno` when that already failed.
    static func connect(
        id: UInt64, key: ConnectionPool.Key, address: SocketAddress, remaining: ArraySlice<SocketAddress>,
        epollFD: Int32
    ) -> Result<HTTPConnection, ConnectError> {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(ConnectError(errno: errno)) }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let status = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        if status != 0, errno != EINPROGRESS {
            let error = errno
            Glibc.close(fd)
            return .failure(ConnectError(errno: error))
        }
        guard Epoll.control(epollFD, Epoll.add, fd, events: Epoll.readable | Epoll.writable, token: id) == 0 else {
            let error = errno
            Glibc.close(fd)
            return .failure(ConnectError(errno: error))
        }
        return .success(
            HTTPConnection(id: id, fd: fd, key: key, address: address, epollFD: epollFD, remaining: remaining))
    }

    /// Why a socket could not be opened or connected.
    struct ConnectError: Error {
        var errno: Int32
    }

    /// After `EPOLLOUT` while connecting: 0 when connected, else the connect error.
    func pendingConnectError() -> Int32 {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 { return errno }
        return error
    }

    /// Writes what is left of the exchange's request (head then body) with one `sendmsg` per
    /// attempt, until done or the socket is full. Never raises `SIGPIPE`.
    func writePending(_ exchange: HTTPExchange) -> WriteOutcome {
        let head = exchange.request.head
        let body = exchange.request.body
        while !exchange.isWriteComplete {
            let written = exchange.written
            let sent = head.withUnsafeBytes { headBytes in
                body.withUnsafeBytes { bodyBytes -> Int in
                    withUnsafeTemporaryAllocation(of: iovec.self, capacity: 2) { vectors -> Int in
                        var count = 0
                        if written < headBytes.count {
                            vectors[0] = iovec(
                                iov_base: UnsafeMutableRawPointer(mutating: headBytes.baseAddress! + written),
                                iov_len: headBytes.count - written)
                            count = 1
                            if !bodyBytes.isEmpty {
                                vectors[1] = iovec(
                                    iov_base: UnsafeMutableRawPointer(mutating: bodyBytes.baseAddress!),
                                    iov_len: bodyBytes.count)
                                count = 2
                            }
                        } else {
                            let offset = written - headBytes.count
                            vectors[0] = iovec(
                                iov_base: UnsafeMutableRawPointer(mutating: bodyBytes.baseAddress! + offset),
                                iov_len: bodyBytes.count - offset)
                            count = 1
                        }
                        var message = msghdr()
                        message.msg_iov = vectors.baseAddress
                        message.msg_iovlen = count
                        return sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
                    }
                }
            }
            if sent > 0 {
                exchange.written += sent
                continue
            }
            let error = errno
            if sent < 0, error == EINTR { continue }
            if sent < 0, error == EAGAIN || error == EWOULDBLOCK {
                watchWritable(true)
                return .blocked
            }
            return .failed(errno: sent == 0 ? EPIPE : error)
        }
        watchWritable(false)
        return .complete
    }

    /// One `read` into `buffer`.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadOutcome {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count > 0 { return .bytes(count) }
            if count == 0 { return .endOfInput }
            let error = errno
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { return .wouldBlock }
            return .failed(errno: error)
        }
    }

    /// Closes the socket, which also removes it from epoll.
    func close() {
        if case .closed = state { return }
        state = .closed
        exchange = nil
        Glibc.close(fd)
    }

    private func watchWritable(_ wanted: Bool) {
        guard wanted != watchesWritable else { return }
        let events = wanted ? Epoll.readable | Epoll.writable : Epoll.readable
        if Epoll.control(epollFD, Epoll.modify, fd, events: events, token: id) == 0 { watchesWritable = wanted }
    }
}
