import Testing

@testable import Expvastic
@testable import ExpvasticCodecs

@Suite struct LoopSleepersTests {
    @Test func wakesAtTheEarliestLatestEndAndEndsEverySleepDueThen() {
        var sleepers = LoopSleepers<String>()
        #expect(sleepers.wakeTime() == nil)
        let added1 = sleepers.add(id: 1, deadline: 100, slack: 10, waiter: "a")
        #expect(added1)
        let added2 = sleepers.add(id: 2, deadline: 105, slack: 1, waiter: "b")
        #expect(added2)
        let added3 = sleepers.add(id: 3, deadline: 200, slack: 3, waiter: "c")
        #expect(added3)
        // b must end by 106 (105 plus its slack), which is before a's latest end (110).
        #expect(sleepers.wakeTime() == 106)
        #expect(sleepers.takeDue(now: 99).isEmpty)
        // Woken at 106: both sleeps due by then end on that one wake-up, earliest first.
        #expect(sleepers.takeDue(now: 106) == ["a", "b"])
        #expect(sleepers.wakeTime() == 203)
        #expect(sleepers.count == 1)
    }

    /// Adding sleepers from another thread wakes the loop only when it waits past their end, once
    /// per wait, and never while it is awake (it looks at the sleepers before it waits again).
    @Test func aSleeperAddedFromElsewhereWakesTheLoopOnlyWhenItWaitsPastItsEnd() {
        var sleepers = LoopSleepers<String>()
        var wakes: [Bool] = []
        _ = sleepers.add(id: 1, deadline: 100, slack: 0, waiter: "a")
        // Awake: nobody needs to wake it.
        wakes.append(sleepers.wakeNeeded(deadline: 10, slack: 0))
        let firstWait = sleepers.waitTime()
        _ = sleepers.add(id: 2, deadline: 150, slack: 0, waiter: "later")
        wakes.append(sleepers.wakeNeeded(deadline: 150, slack: 0))
        wakes.append(sleepers.wakeNeeded(deadline: 100, slack: 0))
        _ = sleepers.add(id: 3, deadline: 90, slack: 5, waiter: "earlier")
        wakes.append(sleepers.wakeNeeded(deadline: 90, slack: 5))
        // Already woken for this wait.
        wakes.append(sleepers.wakeNeeded(deadline: 50, slack: 0))
        let secondWait = sleepers.waitTime()
        wakes.append(sleepers.wakeNeeded(deadline: 50, slack: 0))
        // Woken: it takes what is due and is awake again.
        let due = sleepers.takeDue(now: 95)
        wakes.append(sleepers.wakeNeeded(deadline: 1, slack: 0))
        #expect(firstWait == 100)
        #expect(secondWait == 95)
        #expect(due == ["earlier"])
        #expect(wakes == [false, false, false, true, false, true, false])
        // Nobody asleep: the loop waits for ever and any sleeper wakes it, except one whose end
        // is past `UInt64.max`.
        var empty = LoopSleepers<String>()
        let idleWait = empty.waitTime()
        let overflowing = empty.wakeNeeded(deadline: .max, slack: 1)
        let any = empty.wakeNeeded(deadline: 1_000, slack: 0)
        #expect(idleWait == nil)
        #expect(!overflowing && any)
    }

    @Test func aLargeSlackNeverDelaysALaterSleeperWithASmallOne() {
        var sleepers = LoopSleepers<String>()
        _ = sleepers.add(id: 1, deadline: 50, slack: 50, waiter: "sync")
        _ = sleepers.add(id: 2, deadline: 60, slack: 1, waiter: "poll")
        #expect(sleepers.wakeTime() == 61)
        // The sync's deadline passed too: it shares the poll's wake-up.
        #expect(sleepers.takeDue(now: 61) == ["sync", "poll"])
        #expect(sleepers.wakeTime() == nil)
    }

    @Test func aCancelledSleeperLeavesAndNoLongerDecidesTheWakeTime() {
        var sleepers = LoopSleepers<String>()
        _ = sleepers.add(id: 1, deadline: 100, slack: 0, waiter: "a")
        _ = sleepers.add(id: 2, deadline: 300, slack: 0, waiter: "b")
        #expect(sleepers.cancel(id: 1) == "a")
        #expect(sleepers.cancel(id: 1) == nil)
        #expect(sleepers.wakeTime() == 300)
        #expect(sleepers.takeDue(now: 1000) == ["b"])
        #expect(sleepers.wakeTime() == nil)
    }

    @Test func aSleeperCancelledBeforeItArrivesIsRefused() {
        var sleepers = LoopSleepers<String>()
        #expect(sleepers.cancel(id: 7) == nil)
        let added4 = sleepers.add(id: 7, deadline: 100, slack: 0, waiter: "late")
        #expect(!added4)
        #expect(sleepers.count == 0)
        // An id forgotten after its sleep ended is not refused later (ids are never reused anyway).
        _ = sleepers.cancel(id: 8)
        sleepers.forget(id: 8)
        let added5 = sleepers.add(id: 8, deadline: 100, slack: 0, waiter: "x")
        #expect(added5)
    }

    @Test func closingHandsBackEveryoneStillWaitingAndRefusesNewcomers() {
        var sleepers = LoopSleepers<String>()
        _ = sleepers.add(id: 1, deadline: 100, slack: 0, waiter: "a")
        _ = sleepers.add(id: 2, deadline: 50, slack: 0, waiter: "b")
        let left = sleepers.close()
        #expect(left.map(\.waiter).sorted() == ["a", "b"])
        #expect(left.first { $0.waiter == "b" }?.deadline == 50)
        #expect(sleepers.isClosed)
        let added6 = sleepers.add(id: 3, deadline: 10, slack: 0, waiter: "c")
        #expect(!added6)
        #expect(sleepers.wakeTime() == nil)
    }

    @Test func slackNeverOverflowsTheWakeTime() {
        var sleepers = LoopSleepers<Int>()
        _ = sleepers.add(id: 1, deadline: .max - 1, slack: 10, waiter: 1)
        #expect(sleepers.wakeTime() == .max)
    }

    /// Sleepers cancelled long before their deadline (engines polling hourly whose targets come and
    /// go) do not keep their heap entries: the heaps stay within about twice the sleepers', and the
    /// sleepers left end when they are due, earliest first, with the right wake time.
    @Test func cancelledSleepersDoNotPileUpInTheHeaps() {
        var sleepers = LoopSleepers<UInt64>()
        for id in UInt64(1)...10 { _ = sleepers.add(id: id, deadline: 1_000 - id, slack: 0, waiter: 1_000 - id) }
        var most = 0
        for id in UInt64(11)...10_010 {
            _ = sleepers.add(id: id, deadline: 5_000 + id, slack: 7, waiter: id)
            if id % 2 == 0 {
                _ = sleepers.cancel(id: id)
            } else {
                _ = sleepers.remove(id: id)
            }
            most = max(most, sleepers.heapEntries)
        }
        #expect(most <= 2 * (2 * 11 + 64 + 1))
        #expect(sleepers.count == 10)
        #expect(sleepers.wakeTime() == 990)
        #expect(sleepers.takeDue(now: 995) == [990, 991, 992, 993, 994, 995])
        #expect(sleepers.takeDue(now: 100_000) == [996, 997, 998, 999])
        #expect(sleepers.wakeTime() == nil)
    }
}

extension LoopSleepers {
    /// ``takeDue(now:into:)`` into a new array (the loop keeps its own buffer).
    fileprivate mutating func takeDue(now: UInt64) -> [Waiter] {
        var due: [Waiter] = []
        takeDue(now: now, into: &due)
        return due
    }
}
