import Dispatch
import ExpvasticBase
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
///
/// The loop is also a task executor and a ``SleepHost`` (`EventLoop+Executor.swift`): a poller
/// that runs on it sleeps in this thread's `epoll_wait`, sends its request without an `eventfd`
/// write, and gets its response on the same thread, so a poll costs two wake-ups (the tick and the
/// response) instead of one per thread it would otherwise cross.
package final class EventLoop: Sendable {
    /// What callers ask of the loop.
    package enum Command: Sendable {
        case start(HTTPExchange.Request)
        case cancel(id: UInt64)
        case resolved(ConnectionPool.Key, Result<[SocketAddress], HTTPError>)
        case shutdown
    }

    package struct Inbox: ~Copyable {
        package var commands: [Command] = []
        /// Jobs of tasks that run on this loop (``enqueue(_:)``).
        package var jobs: [UnownedJob] = []
        /// An eventfd write is outstanding; later submitters need not write again.
        package var wakePending = false
        package var stopped = false
        /// The loop thread has ended: jobs run elsewhere.
        package var finished = false
    }

    /// epoll token of the wake-up eventfd; connection tokens start at 1.
    package static let wakeToken: UInt64 = 0

    package let epollFD: Int32
    private let wakeFD: Int32
    package let inbox = Mutex(Inbox())
    package let ids = Atomic<UInt64>(1)
    /// Sleeps this loop ends (``SleepHost``).
    package let sleepers = Mutex(LoopSleepers<SleepWaiter>())
    /// The loop thread's `pthread_self()`, 0 before it runs.
    private let thread = Atomic<UInt>(0)
    private let configuration: SocketHTTPTransportConfiguration
    package let clock: any TimeSource
    /// How many hosts the pool keeps state for (connections, queued requests, cached addresses);
    /// written by the loop thread, read by anyone.
    package let hostsKnown = Atomic<Int>(0)

    /// Creates the epoll instance and the eventfd; ``start()`` runs the thread.
    package init(configuration: SocketHTTPTransportConfiguration, clock: any TimeSource) throws(HTTPError) {
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
        DescriptorTable.reserve(DescriptorTable.reservedForTheLoop, duplicating: wakeFD)
    }

    deinit {
        // Only here, never when the loop ends: a submitter may still hold the loop and write to
        // wakeFD, and a closed descriptor number could by then belong to someone else.
        close(wakeFD)
        close(epollFD)
    }

    /// Starts the loop thread. Call once.
    package func start() throws(HTTPError) {
        do {
            try NativeThread.start(name: "expvastic-http") { [self] in run() }
        } catch {
            throw .connectFailed("the HTTP client cannot run: \(error)")
        }
    }

    /// A fresh request id.
    package func makeID() -> UInt64 { ids.wrappingAdd(1, ordering: .relaxed).oldValue }

    /// Hands a request to the loop, or resumes it at once when the calling task is already
    /// cancelled or the loop has stopped. Checking cancellation under the inbox lock closes the race
    /// with the cancellation handler: either the handler's `cancel` lands after this `start`, or
    /// this call sees the task cancelled.
    package func start(_ request: HTTPExchange.Request) {
        let outcome = inbox.withLock { inbox -> (accepted: Bool, wake: Bool, cancelled: Bool) in
            if inbox.stopped { return (false, false, false) }
            if Task.isCancelled { return (false, false, true) }
            inbox.commands.append(.start(request))
            return (true, needsWake(&inbox), false)
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
    package func submit(_ command: Command) -> Bool {
        let outcome = inbox.withLock { inbox -> (accepted: Bool, wake: Bool) in
            if inbox.stopped { return (false, false) }
            if case .shutdown = command { inbox.stopped = true }
            inbox.commands.append(command)
            return (true, needsWake(&inbox))
        }
        if outcome.wake { wake() }
        return outcome.accepted
    }

    /// Whether the caller must write to the eventfd after adding to `inbox`: not on the loop
    /// thread (it looks at the inbox before it waits again), nor when a write is outstanding.
    package func needsWake(_ inbox: inout Inbox) -> Bool {
        if isLoopThread || inbox.wakePending { return false }
        inbox.wakePending = true
        return true
    }

    /// True on the loop's own thread.
    package var isLoopThread: Bool { thread.load(ordering: .relaxed) == UInt(pthread_self()) }

    package func wake() {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { write(wakeFD, $0.baseAddress, 8) }
    }

    /// Swaps the inbox's commands and jobs with the loop's empty ones, so neither side allocates an
    /// array per round (a copy emptied with `keepingCapacity` would: its buffer is shared).
    private func takeInbox(_ commands: inout [Command], _ jobs: inout [UnownedJob]) {
        inbox.withLock { inbox in
            inbox.wakePending = false
            swap(&inbox.commands, &commands)
            swap(&inbox.jobs, &jobs)
        }
    }

    /// Milliseconds `epoll_wait` may block: 0 when work is queued, else until the pool's next
    /// deadline or the earliest sleep (plus its slack), rounded up so the loop never wakes early.
    private func waitMilliseconds(pool: ConnectionPool) -> Int32 {
        if inbox.withLock({ !$0.jobs.isEmpty || !$0.commands.isEmpty }) { return 0 }
        let now = clock.monotonicNanos()
        let poolWait = pool.millisecondsUntilNextDeadline(now: now)
        guard let wakeTime = sleepers.withLock({ $0.waitTime() }) else { return poolWait }
        guard wakeTime > now else { return 0 }
        let sleepWait = Int32(min((wakeTime - now + 999_999) / 1_000_000, 60_000))
        return poolWait < 0 ? sleepWait : min(poolWait, sleepWait)
    }

    private func run() {
        Self.blockBrokenPipeSignal()
        thread.store(UInt(pthread_self()), ordering: .relaxed)
        let pool = ConnectionPool(loop: self, configuration: configuration, clock: clock)
        let capacity = 256
        let events = UnsafeMutableRawPointer.allocate(byteCount: capacity * Epoll.eventSize, alignment: 8)
        defer { events.deallocate() }
        var running = true
        var commands: [Command] = []
        var jobs: [UnownedJob] = []
        var dueSleeps: [SleepWaiter] = []
        while running {
            let count = Epoll.wait(epollFD, events, capacity: Int32(capacity), timeout: waitMilliseconds(pool: pool))
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
            // One reading of the clock for both (a poll's loop makes two rounds: the tick, the response).
            let now = clock.monotonicNanos()
            pool.fireTimers(now: now)
            endDueSleeps(&dueSleeps, now: now)
            // What the events, timers and sleeps queued, and what that queued in turn (a poller's
            // job starts its request; the request's command starts the exchange), without another
            // `epoll_wait` in between; a few rounds at most, then the events get their turn again.
            for _ in 0..<4 {
                takeInbox(&commands, &jobs)
                if commands.isEmpty && jobs.isEmpty { break }
                for command in commands {
                    if case .shutdown = command {
                        running = false
                    } else {
                        pool.handle(command)
                    }
                }
                for job in jobs { job.runSynchronously(on: asUnownedTaskExecutor()) }
                commands.removeAll(keepingCapacity: true)  // no request outlives its round here
                jobs.removeAll(keepingCapacity: true)
            }
        }
        pool.shutdown()
        finishExecutor()
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

    package static func describe(_ error: Int32) -> String {
        String(cString: strerror(error))
    }
}
