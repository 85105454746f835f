import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The thread behind ``SocketHTTPTransport``: one `epoll` loop over non-blocking sockets.
///
/// Callers never touch sockets. They put a command in a lock-protected inbox and, if the loop is
/// not already due to look, write to an `eventfd` to wake it. Everything else — connections, the
/// pool, timers — lives in a ``ConnectionPool`` that only this thread touches. Results go back by
/// resuming the caller's continuation, so no Swift cooperative thread ever blocks on I/O.
final class EventLoop: Sendable {
    /// What callers ask of the loop.
    enum Command: Sendable {
        case start(HTTPExchange.Request)
        case cancel(id: UInt64)
        case resolved(ConnectionPool.Key, Result<[SocketAddress], HTTPError>)
        case shutdown
    }

    private struct Inbox: ~Copyable {
        var commands: [Command] = []
        /// An eventfd write is outstanding; later submitters need not write again.
        var wakePending = false
        var stopped = false
    }

    /// epoll token of the wake-up eventfd; connection tokens start at 1.
    static let wakeToken: UInt64 = 0

    let epollFD: Int32
    private let wakeFD: Int32
    private let inbox = Mutex(Inbox())
    private let ids = Atomic<UInt64>(1)
    private let configuration: SocketHTTPTransportConfiguration
    private let clock: any TimeSource
    /// How many hosts the pool keeps state for (connections, queued requests, cached addresses);
    /// written by the loop thread, read by anyone.
    let hostsKnown = Atomic<Int>(0)

    /// Creates the epoll instance and the eventfd; ``start()`` runs the thread.
    init(configuration: SocketHTTPTransportConfiguration, clock: any TimeSource) throws(HTTPError) {
        self.configuration = configuration
        self.clock = clock
        let epollFD = Epoll.create()
        guard epollFD >= 0 else { throw .connectFailed("cannot create epoll instance: \(Self.describe(errno))") }
        let wakeFD = Epoll.makeEventFD()
        guard wakeFD >= 0 else {
            let error = errno
            close(epollFD)
            throw .connectFailed("cannot create eventfd: \(Self.describe(error))")
        }
        // Edge-triggered: every write to the eventfd is a new edge, so the loop never has to read
        // the counter back (one system call less per request). 2^64 - 2 wake-ups would fill it.
        let events = Epoll.readable | Epoll.edgeTriggered
        guard Epoll.control(epollFD, Epoll.add, wakeFD, events: events, token: Self.wakeToken) == 0 else {
            let error = errno
            close(wakeFD)
            close(epollFD)
            throw .connectFailed("cannot watch eventfd: \(Self.describe(error))")
        }
        self.epollFD = epollFD
        self.wakeFD = wakeFD
    }

    deinit {
        // Only here, never when the loop ends: a submitter may still hold the loop and write to
        // wakeFD, and a closed descriptor number could by then belong to someone else.
        close(wakeFD)
        close(epollFD)
    }

    /// Starts the loop thread. Call once.
    func start() throws(HTTPError) {
        do {
            try NativeThread.start(name: "expvastic-http") { [self] in run() }
        } catch {
            throw .connectFailed("the HTTP client cannot run: \(error)")
        }
    }

    /// A fresh request id.
    func makeID() -> UInt64 { ids.wrappingAdd(1, ordering: .relaxed).oldValue }

    /// Hands a request to the loop, or resumes it at once when the calling task is already
    /// cancelled or the loop has stopped. Checking cancellation under the inbox lock closes the race
    /// with the cancellation handler: either the handler's `cancel` lands after this `start`, or
    /// this call sees the task cancelled.
    func start(_ request: HTTPExchange.Request) {
        let outcome = inbox.withLock { inbox -> (accepted: Bool, wake: Bool, cancelled: Bool) in
            if inbox.stopped { return (false, false, false) }
            if Task.isCancelled { return (false, false, true) }
            inbox.commands.append(.start(request))
            let wake = !inbox.wakePending
            inbox.wakePending = true
            return (true, wake, false)
        }
        if outcome.wake { wake() }
        if !outcome.accepted {
            let error: HTTPError =
                outcome.cancelled
                ? .connectionClosed("request cancelled") : .connectionClosed("the HTTP transport is shut down")
            request.continuation.resume(returning: .failure(error))
        }
    }

    /// Queues a command; false when the loop has stopped.
    @discardableResult
    func submit(_ command: Command) -> Bool {
        let outcome = inbox.withLock { inbox -> (accepted: Bool, wake: Bool) in
            if inbox.stopped { return (false, false) }
            if case .shutdown = command { inbox.stopped = true }
            inbox.commands.append(command)
            let wake = !inbox.wakePending
            inbox.wakePending = true
            return (true, wake)
        }
        if outcome.wake { wake() }
        return outcome.accepted
    }

    private func wake() {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { write(wakeFD, $0.baseAddress, 8) }
    }

    private func takeCommands() -> [Command] {
        inbox.withLock { inbox in
            inbox.wakePending = false
            if inbox.commands.isEmpty { return [] }
            let commands = inbox.commands
            inbox.commands.removeAll(keepingCapacity: true)
            return commands
        }
    }

    private func run() {
        Self.blockBrokenPipeSignal()
        let pool = ConnectionPool(loop: self, configuration: configuration, clock: clock)
        let capacity = 256
        let events = UnsafeMutableRawPointer.allocate(byteCount: capacity * Epoll.eventSize, alignment: 8)
        defer { events.deallocate() }
        var running = true
        while running {
            let count = Epoll.wait(
                epollFD, events, capacity: Int32(capacity), timeout: pool.millisecondsUntilNextDeadline())
            if count < 0 {
                if errno == EINTR { continue }
                // Not expected with valid descriptors; back off rather than spin.
                usleep(10_000)
                continue
            }
            for index in 0..<Int(count) {
                let event = Epoll.event(at: index, in: events)
                if event.token != Self.wakeToken { pool.handleEvent(token: event.token, events: event.events) }
            }
            for command in takeCommands() {
                if case .shutdown = command {
                    running = false
                } else {
                    pool.handle(command)
                }
            }
            pool.fireTimers()
        }
        pool.shutdown()
    }

    /// OpenSSL writes to `https` sockets with `write`, which raises `SIGPIPE` (killing the process)
    /// when the server has closed; blocked on this thread, the write fails with `EPIPE` instead. The
    /// signal stays pending on this thread, which never unblocks it, and is dropped when it ends.
    private static func blockBrokenPipeSignal() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }

    static func describe(_ error: Int32) -> String {
        String(cString: strerror(error))
    }
}
