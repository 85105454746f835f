import ExpvasticBase
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A small, hardened HTTP/1.1 server for the monitoring endpoint: one dedicated thread running a `poll(2)`
/// loop (idle connections cost a few hundred bytes and no thread), never the cooperative pool.
///
/// - Only `GET` and `HEAD` reach the handler; other methods get 405 with `Allow: GET, HEAD`. Request bodies
///   are never read: a request with one is answered and its connection closed.
/// - Limits (see ``HTTPServerConfiguration``): request line (414), header section and field count (431),
///   time to deliver a request head (408, slow-drip clients), idle keep-alive time, write time, and a
///   connection limit at which the longest-idle connection is closed to make room.
/// - After an error response the server half-closes and discards input for a short while ("lingering close")
///   so that clients read the error instead of a connection reset.
///
/// The handler runs on the server thread and must be cheap and non-blocking.
public final class HTTPServer: Service {
    /// Answers one request. Runs on the server thread: keep it cheap.
    public typealias Handler = @Sendable (HTTPServerRequest) -> HTTPServerResponse

    public let configuration: HTTPServerConfiguration
    package let handler: Handler
    package let clock: any TimeSource
    package let logger: Logger

    private enum Phase {
        case idle
        case running(port: Int, wakeWriteFD: Int32)
        case stopped
    }

    private struct State {
        package var phase = Phase.idle
        package var finished = false
        package var failure: HTTPServerError?
        package var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let stopFlag = Atomic<Bool>(false)
    private let statisticsStorage = Mutex(HTTPServerStatistics())

    /// - Parameters:
    ///   - configuration: address, limits and timeouts.
    ///   - logger: protocol errors and timeouts are logged at `debug`, failures at `error`.
    ///   - clock: reads the monotonic time for timeouts (the loop itself wakes on real time).
    ///   - handler: answers `GET` and `HEAD` requests.
    public init(
        configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
        logger: Logger = Logger(component: "http.server", handler: NoOpLogHandler()),
        clock: any TimeSource = SystemClock(),
        handler: @escaping Handler
    ) {
        precondition(configuration.maxConnections > 0, "maxConnections must be positive")
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.handler = handler
    }

    /// Binds, listens and starts the server thread, returning the bound port (useful with port 0). Calling it
    /// again returns the same port. ``run()`` calls it when needed.
    @discardableResult
    public func start() throws(HTTPServerError) -> Int {
        try state.withLock { state throws(HTTPServerError) -> Int in
            switch state.phase {
            case .running(let port, _): return port
            case .stopped:
                throw HTTPServerError(code: .alreadyStopped, message: "the server was stopped; create a new one")
            case .idle: break
            }
            let listener = try HTTPServerSocket.listen(configuration)
            var pipeFDs: [Int32] = [-1, -1]
            guard pipe(&pipeFDs) == 0 else {
                close(listener.fd)
                throw HTTPServerSocket.systemError("pipe")
            }
            for fd in pipeFDs { HTTPServerSocket.setNonBlockingCloseOnExec(fd) }
            let wakeReadFD = pipeFDs[0]
            state.phase = .running(port: listener.port, wakeWriteFD: pipeFDs[1])
            do throws(SystemError) {
                try NativeThread.start(name: "expvastic.http") { [self] in
                    let loop = HTTPServerEventLoop(server: self, listenFD: listener.fd, wakeFD: wakeReadFD)
                    finish(failure: loop.run())
                }
            } catch {
                state.phase = .idle
                for fd in [listener.fd] + pipeFDs { close(fd) }
                throw HTTPServerError(code: .systemCallFailed, message: error.description)
            }
            logger.info("listening", ["http.address": configuration.host, "http.port": String(listener.port)])
            return listener.port
        }
    }

    /// The port the server listens on, or nil before ``start()`` and after it stopped.
    public var boundPort: Int? {
        state.withLock { state in
            if case .running(let port, _) = state.phase { return port }
            return nil
        }
    }

    /// Counters since start.
    public var statistics: HTTPServerStatistics { statisticsStorage.withLock { $0 } }

    /// Asks the server thread to close the listener and every connection; returns at once. ``run()`` returns
    /// once everything is closed.
    public func stop() {
        let finishedNow = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            switch state.phase {
            case .idle:
                state.phase = .stopped
                state.finished = true
                defer { state.waiters = [] }
                return state.waiters
            case .running(_, let wakeWriteFD):
                stopFlag.store(true, ordering: .sequentiallyConsistent)
                var byte: UInt8 = 1
                _ = write(wakeWriteFD, &byte, 1)
                return []
            case .stopped:
                return []
            }
        }
        for waiter in finishedNow { waiter.resume() }
    }

    /// Serves until the task is cancelled, then closes the listener and all connections and returns.
    /// Throws ``HTTPServerError`` when the server cannot start or its loop fails.
    public func run() async throws {
        try start()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let done = state.withLock { state -> Bool in
                    if state.finished { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if done { continuation.resume() }
            }
        } onCancel: {
            stop()
        }
        if let failure = state.withLock({ $0.failure }) { throw failure }
    }

    package var stopRequested: Bool { stopFlag.load(ordering: .relaxed) }

    package func updateStatistics(_ body: (inout HTTPServerStatistics) -> Void) {
        statisticsStorage.withLock { body(&$0) }
    }

    private func finish(failure: HTTPServerError?) {
        if let failure { logger.error("server loop failed", ["error": failure.description]) }
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if case .running(_, let wakeWriteFD) = state.phase { close(wakeWriteFD) }
            state.phase = .stopped
            state.finished = true
            state.failure = failure
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
