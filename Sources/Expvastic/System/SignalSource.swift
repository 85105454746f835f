import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Process signals as an `AsyncStream`: SIGTERM, SIGINT and SIGHUP are delivered to the stream
/// instead of their default actions.
///
/// On Linux a DispatchSource is not armed until its registration handler has run; a signal that
/// arrives before that would take its default action (kill the process). ``start(_:)`` therefore
/// waits for every source's registration handler before it returns.
public final class SignalSource: Sendable {
    private let sources: Mutex<[any DispatchSourceSignal]>
    /// Signals in arrival order.
    public let signals: AsyncStream<Int32>

    private init(sources: consuming sending [any DispatchSourceSignal], signals: AsyncStream<Int32>) {
        self.sources = Mutex(sources)
        self.signals = signals
    }

    /// Installs handlers for `signals` and returns once all of them are armed.
    public static func start(_ signals: [Int32] = [SIGTERM, SIGINT, SIGHUP]) async -> SignalSource {
        let (stream, continuation) = AsyncStream<Int32>.makeStream(bufferingPolicy: .bufferingNewest(16))
        let queue = DispatchQueue(label: "expvastic.signals")
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            // The default action must be off, or the signal kills us before the source sees it.
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(number) }
            await withCheckedContinuation { (registered: CheckedContinuation<Void, Never>) in
                source.setRegistrationHandler { registered.resume() }
                source.activate()
            }
            sources.append(source)
        }
        return SignalSource(sources: sources, signals: stream)
    }

    /// Stops listening; the signals get their default actions back.
    public func stop() {
        sources.withLock { sources in
            for source in sources {
                source.cancel()
                Glibc.signal(Int32(source.handle), SIG_DFL)
            }
        }
    }

    /// The conventional name of a signal, for logs.
    public static func name(_ number: Int32) -> String {
        switch number {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        default: "signal \(number)"
        }
    }
}
