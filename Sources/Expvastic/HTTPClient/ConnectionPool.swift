import ExpvasticBase
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Everything the event loop thread owns: connections per host and port, requests in flight,
/// their deadlines, and the address cache. Only ``EventLoop`` calls it, always on its thread.
///
/// Reuse policy:
/// - An idle keep-alive connection is reused most-recently-used first; idle connections are closed
///   after ``SocketHTTPTransportConfiguration/idleTimeout``, beyond
///   ``SocketHTTPTransportConfiguration/maxIdleConnectionsPerHost``, or as soon as the server closes
///   them (an idle socket that becomes readable is closed).
/// - A reused connection that fails before any byte of the response arrived (EOF, reset, broken
///   pipe) most likely went stale in the pool: the request is sent once more on a fresh connection.
///   This applies to every method, POST included: Expvastic's only POST is the bulk request, whose
///   documents carry deterministic ids with `create`, so a duplicate delivery is refused by
///   Elasticsearch rather than stored twice. A fresh connection that fails is never retried.
/// - `Connection: close`, HTTP/1.0, bodies that run until close, bytes after the response, and a
///   response that arrived before the request was fully written all close the connection.
/// - So does an error status (4xx/5xx) answering a request with a body: the server may have
///   answered without reading the body, and then reads it as the next request. Elasticsearch does
///   this for `413` (no `Connection: close`): it later sends an unsolicited `HTTP/1.0 400 "text is
///   empty (possibly HTTP/0.9)"`, which a reused connection would take as the next answer.
/// - Before an idle connection is reused, the socket is peeked (`MSG_PEEK`, non-blocking): pending
///   bytes or an end of input mean the server said something nobody asked for, or closed, after the
///   last response; it is closed and the next idle one (or a new one) is used. The epoll event
///   would close it too, but a request can take it between the bytes' arrival and that event.
///
/// `https` connections go through a TLS handshake after `connect` and are pooled like the others.
/// OpenSSL is loaded, and its context (with the trusted certificates) made, when the first `https`
/// connection is opened.
package final class ConnectionPool {
    /// Connections are pooled per host name (as written in the endpoint), port and scheme.
    package struct Key: Hashable, Sendable, CustomStringConvertible {
        package var host: String
        package var port: Int
        /// `https`.
        package var isTLS = false
        package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    private final class Host {
        package let key: Key
        package var idle: [HTTPConnection] = []
        /// Connections open or opening, busy or idle.
        package var openCount = 0
        /// Requests waiting for a connection slot, oldest first (finished ones are skipped).
        package var waiting: [HTTPExchange] = []
        package var waitingHead = 0
        package var addresses: [SocketAddress] = []
        package var addressesExpire: UInt64 = 0
        package var resolving = false
        package var awaitingAddresses: [HTTPExchange] = []

        package init(key: Key) { self.key = key }

        package func popWaiting() -> HTTPExchange? {
            while waitingHead < waiting.count {
                let exchange = waiting[waitingHead]
                waitingHead += 1
                if waitingHead == waiting.count {
                    waiting.removeAll(keepingCapacity: true)
                    waitingHead = 0
                }
                if !exchange.isFinished { return exchange }
            }
            return nil
        }
    }

    private let loop: EventLoop
    private let configuration: SocketHTTPTransportConfiguration
    private let clock: any TimeSource
    private var hosts: [Key: Host] = [:]
    private var connections: [UInt64: HTTPConnection] = [:]
    private var exchanges: [UInt64: HTTPExchange] = [:]
    private var timers = TimerHeap()
    private var nextConnectionID: UInt64 = EventLoop.wakeToken + 1
    private var idleCount = 0
    private var nextIdleSweep: UInt64?
    private let readBuffer: UnsafeMutableRawBufferPointer
    /// Made for the first `https` connection.
    private var tlsContext: TLSContext?

    package init(loop: EventLoop, configuration: SocketHTTPTransportConfiguration, clock: any TimeSource) {
        self.loop = loop
        self.configuration = configuration
        self.clock = clock
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit {
        readBuffer.deallocate()
    }

    // MARK: Loop interface

    package func handle(_ command: EventLoop.Command) {
        switch command {
        case .start(let request):
            start(HTTPExchange(request: request))
        case .cancel(let id):
            if let exchange = exchanges[id] { fail(exchange, .connectionClosed("request cancelled")) }
        case .resolved(let key, let result):
            resolved(key, result)
        case .shutdown:
            break
        }
    }

    /// Milliseconds `epoll_wait` may sleep: until the next deadline, or -1 for none.
    package func millisecondsUntilNextDeadline(now: UInt64) -> Int32 {
        // Drop deadlines of requests that already finished, so the loop does not wake for them.
        while let first = timers.first, exchanges[first.id] == nil { timers.popFirst() }
        var next = timers.earliest
        if let sweep = nextIdleSweep { next = min(next ?? sweep, sweep) }
        guard let next else { return -1 }
        if next <= now { return 0 }
        let milliseconds = (next - now + 999_999) / 1_000_000
        return Int32(min(milliseconds, 60_000))
    }

    /// Fails requests whose deadline passed and closes connections idle for too long.
    package func fireTimers(now: UInt64) {
        while let entry = timers.popDue(now: now) {
            guard let exchange = exchanges[entry.id], exchange.request.deadline == entry.deadline else { continue }
            fail(exchange, .timedOut(exchange.request.timeout))
        }
        if let sweep = nextIdleSweep, sweep <= now { sweepIdle(now: now) }
    }

    package func handleEvent(token: UInt64, events: UInt32) {
        guard let connection = connections[token] else { return }
        switch connection.state {
        case .connecting:
            connectFinished(connection)
        case .handshaking:
            continueHandshake(connection)
        case .idle:
            // The server closed it, reset it, or sent bytes nobody asked for: not reusable.
            close(connection)
        case .active:
            if events & (Epoll.readable | Epoll.hangUp | Epoll.error) != 0 || connection.tlsReadWantsWritable {
                readResponse(connection)
            }
            if events & Epoll.writable != 0 || connection.tlsWriteWantsReadable, case .active = connection.state,
                let exchange = connection.exchange, !exchange.isWriteComplete
            {
                writeRequest(connection, exchange)
            }
        case .closed:
            break
        }
    }

    /// Fails every request and closes every socket.
    package func shutdown() {
        for exchange in exchanges.values where !exchange.isFinished {
            exchange.finish(.failure(.connectionClosed("the HTTP transport is shut down")))
        }
        exchanges.removeAll()
        for connection in connections.values { connection.close() }
        connections.removeAll()
        hosts.removeAll()
        loop.hostsKnown.store(0, ordering: .relaxed)
    }

    // MARK: Requests

    private func start(_ exchange: HTTPExchange) {
        exchanges[exchange.id] = exchange
        timers.push(deadline: exchange.request.deadline, id: exchange.id)
        if exchange.request.deadline <= clock.monotonicNanos() {
            fail(exchange, .timedOut(exchange.request.timeout))
            return
        }
        dispatch(exchange, host: host(for: exchange.request.key), allowIdle: true)
    }

    private func host(for key: Key) -> Host {
        if let host = hosts[key] { return host }
        let host = Host(key: key)
        hosts[key] = host
        loop.hostsKnown.store(hosts.count, ordering: .relaxed)
        return host
    }

    /// Forgets a host with nothing open, queued or being looked up, so that a target that went away
    /// (discovery, reload) leaves nothing behind. Its cached addresses go too: a host that is polled
    /// keeps an idle connection between requests (`idleTimeout`), so a lookup is needed only after
    /// a pause longer than that. Called only where the host is no longer in use (a terminal close,
    /// an answered lookup).
    private func forgetIfUnused(_ host: Host) {
        guard host.openCount == 0, host.waitingHead >= host.waiting.count, !host.resolving,
            host.awaitingAddresses.isEmpty, hosts[host.key] === host
        else { return }
        hosts[host.key] = nil
        loop.hostsKnown.store(hosts.count, ordering: .relaxed)
    }

    /// Gives the exchange a connection: an idle one, a new one, or a place in the queue.
    private func dispatch(_ exchange: HTTPExchange, host: Host, allowIdle: Bool) {
        while allowIdle, let connection = host.idle.popLast() {
            idleCount -= 1
            guard connection.isQuietWhileIdle() else {
                // Already out of the idle list: close it without handing its slot to the queue.
                connection.state = .active
                close(connection, refill: false)
                continue
            }
            assign(exchange, to: connection)
            return
        }
        let now = clock.monotonicNanos()
        if host.addresses.isEmpty || host.addressesExpire <= now {
            if let known = SocketAddress.resolveWithoutLookup(host: host.key.host, port: host.key.port) {
                host.addresses = known
                host.addressesExpire = .max
            } else {
                awaitAddresses(exchange, host: host)
                return
            }
        }
        if host.openCount < configuration.maxConnectionsPerHost {
            open(for: exchange, host: host, addresses: host.addresses[...])
        } else {
            host.waiting.append(exchange)
        }
    }

    private func awaitAddresses(_ exchange: HTTPExchange, host: Host) {
        host.awaitingAddresses.append(exchange)
        guard !host.resolving else { return }
        host.resolving = true
        let key = host.key
        let loop = self.loop
        // getaddrinfo can wait seconds on DNS: a thread of its own, not the loop and not the
        // cooperative pool (a concurrent dispatch queue would share the pool's threads on Linux).
        // Lookups are rare: one per host at a time, then cached.
        do {
            try NativeThread.start(name: "expvastic-dns") {
                let result = SocketAddress.resolve(host: key.host, port: key.port)
                loop.submit(.resolved(key, result))
            }
        } catch {
            resolved(key, .failure(.connectFailed("cannot look up \(key.host): \(error)")))
        }
    }

    private func resolved(_ key: Key, _ result: Result<[SocketAddress], HTTPError>) {
        guard let host = hosts[key] else { return }
        host.resolving = false
        let waiting = host.awaitingAddresses
        host.awaitingAddresses = []
        switch result {
        case .success(let addresses):
            host.addresses = addresses
            host.addressesExpire = clock.monotonicNanos() &+ configuration.addressCacheDuration.nanoseconds
            for exchange in waiting where !exchange.isFinished {
                dispatch(exchange, host: host, allowIdle: !exchange.retried)
            }
        case .failure(let error):
            for exchange in waiting where !exchange.isFinished { fail(exchange, error) }
        }
        forgetIfUnused(host)
    }

    /// Opens a connection for `exchange`, trying the addresses in order.
    private func open(for exchange: HTTPExchange, host: Host, addresses: ArraySlice<SocketAddress>) {
        if host.key.isTLS, tlsContext == nil {
            switch makeTLSContext() {
            case .success(let context): tlsContext = context
            case .failure(let error):
                fail(exchange, error)
                return
            }
        }
        var remaining = addresses
        var lastError: Int32 = ECONNREFUSED
        while let address = remaining.popFirst() {
            let id = nextConnectionID
            nextConnectionID += 1
            switch HTTPConnection.connect(
                id: id, key: host.key, address: address, remaining: remaining, epollFD: loop.epollFD)
            {
            case .success(let connection):
                connections[id] = connection
                host.openCount += 1
                connection.exchange = exchange
                exchange.connection = connection
                return
            case .failure(let error):
                lastError = error.errno
            }
        }
        fail(exchange, .connectFailed("cannot connect to \(host.key): \(EventLoop.describe(lastError))"))
    }

    private func connectFinished(_ connection: HTTPConnection) {
        guard case .connecting(let remaining) = connection.state, let exchange = connection.exchange else {
            close(connection)
            return
        }
        let error = connection.pendingConnectError()
        if error == 0 {
            if connection.key.isTLS {
                startHandshake(connection, exchange)
            } else {
                connection.state = .active
                writeRequest(connection, exchange)
            }
            return
        }
        close(connection, refill: false)
        exchange.connection = nil
        if let host = hosts[connection.key], !remaining.isEmpty {
            open(for: exchange, host: host, addresses: remaining)
        } else {
            fail(
                exchange,
                .connectFailed(
                    "cannot connect to \(connection.key) (\(connection.address)): \(EventLoop.describe(error))"))
        }
        if let host = hosts[connection.key] { refill(host) }
    }

    // MARK: TLS

    private func makeTLSContext() -> Result<TLSContext, HTTPError> {
        let file = configuration.extraTrustedCertificatesFile
        return OpenSSL.shared.flatMap { library in
            Result { () throws(HTTPError) in try TLSContext(library: library, extraTrustedCertificatesFile: file) }
        }
    }

    private func startHandshake(_ connection: HTTPConnection, _ exchange: HTTPExchange) {
        guard let context = tlsContext else {
            fail(exchange, .tlsFailed("no TLS context for \(connection.key)"))
            return
        }
        do {
            try connection.startTLS(context: context)
        } catch {
            fail(exchange, error)
            return
        }
        connection.state = .handshaking
        continueHandshake(connection)
    }

    /// A handshake failure is not retried on another address: a certificate that does not verify
    /// on one would not on the next either.
    private func continueHandshake(_ connection: HTTPConnection) {
        guard let exchange = connection.exchange else {
            close(connection)
            return
        }
        switch connection.handshake() {
        case .done:
            connection.state = .active
            writeRequest(connection, exchange)
        case .pending:
            break
        case .failed(let error):
            fail(exchange, error)
        }
    }

    // MARK: Exchanges

    private func assign(_ exchange: HTTPExchange, to connection: HTTPConnection) {
        connection.state = .active
        connection.exchange = exchange
        exchange.connection = connection
        writeRequest(connection, exchange)
    }

    private func writeRequest(_ connection: HTTPConnection, _ exchange: HTTPExchange) {
        switch connection.writePending(exchange) {
        case .complete, .blocked:
            break
        case .failed(let error):
            // The server may already have answered (e.g. 413 then close): read what is there first.
            readResponse(connection)
            if connection.exchange === exchange, !exchange.isFinished {
                connectionFailed(connection, exchange, .connectionClosed("write failed: \(EventLoop.describe(error))"))
            }
        case .failedTLS(let message):
            // The session is dead after a TLS error: nothing more can be read from it.
            connectionFailed(connection, exchange, .connectionClosed("TLS write failed: \(message)"))
        }
    }

    private func readResponse(_ connection: HTTPConnection) {
        guard let exchange = connection.exchange else { return }
        for _ in 0..<16 {
            switch connection.read(into: readBuffer) {
            case .bytes(let count):
                let consumed: Int
                do {
                    consumed = try exchange.parser.parse(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
                } catch {
                    fail(exchange, error)
                    return
                }
                if exchange.parser.isComplete {
                    complete(exchange, on: connection, reusable: consumed == count)
                    return
                }
                if count < readBuffer.count { return }
            case .wouldBlock:
                return
            case .endOfInput:
                do {
                    try exchange.parser.finishAtEndOfInput()
                } catch {
                    connectionFailed(connection, exchange, error)
                    return
                }
                complete(exchange, on: connection, reusable: false)
                return
            case .failed(let error):
                connectionFailed(
                    connection, exchange, .connectionClosed("read failed: \(EventLoop.describe(error))"))
                return
            case .failedTLS(let message):
                connectionFailed(connection, exchange, .connectionClosed("TLS read failed: \(message)"))
                return
            }
        }
    }

    /// The connection broke while carrying `exchange`: retry once on a fresh connection when it was
    /// a reused connection and nothing of the response had arrived, else fail with `error`.
    private func connectionFailed(_ connection: HTTPConnection, _ exchange: HTTPExchange, _ error: HTTPError) {
        guard connection.completedExchanges > 0, !exchange.parser.hasReceivedBytes, !exchange.retried,
            let host = hosts[connection.key]
        else {
            fail(exchange, error)
            return
        }
        close(connection, refill: false)
        exchange.connection = nil
        exchange.resetForRetry()
        dispatch(exchange, host: host, allowIdle: false)
    }

    private func complete(_ exchange: HTTPExchange, on connection: HTTPConnection, reusable: Bool) {
        guard let response = exchange.parser.takeResponse() else {
            fail(exchange, .malformedResponse("response incomplete"))
            return
        }
        // An error answer to a request with a body may have left that body unread (see the type's
        // reuse policy): the server would read it as a request and answer it on this connection.
        let bodyMayBeUnread = response.status >= 400 && !exchange.request.body.isEmpty
        let keepAlive = reusable && exchange.parser.keepAlive && exchange.isWriteComplete && !bodyMayBeUnread
        finish(exchange, .success(response))
        connection.exchange = nil
        connection.completedExchanges += 1
        if keepAlive {
            release(connection)
        } else {
            close(connection)
        }
    }

    /// A connection whose response is complete: to the next waiting request, to the idle list, or
    /// closed when the idle list is full.
    private func release(_ connection: HTTPConnection) {
        guard let host = hosts[connection.key] else {
            close(connection)
            return
        }
        if let next = host.popWaiting() {
            assign(next, to: connection)
            return
        }
        guard host.idle.count < configuration.maxIdleConnectionsPerHost else {
            close(connection)
            return
        }
        let now = clock.monotonicNanos()
        connection.state = .idle
        connection.idleSince = now
        host.idle.append(connection)
        idleCount += 1
        if nextIdleSweep == nil { nextIdleSweep = now &+ sweepInterval }
    }

    private var sweepInterval: UInt64 {
        min(configuration.idleTimeout.nanoseconds, 1_000_000_000)
    }

    private func sweepIdle(now: UInt64) {
        let limit = configuration.idleTimeout.nanoseconds
        for host in hosts.values where !host.idle.isEmpty {
            // The idle list is in release order, so expired connections are at its front.
            while let oldest = host.idle.first, now &- oldest.idleSince >= limit { close(oldest) }
        }
        nextIdleSweep = idleCount > 0 ? now &+ sweepInterval : nil
    }

    // MARK: Endings

    private func finish(_ exchange: HTTPExchange, _ result: Result<HTTPResponse, HTTPError>) {
        exchanges[exchange.id] = nil
        exchange.finish(result)
    }

    /// Fails the exchange; a connection it was using is closed (its state is unknown).
    private func fail(_ exchange: HTTPExchange, _ error: HTTPError) {
        guard !exchange.isFinished else { return }
        let connection = exchange.connection
        finish(exchange, .failure(error))
        if let connection {
            connection.exchange = nil
            close(connection)
        }
    }

    /// Closes the socket, forgets the connection and, unless `refill` is false, uses the freed slot
    /// for a waiting request.
    private func close(_ connection: HTTPConnection, refill shouldRefill: Bool = true) {
        if case .closed = connection.state { return }
        if case .idle = connection.state, let host = hosts[connection.key],
            let index = host.idle.firstIndex(where: { $0 === connection })
        {
            host.idle.remove(at: index)
            idleCount -= 1
        }
        connection.close()
        connections[connection.id] = nil
        guard let host = hosts[connection.key] else { return }
        host.openCount -= 1
        if shouldRefill { refill(host) }
    }

    /// Gives a freed slot to the queue; a host left with nothing is forgotten.
    private func refill(_ host: Host) {
        while host.openCount < configuration.maxConnectionsPerHost, let next = host.popWaiting() {
            dispatch(next, host: host, allowIdle: true)
        }
        forgetIfUnused(host)
    }
}
