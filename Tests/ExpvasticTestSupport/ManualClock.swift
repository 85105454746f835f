import Expvastic
import Synchronization

/// A clock that moves only when a test calls ``advance(by:)``. Sleepers wake in deadline order.
public final class ManualClock: TimeSource {
    private struct Sleeper {
        var deadline: UInt64
        var continuation: CheckedContinuation<Void, any Error>
        var id: Int
    }

    private struct State {
        var monotonic: UInt64 = 1_000_000_000
        var wall: Int64
        var sleepers: [Sleeper] = []
        var nextID = 0
    }

    private let state: Mutex<State>

    /// Starts at `wallNanos` (default 2026-11-21T18:00:00Z).
    public init(wallNanos: Int64 = 1_795_284_000_000_000_000) {
        state = Mutex(State(wall: wallNanos))
    }

    public func monotonicNanos() -> UInt64 { state.withLock { $0.monotonic } }
    public func wallNanos() -> Int64 { state.withLock { $0.wall } }

    /// How many tasks are asleep on this clock.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(untilMonotonic deadline: UInt64) async throws {
        try Task.checkCancellation()
        let id = state.withLock { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.monotonic >= deadline { return true }
                    s.sleepers.append(Sleeper(deadline: deadline, continuation: continuation, id: id))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let cancelled = state.withLock { s -> Sleeper? in
                guard let index = s.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return s.sleepers.remove(at: index)
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves both clocks forward and wakes every sleeper whose deadline has passed.
    public func advance(by duration: Duration) {
        let due = state.withLock { s -> [Sleeper] in
            s.monotonic += duration.nanoseconds
            s.wall += Int64(duration.nanoseconds)
            let due = s.sleepers.filter { $0.deadline <= s.monotonic }.sorted { $0.deadline < $1.deadline }
            s.sleepers.removeAll { $0.deadline <= s.monotonic }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}
