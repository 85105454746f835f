/// Something that ends sleeps itself instead of the ``SleepScheduler``'s thread: an event loop that
/// also runs the tasks that sleep, so a task's deadline is one more timer in a wait it does anyway.
public protocol SleepHost: Sendable {
    /// Suspends until the monotonic `deadline` (at most `slack` later); throws `CancellationError`
    /// when the task is cancelled. Returns false at once, without sleeping, when the host can no
    /// longer end sleeps (its thread has stopped): the caller then sleeps another way.
    func sleep(untilMonotonic deadline: UInt64, slack: UInt64) async throws -> Bool
    /// Calls `action` on the host's thread at `deadline` (at most `slack` later) unless
    /// ``cancelScheduled(_:)`` takes it out first; returns its id, or nil when the host can no
    /// longer end sleeps (the caller then schedules another way).
    func schedule(atMonotonic deadline: UInt64, slack: UInt64, _ action: @escaping @Sendable () -> Void) -> UInt64?
    /// Takes out a call ``schedule(atMonotonic:slack:_:)`` made, if it has not been made yet.
    func cancelScheduled(_ id: UInt64)
}
