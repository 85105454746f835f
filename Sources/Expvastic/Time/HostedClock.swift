/// A ``TimeSource`` whose sleeps a ``SleepHost`` ends (an event loop that runs the sleeping task),
/// with the same timer slack as ``SystemClock``: at most `tolerance`, and at most 1/64 of the sleep.
/// When the host has stopped, sleeps fall back to `base`.
public struct HostedClock: TimeSource {
    public let base: any TimeSource
    private let host: any SleepHost
    private let tolerance: UInt64

    public init(base: any TimeSource, host: any SleepHost, sleepTolerance: Duration = .milliseconds(10)) {
        self.base = base
        self.host = host
        tolerance = sleepTolerance.nanoseconds
    }

    public func monotonicNanos() -> UInt64 { base.monotonicNanos() }

    public func wallNanos() -> Int64 { base.wallNanos() }

    public func sleep(untilMonotonic deadline: UInt64) async throws {
        let now = base.monotonicNanos()
        guard deadline > now else {
            try Task.checkCancellation()
            return
        }
        try await sleep(untilMonotonic: deadline, slack: min(tolerance, (deadline - now) / 64))
    }

    /// A timer entry of the host's own wait, with the same slack as a sleep.
    public func schedule(atMonotonic deadline: UInt64, _ action: @escaping @Sendable () -> Void) -> ScheduledCall {
        let now = base.monotonicNanos()
        let slack = deadline > now ? min(tolerance, (deadline - now) / 64) : 0
        guard let id = host.schedule(atMonotonic: deadline, slack: slack, action) else {
            return base.schedule(atMonotonic: deadline, action)
        }
        return ScheduledCall(host: host, id: id)
    }

    /// Suspends until `deadline`, ending up to `slack` late (the caller's choice, not the
    /// clock's tolerance): a periodic job that may run anywhere in a window shares a wake-up.
    public func sleep(untilMonotonic deadline: UInt64, slack: UInt64) async throws {
        if try await host.sleep(untilMonotonic: deadline, slack: slack) { return }
        try await base.sleep(untilMonotonic: deadline)
    }
}
