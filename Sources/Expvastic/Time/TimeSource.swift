#if canImport(Glibc)
    import Glibc
#endif

/// Time as the engine sees it: a monotonic clock for scheduling and timeouts, a wall clock for
/// timestamps, and a sleep that tests can replace (see `ManualClock` in the test support).
public protocol TimeSource: Sendable {
    /// Monotonic nanoseconds from an arbitrary origin; never goes backwards.
    func monotonicNanos() -> UInt64
    /// Wall-clock nanoseconds since the Unix epoch (UTC).
    func wallNanos() -> Int64
    /// Suspends until `monotonicNanos() >= deadline`. Throws `CancellationError` when cancelled.
    func sleep(untilMonotonic deadline: UInt64) async throws
    /// Calls `action` once, when `monotonicNanos() >= deadline`, unless the returned call is
    /// cancelled first. Unlike ``sleep(untilMonotonic:)`` it needs no task while it waits: an
    /// engine between polls is a timer entry, not a suspended task (~3.8 KB of heap each at
    /// 10,000 targets). The default sleeps in a task of its own.
    func schedule(atMonotonic deadline: UInt64, _ action: @escaping @Sendable () -> Void) -> ScheduledCall
}

extension TimeSource {
    public func schedule(atMonotonic deadline: UInt64, _ action: @escaping @Sendable () -> Void) -> ScheduledCall {
        let task = Task {
            do { try await sleep(untilMonotonic: deadline) } catch { return }
            action()
        }
        return ScheduledCall { task.cancel() }
    }

    /// Suspends for `duration` (monotonic).
    public func sleep(for duration: Duration) async throws {
        try await sleep(untilMonotonic: monotonicNanos() &+ duration.nanoseconds)
    }
}

/// The real clock: `CLOCK_MONOTONIC` and `CLOCK_REALTIME`. Sleeps are served by one thread per
/// clock value (see `SleepScheduler`); share one clock between components that sleep often.
public struct SystemClock: TimeSource {
    private let scheduler: SleepScheduler

    /// - Parameter sleepTolerance: how late a sleep may end (never early); at most 1/64 of the
    ///   sleep's length is used. Sleeps that fall due together then share one thread wake-up, which
    ///   is most of the cost of a poll; 10 ms keeps poll starts well within a 1 s interval's jitter
    ///   budget. `.zero` ends every sleep on its own.
    public init(sleepTolerance: Duration = .milliseconds(10)) {
        scheduler = SleepScheduler(tolerance: sleepTolerance.nanoseconds, now: SystemClock.monotonic)
    }

    public func monotonicNanos() -> UInt64 { SystemClock.monotonic() }

    @Sendable package static func monotonic() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    public func wallNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    public func sleep(untilMonotonic deadline: UInt64) async throws {
        let now = monotonicNanos()
        guard deadline > now else {
            try Task.checkCancellation()
            return
        }
        try await scheduler.sleep(untilMonotonic: deadline)
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating at `UInt64.max`; negative durations are 0).
    public var nanoseconds: UInt64 {
        let (seconds, attos) = components
        if seconds < 0 { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        return whole &+ UInt64(attos / 1_000_000_000)
    }

    /// The duration in seconds as a double.
    public var seconds: Double {
        let (seconds, attos) = components
        return Double(seconds) + Double(attos) / 1e18
    }
}
