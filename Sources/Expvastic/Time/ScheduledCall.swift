/// A call a ``TimeSource`` will make at a deadline (``TimeSource/schedule(atMonotonic:_:)``).
public struct ScheduledCall: Sendable {
    private enum Cancel {
        /// A call a ``SleepHost`` makes, by its id: no closure made for each (an engine schedules
        /// one per poll, and 10,000 at once when it starts).
        case hosted(any SleepHost, id: UInt64)
        case action(@Sendable () -> Void)
    }

    private let how: Cancel

    public init(cancel: @escaping @Sendable () -> Void) { how = .action(cancel) }

    /// The call `host` makes under `id` (``SleepHost/schedule(atMonotonic:slack:_:)``).
    public init(host: any SleepHost, id: UInt64) { how = .hosted(host, id: id) }

    /// Best effort: the call is not made when it is not under way yet. A caller that must know
    /// keeps its own state (the call may already be running on another thread).
    public func cancel() {
        switch how {
        case .hosted(let host, let id): host.cancelScheduled(id)
        case .action(let cancel): cancel()
        }
    }
}
