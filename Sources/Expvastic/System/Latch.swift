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
        let (waiters, actions) = state.withLock {
            s -> ([CheckedContinuation<Void, Never>], [@Sendable () -> Void]) in
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

    /// Runs `action` once, when the latch opens (at once when it is open): reacting to it without a
    /// task waiting for it (a waiting task is a few KB, per engine of 10,000).
    package func onOpen(_ action: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { s -> Bool in
            if s.isOpen { return true }
            s.actions.append(action)
            return false
        }
        if runNow { action() }
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
