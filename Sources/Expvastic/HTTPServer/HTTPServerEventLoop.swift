import ExpvasticBase

#if canImport(Glibc)
    import Glibc
#endif

/// The server thread: one `poll(2)` over the listener, a wake-up pipe and every client connection (`epoll`
/// is not exposed by Swift's Glibc module; with at most a few hundred descriptors `poll` costs microseconds).
/// Everything here is confined to that thread; only ``HTTPServer``'s stop flag and statistics are shared.
package final class HTTPServerEventLoop {
    private let server: HTTPServer
    private let configuration: HTTPServerConfiguration
    private let parser: HTTPServerRequestParser
    private let listenFD: Int32
    private let wakeFD: Int32
    /// A descriptor held in reserve so that `accept` can still take (and drop) a connection when the process
    /// has run out of descriptors; otherwise the listener would stay readable and the loop would spin.
    private var spareFD: Int32
    private var connections: [Int32: HTTPServerConnection] = [:]
    /// Unsent response bytes over all connections (bounded by `maxPendingResponseBytes`).
    private var pendingOutputBytes = 0
    private var scratch = [UInt8](repeating: 0, count: 16 << 10)
    private let headTimeout: UInt64
    private let idleTimeout: UInt64
    private let writeTimeout: UInt64
    private let lingerTimeout: UInt64
    private let sweepInterval: UInt64

    private static let readable = Int16(POLLIN)
    private static let writable = Int16(POLLOUT)
    private static let maxAcceptsPerWakeup = 128
    private static let rejection = Array(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\nRetry-After: 1\r\n\r\n".utf8)

    package init(server: HTTPServer, listenFD: Int32, wakeFD: Int32) {
        self.server = server
        self.configuration = server.configuration
        self.parser = HTTPServerRequestParser(server.configuration)
        self.listenFD = listenFD
        self.wakeFD = wakeFD
        self.spareFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
        headTimeout = configuration.requestHeadTimeout.nanoseconds
        idleTimeout = configuration.idleTimeout.nanoseconds
        writeTimeout = configuration.writeTimeout.nanoseconds
        lingerTimeout = configuration.lingerTimeout.nanoseconds
        let shortest = min(headTimeout, idleTimeout, writeTimeout, lingerTimeout)
        sweepInterval = min(max(shortest / 8, 5_000_000), 200_000_000)
    }

    /// Serves until the stop flag is set; then closes everything. Returns a failure of the loop itself.
    package func run() -> HTTPServerError? {
        var descriptors: [pollfd] = []
        var polled: [HTTPServerConnection] = []
        var failure: HTTPServerError?
        var nextSweep = now() &+ sweepInterval
        let timeoutMillis = Int32(max(1, sweepInterval / 1_000_000))
        while !server.stopRequested {
            descriptors.removeAll(keepingCapacity: true)
            polled.removeAll(keepingCapacity: true)
            descriptors.append(pollfd(fd: listenFD, events: Self.readable, revents: 0))
            descriptors.append(pollfd(fd: wakeFD, events: Self.readable, revents: 0))
            for connection in connections.values {
                descriptors.append(pollfd(fd: connection.fd, events: connection.interest, revents: 0))
                polled.append(connection)
            }
            let count = descriptors.withUnsafeMutableBufferPointer {
                poll($0.baseAddress, nfds_t($0.count), timeoutMillis)
            }
            if count < 0 {
                if errno == EINTR { continue }
                failure = HTTPServerSocket.systemError("poll")
                break
            }
            if count > 0 {
                // Connections first, the listener last: descriptors closed here are not reused by an
                // accept until every event of this round has been handled.
                for (index, connection) in polled.enumerated() where descriptors[index + 2].revents != 0 {
                    if isOpen(connection) { handle(connection, events: descriptors[index + 2].revents) }
                }
                if descriptors[1].revents != 0 { drainWakePipe() }
                if descriptors[0].revents != 0 { acceptConnections() }
            }
            let current = now()
            if current >= nextSweep {
                sweep(current)
                nextSweep = current &+ sweepInterval
            }
        }
        for connection in Array(connections.values) { closeConnection(connection) }
        close(listenFD)
        close(wakeFD)
        if spareFD >= 0 { close(spareFD) }
        return failure
    }

    private func now() -> UInt64 { server.clock.monotonicNanos() }

    // MARK: Accepting

    private func acceptConnections() {
        for _ in 0..<Self.maxAcceptsPerWakeup {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                switch errno {
                case EINTR, ECONNABORTED: continue
                case EMFILE, ENFILE:
                    // Out of descriptors: take the connection with the spare one and drop it at once.
                    if spareFD >= 0 {
                        close(spareFD)
                        let dropped = accept(listenFD, nil, nil)
                        if dropped >= 0 { close(dropped) }
                        spareFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
                        server.updateStatistics {
                            $0.acceptedConnections += 1
                            $0.rejectedConnections += 1
                        }
                    }
                    server.logger.warn("out of file descriptors; dropping a new connection")
                    return
                default: return
                }
            }
            HTTPServerSocket.setNonBlockingCloseOnExec(fd)
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            server.updateStatistics { $0.acceptedConnections += 1 }
            if connections.count >= configuration.maxConnections && !makeRoom() {
                Self.rejection.withUnsafeBytes { _ = send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(fd)
                server.updateStatistics { $0.rejectedConnections += 1 }
                continue
            }
            let current = now()
            connections[fd] = HTTPServerConnection(
                fd: fd, now: current, deadline: current &+ headTimeout, interest: Self.readable)
            server.updateStatistics { $0.openConnections = self.connections.count }
        }
    }

    /// Closes the connection that is least useful (lingering, then idle, then slow; oldest activity first).
    private func makeRoom() -> Bool {
        var victim: HTTPServerConnection?
        for connection in connections.values {
            guard let rank = connection.evictionRank else { continue }
            if let current = victim, let currentRank = current.evictionRank {
                if rank > currentRank || (rank == currentRank && connection.lastActivity >= current.lastActivity) {
                    continue
                }
            }
            victim = connection
        }
        guard let victim else { return false }
        closeConnection(victim)
        server.updateStatistics { $0.evictedConnections += 1 }
        return true
    }

    private func drainWakePipe() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while bytes.withUnsafeMutableBytes({ read(wakeFD, $0.baseAddress, $0.count) }) > 0 {}
    }

    // MARK: Connection events

    private func handle(_ connection: HTTPServerConnection, events: Int16) {
        if events & Int16(POLLERR | POLLNVAL) != 0 {
            closeConnection(connection)
            return
        }
        if events & Int16(POLLOUT) != 0, connection.phase == .writing {
            drive(connection)
        }
        if events & Int16(POLLIN | POLLHUP) != 0, isOpen(connection) {
            receive(connection)
        }
    }

    private func isOpen(_ connection: HTTPServerConnection) -> Bool { connections[connection.fd] === connection }

    private func receive(_ connection: HTTPServerConnection) {
        switch connection.phase {
        case .writing:
            // Not reading while a response is pending; a hang-up shows up when writing.
            return
        case .lingering:
            discardInput(connection)
        case .awaitingRequest, .readingHead:
            readHead(connection)
        }
    }

    private func readHead(_ connection: HTTPServerConnection) {
        var sawLineEnd = false
        while true {
            let room = parser.maxHeadBytes + 1 - connection.input.count
            if room <= 0 { break }
            let want = min(room, scratch.count)
            let count = scratch.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, want, 0) }
            if count > 0 {
                let received = scratch[0..<count]
                connection.input.append(contentsOf: received)
                if !sawLineEnd, received.contains(UInt8(ascii: "\n")) { sawLineEnd = true }
                let current = now()
                connection.lastActivity = current
                if connection.phase == .awaitingRequest {
                    connection.phase = .readingHead
                    connection.deadline = current &+ headTimeout
                }
                if count < want { break }
                continue
            }
            if count == 0 {
                closeConnection(connection)
                return
            }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { break }
            closeConnection(connection)
            return
        }
        if sawLineEnd || connection.input.count > parser.maxHeadBytes {
            drive(connection)
        }
    }

    private func discardInput(_ connection: HTTPServerConnection) {
        // Bounded per wake-up so one client cannot monopolise the thread.
        for _ in 0..<16 {
            let count = scratch.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
            if count > 0 { continue }
            if count < 0, errno == EINTR { continue }
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK { return }
            closeConnection(connection)
            return
        }
    }

    /// Moves a connection forward as far as it can go without waiting: parse, answer, write, parse the next
    /// pipelined request.
    private func drive(_ connection: HTTPServerConnection) {
        while isOpen(connection) {
            switch connection.phase {
            case .writing:
                guard flush(connection) else { return }
            case .readingHead:
                guard !connection.input.isEmpty, answer(connection) else { return }
            case .awaitingRequest, .lingering:
                return
            }
        }
    }

    /// Parses the buffered head and queues a response; false when the head is incomplete.
    private func answer(_ connection: HTTPServerConnection) -> Bool {
        switch parser.parse(connection.input) {
        case .incomplete where connection.input.count > parser.maxHeadBytes:
            // Unreachable by construction of the limits; answer rather than wait for the timeout.
            queue(connection, Self.errorResponse(431, "request head too large"), head: false, close: true)
            return true
        case .incomplete:
            return false
        case .failure(let status, let reason):
            server.updateStatistics { $0.protocolErrors += 1 }
            server.logger.debug("bad request", ["http.status": String(status), "http.reason": reason])
            queue(connection, Self.errorResponse(status, reason), head: false, close: true)
            return true
        case .complete(let request, let headLength, let hasBody):
            server.updateStatistics { $0.requests += 1 }
            connection.input.removeFirst(headLength)
            let close = hasBody || !Self.keepsAlive(request)
            switch request.method {
            case "GET", "HEAD":
                queue(connection, server.handler(request), head: request.method == "HEAD", close: close)
            default:
                var response = Self.errorResponse(405, "method \(request.method) is not allowed; use GET or HEAD")
                response.headers.append(("Allow", "GET, HEAD"))
                queue(connection, response, head: false, close: close)
            }
            return true
        }
    }

    private func queue(_ connection: HTTPServerConnection, _ response: HTTPServerResponse, head: Bool, close: Bool) {
        var bytes = Self.serialize(response, head: head, close: close)
        var close = close
        if pendingOutputBytes + bytes.count > configuration.maxPendingResponseBytes {
            server.updateStatistics { $0.protocolErrors += 1 }
            server.logger.warn("too many unread responses; answering 503", ["http.response_bytes": String(bytes.count)])
            bytes = Self.serialize(
                Self.errorResponse(503, "server busy; read earlier responses first"), head: false, close: true)
            close = true
        }
        pendingOutputBytes += bytes.count
        connection.output = bytes
        connection.outputOffset = 0
        connection.closeAfterWrite = close
        connection.phase = .writing
        connection.deadline = now() &+ writeTimeout
        if close { connection.input = [] }
    }

    /// Writes pending output; true when it is all written and the connection moved on.
    private func flush(_ connection: HTTPServerConnection) -> Bool {
        while connection.outputOffset < connection.output.count {
            let count = connection.output.withUnsafeBytes {
                send(
                    connection.fd, $0.baseAddress! + connection.outputOffset, $0.count - connection.outputOffset,
                    Int32(MSG_NOSIGNAL))
            }
            if count > 0 {
                connection.outputOffset += count
                pendingOutputBytes -= count
                connection.lastActivity = now()
                continue
            }
            if count < 0, errno == EINTR { continue }
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                setInterest(connection, Self.writable)
                return false
            }
            closeConnection(connection)
            return false
        }
        connection.output = []
        connection.outputOffset = 0
        let current = now()
        if connection.closeAfterWrite {
            shutdown(connection.fd, Int32(SHUT_WR))
            connection.phase = .lingering
            connection.deadline = current &+ lingerTimeout
        } else if connection.input.isEmpty {
            connection.phase = .awaitingRequest
            connection.deadline = current &+ idleTimeout
        } else {
            connection.phase = .readingHead
            connection.deadline = current &+ headTimeout
        }
        setInterest(connection, Self.readable)
        return true
    }

    private func setInterest(_ connection: HTTPServerConnection, _ mask: Int16) {
        connection.interest = mask
    }

    private func closeConnection(_ connection: HTTPServerConnection) {
        guard isOpen(connection) else { return }
        pendingOutputBytes -= connection.output.count - connection.outputOffset
        connection.output = []
        connection.outputOffset = 0
        connections[connection.fd] = nil
        close(connection.fd)
        server.updateStatistics { $0.openConnections = self.connections.count }
    }

    // MARK: Timeouts

    private func sweep(_ current: UInt64) {
        let expired = connections.values.filter { current >= $0.deadline }
        for connection in expired where isOpen(connection) {
            switch connection.phase {
            case .readingHead:
                server.updateStatistics {
                    $0.timedOutConnections += 1
                    $0.protocolErrors += 1
                }
                server.logger.debug("request head timed out", ["http.received_bytes": String(connection.input.count)])
                queue(
                    connection, Self.errorResponse(408, "request head not received in time"), head: false, close: true)
                drive(connection)
            case .awaitingRequest, .writing:
                server.updateStatistics { $0.timedOutConnections += 1 }
                closeConnection(connection)
            case .lingering:
                closeConnection(connection)
            }
        }
    }

    // MARK: Wire format

    package static func keepsAlive(_ request: HTTPServerRequest) -> Bool {
        let tokens = request.headers.filter { $0.name.lowercased() == "connection" }
            .flatMap { $0.value.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: " \t") } }
        if tokens.contains("close") { return false }
        return request.version == "HTTP/1.1" || tokens.contains("keep-alive")
    }

    package static func errorResponse(_ status: Int, _ reason: String) -> HTTPServerResponse {
        .text(status, "\(status) \(HTTPServerResponse.reasonPhrase(status)): \(reason)\n")
    }

    private static let managedHeaders: Set<String> = ["content-length", "connection", "transfer-encoding"]

    package static func serialize(_ response: HTTPServerResponse, head: Bool, close: Bool) -> [UInt8] {
        var text = "HTTP/1.1 \(response.status) \(HTTPServerResponse.reasonPhrase(response.status))\r\n"
        var hasCacheControl = false
        for (name, value) in response.headers {
            let lowered = name.lowercased()
            // A handler must not be able to smuggle extra lines or framing headers.
            guard !managedHeaders.contains(lowered), !name.isEmpty,
                !name.contains(where: { $0.isNewline || $0 == ":" || $0 == " " }),
                !value.contains(where: { $0.isNewline })
            else { continue }
            if lowered == "cache-control" { hasCacheControl = true }
            text += name + ": " + value + "\r\n"
        }
        if !hasCacheControl { text += "Cache-Control: no-store\r\n" }
        text += "X-Content-Type-Options: nosniff\r\n"
        text += "Content-Length: \(response.body.count)\r\n"
        text += close ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n"
        var bytes = Array(text.utf8)
        if !head { bytes += response.body }
        return bytes
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var result = self
        while let first = result.first, set.contains(first) { result = result.dropFirst() }
        while let last = result.last, set.contains(last) { result = result.dropLast() }
        return result
    }
}
