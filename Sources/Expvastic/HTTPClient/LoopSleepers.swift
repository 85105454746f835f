import ExpvasticBase

/// The sleeps an ``EventLoop`` ends itself (it is a ``SleepHost``): a pure value type, generic over
/// what waits, so it is tested without threads.
///
/// The loop waits until the earliest *latest end* (deadline plus slack) of any sleeper, then ends
/// every sleep whose deadline has passed, so sleeps that fall due close together share one wake-up
/// (as in ``SleepScheduler``); a sleeper with a large slack (a periodic sync) never delays one with
/// a small slack (a poll). A cancelled sleeper is taken out at once; its heap entries are dropped
/// when they reach the top, or all at once when they outnumber the sleepers' (engines polling
/// hourly whose targets come and go every few seconds would otherwise keep an entry per stop for
/// an hour).
package struct LoopSleepers<Waiter> {
    /// By deadline: who is due.
    private var heap = TimerHeap()
    /// By deadline plus slack: when the loop must wake.
    private var latest = TimerHeap()
    private var waiting: [UInt64: (deadline: UInt64, slack: UInt64, waiter: Waiter)] = [:]
    /// Ids cancelled before their sleeper was added.
    private var cancelledEarly: Set<UInt64> = []
    /// The loop has stopped: nothing is added any more.
    private(set) package var isClosed = false
    /// Until when the loop waits in `epoll_wait` (``waitTime()``; `.max`: nobody sleeps); nil
    /// while it is awake and will look at the sleepers again before it waits.
    private var waitsUntil: UInt64?

    package var count: Int { waiting.count }

    /// Entries in the two heaps, cancelled sleepers' included.
    package var heapEntries: Int { heap.count + latest.count }

    /// Adds a sleeper; false when it was cancelled before it got here (or the loop is closed), and
    /// the caller ends it itself.
    package mutating func add(id: UInt64, deadline: UInt64, slack: UInt64, waiter: Waiter) -> Bool {
        if cancelledEarly.remove(id) != nil || isClosed { return false }
        waiting[id] = (deadline, slack, waiter)
        push(id: id, deadline: deadline, slack: slack)
        return true
    }

    private mutating func push(id: UInt64, deadline: UInt64, slack: UInt64) {
        heap.push(deadline: deadline, id: id)
        let (end, overflow) = deadline.addingReportingOverflow(slack)
        latest.push(deadline: overflow ? .max : end, id: id)
    }

    /// Takes out a cancelled sleeper; nil when it is not here (already ended, or not added yet:
    /// then a later ``add(id:deadline:slack:waiter:)`` of that id returns false).
    package mutating func cancel(id: UInt64) -> Waiter? {
        if let waiter = remove(id: id) { return waiter }
        if !isClosed { cancelledEarly.insert(id) }
        return nil
    }

    /// Takes out a sleeper that was added (a scheduled call); nil when it has ended.
    package mutating func remove(id: UInt64) -> Waiter? {
        guard let entry = waiting.removeValue(forKey: id) else { return nil }
        // The heaps again from the sleepers once most of their entries are left behind: a rebuild
        // of n sleepers follows at least about n / 2 removals, so it costs O(log n) per removal,
        // and the heaps hold at most about twice the sleepers' entries.
        if heap.count > 2 * waiting.count + 64 {
            heap = TimerHeap()
            latest = TimerHeap()
            for (id, sleeper) in waiting { push(id: id, deadline: sleeper.deadline, slack: sleeper.slack) }
        }
        return entry.waiter
    }

    /// Forgets an id that ``cancel(id:)`` may have left behind (the sleeper ended before it ran).
    package mutating func forget(id: UInt64) { cancelledEarly.remove(id) }

    /// When the loop should wake: the earliest deadline plus slack of any sleeper; nil when nobody sleeps.
    package mutating func wakeTime() -> UInt64? {
        // Entries of sleepers that ended or left (ids are never reused); looked up by index, which
        // does not copy the sleeper out (with its waiter's retain and release) as a subscript does.
        while let first = latest.first, waiting.index(forKey: first.id) == nil { latest.popFirst() }
        return latest.first?.deadline
    }

    /// ``wakeTime()``, for the loop about to wait until then (or for ever, nil): from now on a
    /// sleeper added from another thread wakes it only when it must end before that
    /// (``wakeNeeded(deadline:slack:)``).
    package mutating func waitTime() -> UInt64? {
        let time = wakeTime()
        waitsUntil = time ?? .max
        return time
    }

    /// Whether the loop must be woken for a sleeper just added (from another thread) that ends at
    /// `deadline` plus `slack`: only when it waits past that, and once per wait. Starting 10,000
    /// engines wrote the loop's `eventfd` 10,000 times.
    package mutating func wakeNeeded(deadline: UInt64, slack: UInt64) -> Bool {
        guard let until = waitsUntil else { return false }
        let (end, overflow) = deadline.addingReportingOverflow(slack)
        guard overflow ? false : end < until else { return false }
        waitsUntil = nil
        return true
    }

    /// Takes out every sleeper due at `now`, earliest first; the loop is awake (it looks at the
    /// sleepers again before it waits).
    package mutating func takeDue(now: UInt64, into due: inout [Waiter]) {
        waitsUntil = nil
        // An entry whose sleeper is gone (ended or cancelled) finds nothing: ids are never reused.
        while let entry = heap.popDue(now: now) {
            if let sleeper = waiting.removeValue(forKey: entry.id) { due.append(sleeper.waiter) }
        }
    }

    /// Closes: no more sleepers; returns those still waiting with their deadlines.
    package mutating func close() -> [(deadline: UInt64, waiter: Waiter)] {
        isClosed = true
        let left = waiting.values.map { (deadline: $0.deadline, waiter: $0.waiter) }
        waiting = [:]
        heap = TimerHeap()
        latest = TimerHeap()
        cancelledEarly = []
        return left
    }
}
