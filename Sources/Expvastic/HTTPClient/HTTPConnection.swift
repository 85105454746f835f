import ExpvasticBase

#if canImport(Glibc)
    import Glibc
#endif

/// One non-blocking TCP connection owned by the event loop: the socket, its epoll registration, its
/// TLS session for `https`, and the exchange it currently carries. The policy — which exchange, when
/// to reuse or close — is the pool's; this type only does the system calls.
package final class HTTPConnection {
    package enum State {
        /// `connect` in progress; the other addresses to try if it fails.
        case connecting(remaining: ArraySlice<SocketAddress>)
        /// TLS handshake in progress (`https` only).
        case handshaking
        case active
        case idle
        case closed
    }

    /// What happened to a write attempt.
    package enum WriteOutcome {
        case complete
        /// The socket buffer is full; wait for `EPOLLOUT`.
        case blocked
        case failed(errno: Int32)
        /// TLS failed; OpenSSL's text.
        case failedTLS(String)
    }

    /// What a read produced.
    package enum ReadOutcome {
        case bytes(Int)
        case endOfInput
        case wouldBlock
        case failed(errno: Int32)
        /// TLS failed; OpenSSL's text.
        case failedTLS(String)
    }

    /// Where a TLS handshake step left things.
    package enum HandshakeOutcome {
        case done
        /// Waiting for the socket; the registration says which way.
        case pending
        case failed(HTTPError)
    }

    package let id: UInt64
    package let fd: Int32
    package let key: ConnectionPool.Key
    package let address: SocketAddress
    private let epollFD: Int32
    package var state: State
    package var exchange: HTTPExchange?
    /// Responses completed on this connection; above zero it is a reused connection.
    package var completedExchanges = 0
    /// Monotonic nanoseconds when it last went idle.
    package var idleSince: UInt64 = 0
    /// Whether `EPOLLOUT` is part of the registration.
    private var watchesWritable: Bool
    /// The TLS session of an `https` connection, from the start of its handshake; nil for `http`.
    private(set) package var tls: TLSSession?
    /// A TLS read needs the socket writable (renegotiation): writable events go to the reader.
    private(set) package var tlsReadWantsWritable = false
    /// A TLS write needs the socket readable: readable events also resume the writer.
    private(set) package var tlsWriteWantsReadable = false

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
    package static func connect(
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
    package struct ConnectError: Error {
        package var errno: Int32
    }

    /// After `EPOLLOUT` while connecting: 0 when connected, else the connect error.
    package func pendingConnectError() -> Int32 {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 { return errno }
        return error
    }

    /// Starts TLS on the connected socket: `host` is the name verified and sent as SNI.
    package func startTLS(context: TLSContext) throws(HTTPError) {
        tls = try TLSSession(context: context, fd: fd, host: key.host, peer: key.description)
    }

    /// One step of the TLS handshake; watches the socket for what OpenSSL waits for.
    package func handshake() -> HandshakeOutcome {
        guard let tls else { return .failed(.tlsFailed("no TLS session for \(key)")) }
        switch tls.handshake() {
        case .done:
            return .done
        case .wantRead:
            watchWritable(false)
            return .pending
        case .wantWrite:
            watchWritable(true)
            return .pending
        case .failed(let error):
            return .failed(error)
        }
    }

    /// Writes what is left of the exchange's request (head then body) with one `sendmsg` per
    /// attempt, until done or the socket is full. Never raises `SIGPIPE`.
    package func writePending(_ exchange: HTTPExchange) -> WriteOutcome {
        if let tls { return writePending(exchange, over: tls) }
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

    /// `SSL_write` of the head, then of the body. `SIGPIPE` is blocked on the loop thread (OpenSSL
    /// writes with `write`, which has no `MSG_NOSIGNAL`).
    private func writePending(_ exchange: HTTPExchange, over tls: TLSSession) -> WriteOutcome {
        let head = exchange.request.head
        let body = exchange.request.body
        // Every pass writes at least one byte or returns.
        for _ in 0..<(exchange.totalBytes + 1) where !exchange.isWriteComplete {
            let written = exchange.written
            let outcome =
                written < head.count
                ? head.withUnsafeBytes { tls.write(UnsafeRawBufferPointer(rebasing: $0[written...])) }
                : body.withUnsafeBytes { tls.write(UnsafeRawBufferPointer(rebasing: $0[(written - head.count)...])) }
            switch outcome {
            case .bytes(let count):
                exchange.written += count
                tlsWriteWantsReadable = false
            case .wantWrite:
                tlsWriteWantsReadable = false
                watchWritable(true)
                return .blocked
            case .wantRead:
                tlsWriteWantsReadable = true
                watchWritable(false)
                return .blocked
            case .endOfInput:
                return .failed(errno: EPIPE)
            case .failed(let error):
                return .failed(errno: error)
            case .protocolError(let message):
                return .failedTLS(message)
            }
        }
        tlsWriteWantsReadable = false
        watchWritable(tlsReadWantsWritable)
        return .complete
    }

    /// True when an idle connection has nothing to read and no end of input waiting: a non-blocking
    /// `recv` with `MSG_PEEK`, which leaves any bytes in place. A TLS connection is checked on its
    /// socket too: any record that arrives while idle (an alert, a close) makes it unusable.
    package func isQuietWhileIdle() -> Bool {
        Self.socketIsQuiet(fd)
    }

    /// The check behind ``isQuietWhileIdle()``, for any connected stream socket.
    package static func socketIsQuiet(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        while true {
            let count = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
            if count < 0, errno == EINTR { continue }
            // 0: end of input; > 0: bytes nobody asked for; < 0 other than EAGAIN: reset or error.
            return count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
        }
    }

    /// One `read` into `buffer`.
    package func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadOutcome {
        if let tls { return read(into: buffer, over: tls) }
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

    private func read(into buffer: UnsafeMutableRawBufferPointer, over tls: TLSSession) -> ReadOutcome {
        let outcome = tls.read(into: buffer)
        if case .wantWrite = outcome {
            tlsReadWantsWritable = true
            watchWritable(true)
            return .wouldBlock
        }
        if tlsReadWantsWritable {
            tlsReadWantsWritable = false
            if exchange?.isWriteComplete ?? true { watchWritable(false) }
        }
        switch outcome {
        case .bytes(let count): return .bytes(count)
        case .wantRead, .wantWrite: return .wouldBlock
        case .endOfInput: return .endOfInput
        case .failed(let error): return .failed(errno: error)
        case .protocolError(let message): return .failedTLS(message)
        }
    }

    /// Closes the socket, which also removes it from epoll; a healthy TLS session says goodbye first.
    package func close() {
        if case .closed = state { return }
        state = .closed
        exchange = nil
        tls?.shutdown()
        Glibc.close(fd)
    }

    private func watchWritable(_ wanted: Bool) {
        guard wanted != watchesWritable else { return }
        let events = wanted ? Epoll.readable | Epoll.writable : Epoll.readable
        if Epoll.control(epollFD, Epoll.modify, fd, events: events, token: id) == 0 { watchesWritable = wanted }
    }
}
