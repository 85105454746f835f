/// A call a ``TimeSource`` will make at a deadline (``TimeSource/schedule(atMonotonic:_:)``).
public struct ScheduledCall: Sendable {
    private let cancelAction: @Sendable () -> Void

    public init(cancel: @escaping @Sendable () -> Void) { cancelAction = cancel }

    /// Best effort: the call is not made when it is not under way yet. A caller that must know
    /// keeps its own state (the call may already be running on another thread).
    public func cancel() { cancelAction() }
}
