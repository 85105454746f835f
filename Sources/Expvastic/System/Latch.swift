import Synchronization

/// A one-shot event: ``open()`` once, and every ``wait()`` (before or after) returns.
package final class Latch: Sendable {
    private struct State {
        package var isOpen = false
        package var waiters: [CheckedContinuation<Void, Never>] = []
        package var actions: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    package init() {}

    package var isOpen: Bool { state.withLock { $0.isOpen } }

    package func open() {
        let (waiters, actions) = state.withLock { s in
            s.isOpen = true
            defer {
                s.waiters = []
                s.actions = []
            }
            return (s.waiters, s.actions)
        }
        for waiter in waiters { waiter.resume() }
        for action in actions { action() }
    }

    /// Runs `action` once the latch is open: at once when it is, else on the thread that opens it
    /// (so keep it short). Unlike a task that waits, it costs no task: the shipper learns this way
    /// that each of 10,000 stopped engines has ended.
    package func whenOpen(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLock { s -> Bool in
            if s.isOpen { return true }
            s.actions.append(action)
            return false
        }
        if now { action() }
    }

    package func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.isOpen { return true }
                s.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
