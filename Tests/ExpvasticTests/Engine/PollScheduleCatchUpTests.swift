import Expvastic
import Testing

/// The catch-up poll of a target taken over from another pool member: due at once, for the slot in
/// progress (the slot the old owner used in that interval), then the grid as usual.
@Suite struct PollScheduleCatchUpTests {
    let target = TargetID(reader: "api", endpoint: "http://10.0.0.1:8080/debug/vars")
    let second: UInt64 = 1_000_000_000
    let epoch: Int64 = 1_795_284_000_000_000_000

    var phase: Int64 { Int64(StableHash.mixed64(target.reader, target.endpoint) % second) }

    /// A schedule started at wall `wall` (monotonic `start`).
    func schedule(wall: Int64, start: UInt64, catchUp: Bool, interval: UInt64? = nil, backoff: Int = 5)
        -> PollSchedule
    {
        PollSchedule(
            target: target, intervalNanos: interval ?? second, backoffThreshold: backoff, startNanos: start,
            startWallNanos: wall, catchUp: catchUp)
    }

    @Test func aCatchUpPollIsDueAtOnceForTheSlotTheOldOwnerWasIn() throws {
        // The old owner has polled on the grid since `epoch`; the new owner starts 7.4 s later.
        let old = schedule(wall: epoch, start: 50 * second, catchUp: false)
        let takeover = epoch + 7_400_000_000
        var new = schedule(wall: takeover, start: 3 * second, catchUp: true)
        #expect(new.nextDeadline == 3 * second)
        let caughtUp = try #require(new.nextSlot)
        #expect(new.catchUpSlot == caughtUp)
        // The slot in progress at the takeover: its tick is the last one at or before that wall time.
        #expect(caughtUp.index == (takeover - phase) / Int64(second))
        #expect(caughtUp.intervalNanos == second)
        // The old owner's slot for the tick that started that interval is the same slot: one `_id`.
        let oldTicks = UInt64((takeover - epoch) / Int64(second))
        let oldTick = old.tick(atOrAfter: 50 * second + 7_400_000_000) - second
        #expect(oldTicks >= 6)
        #expect(old.slot(ofTick: oldTick) == caughtUp)
        // After the catch-up poll (40 ms), the grid goes on with the next slot at its tick.
        let plain = schedule(wall: takeover, start: 3 * second, catchUp: false)
        let outcome = new.pollFinished(
            startedNanos: 3 * second, finishedNanos: 3 * second + 40_000_000, succeeded: true)
        #expect(outcome.skippedTicks == 0)
        #expect(new.catchUpSlot == nil)
        #expect(new.nextDeadline == plain.nextDeadline)
        #expect(new.nextSlot?.index == caughtUp.index + 1)
        #expect(new.nextSlot == plain.nextSlot)
    }

    @Test func withoutCatchUpTheFirstPollWaitsForTheNextTick() throws {
        let start = epoch + 7_400_000_000
        let plain = schedule(wall: start, start: 3 * second, catchUp: false)
        #expect(plain.catchUpSlot == nil)
        #expect(plain.nextDeadline > 3 * second)
        #expect(plain.nextSlot?.index == (start - phase) / Int64(second) + 1)
    }

    @Test func aStartExactlyOnATickHasNothingToCatchUp() throws {
        // Wall time exactly on the target's grid: the tick in progress is now.
        let onTick = epoch - epoch % Int64(second) + phase
        let new = schedule(wall: onTick, start: 3 * second, catchUp: true)
        #expect(new.catchUpSlot == nil)
        #expect(new.nextDeadline == 3 * second)
        #expect(new.nextSlot?.index == (onTick - phase) / Int64(second))
    }

    @Test func aCatchUpPollThatRunsPastTheNextTickSkipsItAndStaysOnTheGrid() throws {
        let start = epoch + 7_400_000_000
        let plain = schedule(wall: start, start: 3 * second, catchUp: false)
        var new = schedule(wall: start, start: 3 * second, catchUp: true)
        let caughtUp = try #require(new.catchUpSlot)
        // The poll ends half a second after the first grid tick.
        let outcome = new.pollFinished(
            startedNanos: 3 * second, finishedNanos: plain.nextDeadline + 500_000_000, succeeded: true)
        #expect(outcome.skippedTicks == 1)
        #expect(new.nextDeadline == plain.nextDeadline + second)
        #expect(new.nextSlot?.index == caughtUp.index + 2)
    }

    @Test func aFailedCatchUpPollBacksOffFromTheSlotItStoodFor() throws {
        let start = epoch + 7_400_000_000
        let plain = schedule(wall: start, start: 3 * second, catchUp: false, backoff: 1)
        var new = schedule(wall: start, start: 3 * second, catchUp: true, backoff: 1)
        let outcome = new.pollFinished(startedNanos: 3 * second, finishedNanos: 3 * second + 1_000, succeeded: false)
        #expect(outcome.transition == .startedFailing)
        // One failure at threshold 1 doubles the interval: two intervals after the catch-up's own
        // tick, which is the grid's first tick plus one interval.
        #expect(new.effectiveIntervalNanos == 2 * second)
        #expect(new.nextDeadline == plain.nextDeadline + second)
    }
}

extension PollScheduleCatchUpTests {
    @Test func aCatchUpPollThatStartsAfterTheFirstTickIsThatTicksPoll() throws {
        let start = epoch + 7_400_000_000
        let plain = schedule(wall: start, start: 3 * second, catchUp: false)
        var late = schedule(wall: start, start: 3 * second, catchUp: true)
        var onTime = late
        // Started before the first tick: still the catch-up.
        onTime.starting(atNanos: plain.nextDeadline - 1)
        #expect(onTime.catchUpSlot != nil)
        #expect(onTime.nextSlot?.index == plain.nextSlot!.index - 1)
        // Started at or after it (the process was starved): the tick's own slot, and the grid goes on.
        late.starting(atNanos: plain.nextDeadline + 1_000)
        #expect(late.catchUpSlot == nil)
        #expect(late.nextSlot == plain.nextSlot)
        _ = late.pollFinished(
            startedNanos: plain.nextDeadline + 1_000, finishedNanos: plain.nextDeadline + 2_000, succeeded: true)
        #expect(late.nextDeadline == plain.nextDeadline + second)
    }
}
