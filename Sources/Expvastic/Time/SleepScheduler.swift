import Dispatch
import Synchronization

/// Wakes sleeping tasks at their monotonic deadlines from one thread of its own.
///
/// `Task.sleep` on Linux arms a one-shot libdispatch timer source per call, handled by the dispatch
/// manager thread: with 1,000 readers polling every second that cost about a sixth of the process's
/// CPU. Here a sleep is a heap insertion under a mutex; one thread waits (on a semaphore with a
/// timeout) for the earliest deadline and resumes every task that is due. When nobody sleeps the
/// thread stays parked for `idleLinger` (60 s by default) before it exits: an engine's heap entry is gone while its
/// poll runs, and a thread that exited then was created again at the next sleep — a `clone` and an
/// exit per poll for a shipper with one reader (`strace -f` showed it). Parked, it costs nothing.
///
/// Timer slack: a sleep never ends early but may end up to `tolerance` late, 1/64 of its length at
/// most (a 10 ms sleep: 0.16 ms). The thread waits until the earliest deadline plus its slack, then
/// ends every sleep that is due, so polls that fall due close together share one wake-up of this
/// thread, of a worker thread and of the HTTP loop instead of paying for their own: at 1,000 readers
/// on a 1 s interval, 10 ms of slack cut the CPU per poll by about 40%.
package final class SleepScheduler: Sendable {
    /// A heap entry. It holds no reference: moving one in the heap costs no retain or release
    /// (a retained continuation's task was just touched by another thread, a cache miss each
    /// time); the continuation waits in ``State/continuations`` at `slot`.
    private struct Sleeper {
        package var deadline: UInt64
        /// How late it may end.
        package var slack: UInt64
        package var id: UInt64
        package var slot: Int
    }

    private struct State {
        /// Binary min-heap on `deadline`.
        package var heap: [Sleeper] = []
        /// The continuations of the sleepers in `heap`, by slot; `freeSlots` are the empty ones.
        package var continuations: [CheckedContinuation<Void, any Error>?] = []
        package var freeSlots: [Int] = []
        package var nextID: UInt64 = 0
        /// Ids cancelled before their sleeper was added.
        package var cancelledEarly: Set<UInt64> = []
        package var threadRunning = false
        /// The thread is parked with nothing to wait for: the next sleep must signal it.
        package var threadIdle = false
        package var threadsStarted = 0
        /// The deadline the thread waits for (`.max`: none, it is busy or about to look again).
        package var threadWaitsUntil: UInt64 = .max

        package mutating func push(
            deadline: UInt64, slack: UInt64, id: UInt64, continuation: CheckedContinuation<Void, any Error>
        ) {
            let slot: Int
            if let free = freeSlots.popLast() {
                slot = free
                continuations[slot] = continuation
            } else {
                slot = continuations.count
                continuations.append(continuation)
            }
            heap.append(Sleeper(deadline: deadline, slack: slack, id: id, slot: slot))
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                if heap[parent].deadline <= heap[child].deadline { break }
                heap.swapAt(parent, child)
                child = parent
            }
        }

        /// Takes the sleeper at `index` out of the heap and returns its continuation.
        package mutating func remove(at index: Int) -> CheckedContinuation<Void, any Error> {
            heap.swapAt(index, heap.count - 1)
            let slot = heap.removeLast().slot
            freeSlots.append(slot)
            // Every slot of a heap entry holds a continuation (push stores it, only this takes it).
            let continuation = continuations[slot].take()!
            guard index < heap.count else { return continuation }
            // Sift up, then down: the moved element may belong on either side.
            var child = index
            while child > 0 {
                let parent = (child - 1) / 2
                if heap[parent].deadline <= heap[child].deadline { break }
                heap.swapAt(parent, child)
                child = parent
            }
            var parent = child
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
                if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
            return continuation
        }
    }

    /// How long the thread stays parked with nobody sleeping before it exits (nanoseconds).
    private let idleLinger: UInt64

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let now: @Sendable () -> UInt64
    private let tolerance: UInt64

    /// - Parameters:
    ///   - tolerance: the most a sleep may end late (nanoseconds); 0 ends each sleep on its own.
    ///   - now: the monotonic clock the deadlines are on (`CLOCK_MONOTONIC` nanoseconds, the clock
    ///     `DispatchTime` uses on Linux).
    ///   - idleLinger: how long the thread stays parked when nobody sleeps before it exits
    ///     (nanoseconds); longer than any common poll interval, so an engine never pays for a
    ///     thread per poll.
    package init(tolerance: UInt64, idleLinger: UInt64 = 60_000_000_000, now: @escaping @Sendable () -> UInt64) {
        self.tolerance = tolerance
        self.idleLinger = idleLinger
        self.now = now
    }

    /// Threads started so far (one per stretch of activity separated by `idleLinger`).
    package var threadsStarted: Int { state.withLock { $0.threadsStarted } }

    /// Whether the thread is running (waiting for a deadline or parked).
    package var isThreadRunning: Bool { state.withLock { $0.threadRunning } }

    /// Suspends until `deadline`; throws `CancellationError` when the task is cancelled.
    package func sleep(untilMonotonic deadline: UInt64) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        let slack = min(tolerance, (deadline &- min(deadline, now())) / 64)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Next { case cancelled, wait, signal, start }
                let next = state.withLock { state -> Next in
                    if state.cancelledEarly.remove(id) != nil { return .cancelled }
                    state.push(deadline: deadline, slack: slack, id: id, continuation: continuation)
                    if !state.threadRunning {
                        state.threadRunning = true
                        state.threadsStarted += 1
                        return .start
                    }
                    if state.threadIdle {
                        state.threadIdle = false
                        return .signal
                    }
                    return deadline &+ slack < state.threadWaitsUntil ? .signal : .wait
                }
                switch next {
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .wait: break
                case .signal: wake.signal()
                case .start:
                    do {
                        try NativeThread.start(name: "expvastic-sleep") { [self] in run() }
                    } catch {
                        // Every engine's schedule waits on this thread; without it nothing polls.
                        fatalError("expvasyml cannot keep its schedule: \(error)")
                    }
                }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.heap.firstIndex(where: { $0.id == id }) else {
                    state.cancelledEarly.insert(id)
                    return nil
                }
                return state.remove(at: index)
            }
            continuation?.resume(throwing: CancellationError())
        }
        // A sleeper resumed by the thread never leaves its id behind; one cancelled after it was
        // resumed may (the handler ran too late): forget it.
        state.withLock { _ = $0.cancelledEarly.remove(id) }
    }

    private func run() {
        var due: [CheckedContinuation<Void, any Error>] = []
        // When the thread parked with nobody sleeping; finding nobody for `idleLinger` means it exits.
        var parkedSince: UInt64?
        while true {
            let current = now()
            let next = state.withLock { state -> (deadline: UInt64, parked: Bool)? in
                while !state.heap.isEmpty, state.heap[0].deadline <= current {
                    due.append(state.remove(at: 0))
                }
                if due.isEmpty, state.heap.isEmpty {
                    if let parkedSince, current &- parkedSince >= idleLinger {
                        state.threadRunning = false
                        state.threadIdle = false
                        return nil
                    }
                    state.threadIdle = true
                    state.threadWaitsUntil = .max
                    return ((parkedSince ?? current) &+ idleLinger, true)
                }
                state.threadIdle = false
                state.threadWaitsUntil = due.isEmpty ? state.heap[0].deadline &+ state.heap[0].slack : .max
                return (state.threadWaitsUntil, false)
            }
            guard let next else { return }
            parkedSince = next.parked ? (parkedSince ?? current) : nil
            if !due.isEmpty {
                for continuation in due { continuation.resume() }
                due.removeAll(keepingCapacity: true)
                continue
            }
            _ = wake.wait(timeout: DispatchTime(uptimeNanoseconds: next.deadline))
            state.withLock { $0.threadWaitsUntil = .max }
        }
    }
}
