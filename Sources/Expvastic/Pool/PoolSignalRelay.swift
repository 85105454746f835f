import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Passes the process's signals on to the shipper, except that the first SIGTERM or SIGINT first
/// makes the member leave the pool (its lease is revoked, so the others take over its targets at
/// once) and reaches the shipper only after the handover period, during which this member goes on
/// polling: the new owners have started by then, so no interval is missed. A second SIGTERM or
/// SIGINT during that wait is passed on at once.
public struct PoolSignalRelay: Service {
    private let input: AsyncStream<Int32>
    private let sink: AsyncStream<Int32>.Continuation
    private let member: PoolMember
    private let handover: Duration
    private let clock: any TimeSource
    private let logger: Logger
    /// What the shipper reads instead of the process's signals.
    public let signals: AsyncStream<Int32>

    public init(
        signals input: AsyncStream<Int32>, member: PoolMember, handover: Duration, clock: any TimeSource,
        logger: Logger
    ) {
        self.input = input
        self.member = member
        self.handover = handover
        self.clock = clock
        self.logger = logger
        (signals, sink) = AsyncStream<Int32>.makeStream()
    }

    public func run() async throws {
        let forwarded = Forwarded()
        let (sink, member, handover, clock, logger) = (self.sink, self.member, self.handover, self.clock, self.logger)
        await withTaskGroup(of: Void.self) { group in
            var leaving = false
            for await signal in input {
                guard signal == SIGTERM || signal == SIGINT else {
                    sink.yield(signal)
                    continue
                }
                guard !leaving else {
                    // A second one: stop now (the shipper's own "again" rule applies to a third).
                    if forwarded.first() { sink.yield(signal) }
                    continue
                }
                leaving = true
                group.addTask {
                    await member.leave()
                    logger.info(
                        "\(SignalSource.name(signal)): polling on for \(GoDuration.format(handover)) while the others take over"
                    )
                    try? await clock.sleep(for: handover)
                    if forwarded.first() { sink.yield(signal) }
                }
            }
            group.cancelAll()
        }
        sink.finish()
    }
}

/// Whether the stopping signal has been passed on (once only).
private final class Forwarded: Sendable {
    private let done = Mutex(false)

    /// True the first time only.
    package func first() -> Bool {
        done.withLock { done in
            defer { done = true }
            return !done
        }
    }
}
