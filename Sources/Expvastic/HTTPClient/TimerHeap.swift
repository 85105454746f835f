import ExpvasticBase

/// A min-heap of deadlines (monotonic nanoseconds) with an identifier each. The event loop waits
/// until the earliest one and pops everything due. Entries are not removed when their owner
/// finishes early (lazy deletion): the owner of the loop drops finished entries when they reach the
/// top, which keeps the common path — a request that completes in time — to one push and one pop.
package struct TimerHeap: Sendable {
    package struct Entry: Sendable, Equatable {
        package var deadline: UInt64
        package var id: UInt64
    }

    private var entries: [Entry] = []

    package var isEmpty: Bool { entries.isEmpty }
    package var count: Int { entries.count }

    /// The earliest deadline, if any.
    package var earliest: UInt64? { entries.first?.deadline }

    /// The earliest entry, if any.
    package var first: Entry? { entries.first }

    package mutating func push(deadline: UInt64, id: UInt64) {
        entries.append(Entry(deadline: deadline, id: id))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if entries[parent].deadline <= entries[child].deadline { break }
            entries.swapAt(parent, child)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if its deadline is at or before `now`.
    package mutating func popDue(now: UInt64) -> Entry? {
        guard let first = entries.first, first.deadline <= now else { return nil }
        return popFirst()
    }

    /// Removes and returns the earliest entry.
    @discardableResult
    package mutating func popFirst() -> Entry? {
        guard let first = entries.first else { return nil }
        let last = entries.removeLast()
        if entries.isEmpty { return first }
        entries[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            if left >= entries.count { break }
            let right = left + 1
            let smaller = right < entries.count && entries[right].deadline < entries[left].deadline ? right : left
            if entries[parent].deadline <= entries[smaller].deadline { break }
            entries.swapAt(parent, smaller)
            parent = smaller
        }
        return first
    }
}
