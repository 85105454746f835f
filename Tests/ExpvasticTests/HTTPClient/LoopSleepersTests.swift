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
}
