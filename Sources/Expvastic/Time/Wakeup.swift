import Synchronization

/// Wakes one waiting task; a signal sent while nobody waits is kept until the next wait.
package final class Wakeup: Sendable {
    private struct State {
        package var pending = false
        package var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    package init() {}

    package func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let waiter = s.waiter {
                s.waiter = nil
                return waiter
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns after a signal, or at once when cancelled.
    package func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.pending || Task.isCancelled {
                        s.pending = false
                        return true
                    }
                    precondition(s.waiter == nil, "Wakeup supports one waiter")
                    s.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume()
        }
    }

    /// Waits for a signal or until `deadline` on `clock`, whichever comes first.
    package func wait(until deadline: UInt64?, clock: any TimeSource) async {
        if state.withLock({ s -> Bool in
            defer { s.pending = false }
            return s.pending
        }) {
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait() }
            if let deadline {
                group.addTask { try? await clock.sleep(untilMonotonic: deadline) }
            }
            _ = await group.next()
            group.cancelAll()
        }
    }
}
