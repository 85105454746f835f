import Dispatch
import Foundation
import Synchronization

/// The shared state of a ``RunningProcess``: output so far, how it ended, and the tasks waiting for
/// a condition on them. Updated from reader threads and the termination handler.
final class ProcessMonitor: Sendable {
    struct Snapshot: Sendable {
        var stdout = Data()
        var stderr = Data()
        var stdoutClosed = false
        var stderrClosed = false
        var termination: RunningProcess.Termination?
    }

    private struct Waiter {
        var condition: @Sendable (Snapshot) -> Bool
        var describe: @Sendable () -> String
        var continuation: CheckedContinuation<Snapshot, any Error>
    }

    private struct State {
        var snapshot = Snapshot()
        var waiters: [Int: Waiter] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    func snapshot() -> Snapshot { state.withLock { $0.snapshot } }

    /// Applies `change` and resumes every waiter whose condition now holds.
    func update(_ change: (inout Snapshot) -> Void) {
        let ready = state.withLock { state -> [(CheckedContinuation<Snapshot, any Error>, Snapshot)] in
            change(&state.snapshot)
            var ready: [(CheckedContinuation<Snapshot, any Error>, Snapshot)] = []
            for (id, waiter) in state.waiters where waiter.condition(state.snapshot) {
                state.waiters[id] = nil
                ready.append((waiter.continuation, state.snapshot))
            }
            return ready
        }
        for (continuation, snapshot) in ready { continuation.resume(returning: snapshot) }
    }

    /// Returns the first snapshot for which `condition` holds; throws `.timeout` with the message
    /// `describe()` when `timeout` passes first, `CancellationError` when the task is cancelled.
    func wait(
        until condition: @escaping @Sendable (Snapshot) -> Bool,
        timeout: Duration,
        describe: @escaping @Sendable () -> String
    ) async throws -> Snapshot {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Snapshot, any Error>) in
                let now = state.withLock { state -> Snapshot? in
                    if condition(state.snapshot) { return state.snapshot }
                    state.waiters[id] = Waiter(condition: condition, describe: describe, continuation: continuation)
                    return nil
                }
                if let now {
                    continuation.resume(returning: now)
                    return
                }
                if Task.isCancelled { fail(id) { _ in CancellationError() } }
                // Holds only the monitor: a finished wait releases `describe` (and what it captured).
                let nanoseconds = Int(clamping: timeout.nanoseconds)
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [self] in
                    fail(id) { TestSupportError(.timeout, $0.describe()) }
                }
            }
        } onCancel: {
            fail(id) { _ in CancellationError() }
        }
    }

    private func fail(_ id: Int, with error: (Waiter) -> any Error) {
        guard let waiter = state.withLock({ $0.waiters.removeValue(forKey: id) }) else { return }
        waiter.continuation.resume(throwing: error(waiter))
    }
}
