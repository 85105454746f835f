import Expvastic
import Testing

/// The wall-anchored grid behind slot-based ids.
@Suite struct PollScheduleSlotTests {
    let target = TargetID(reader: "api", endpoint: "http://10.0.0.1:8080/debug/vars")
    let second: UInt64 = 1_000_000_000
    let epoch: Int64 = 1_795_284_000_000_000_000

    @Test func twoProcessesStartedAtDifferentTimesShareTheGridAndTheSlots() throws {
        // Process A starts at wall `epoch`, its monotonic clock at 5 s; B starts 2.3 s later, monotonic 900 s.
        let a = PollSchedule(
            target: target, intervalNanos: second, backoffThreshold: 5, startNanos: 5 * second, startWallNanos: epoch)
        let b = PollSchedule(
            target: target, intervalNanos: second, backoffThreshold: 5, startNanos: 900 * second,
            startWallNanos: epoch + 2_300_000_000)
        // Wall time of each one's first tick.
        let wallA = epoch + Int64(a.nextDeadline - 5 * second)
        let wallB = epoch + 2_300_000_000 + Int64(b.nextDeadline - 900 * second)
        let phase = Int64(StableHash.mixed64(target.reader, target.endpoint) % second)
        #expect((wallA - phase) % Int64(second) == 0)
        #expect((wallB - phase) % Int64(second) == 0)
        #expect(wallA >= epoch && wallA < epoch + Int64(second))
        let slotA = try #require(a.slot(ofTick: a.nextDeadline))
        let slotB = try #require(b.slot(ofTick: b.nextDeadline))
        #expect(slotA.index == (wallA - phase) / Int64(second))
        // B's first tick is A's tick 2 or 3 (2.3 s later): same wall time, same slot.
        let ticksApart = (wallB - wallA) / Int64(second)
        #expect(ticksApart == 2 || ticksApart == 3)
        #expect(a.slot(ofTick: a.nextDeadline + UInt64(ticksApart) * second) == slotB)
        #expect(slotB.intervalNanos == second)
    }

    @Test func theGridDoesNotMoveWhenPollsRunLateOrFail() throws {
        var schedule = PollSchedule(
            target: target, intervalNanos: second, backoffThreshold: 5, startNanos: 0, startWallNanos: epoch)
        let first = schedule.nextDeadline
        let firstSlot = try #require(schedule.slot(ofTick: first))
        _ = schedule.pollFinished(
            startedNanos: first + 40_000_000, finishedNanos: first + 2_500_000_000, succeeded: true)
        // Two ticks were skipped while the poll ran; the next one is still on the grid, slot + 3.
        #expect(schedule.nextDeadline == first + 3 * second)
        #expect(schedule.slot(ofTick: schedule.nextDeadline)?.index == firstSlot.index + 3)
    }

    @Test func slotIDsAreSharedWithinAnIntervalAndDifferAcrossTargetsAndSlots() {
        let slot = PollSlot(index: 1_795_284_000, intervalNanos: second)
        let id = DocumentID.make(reader: "api", endpoint: target.endpoint, slot: slot)
        #expect(id == DocumentID.make(reader: "api", endpoint: target.endpoint, slot: slot))
        #expect(id.count == 32)
        #expect(id != DocumentID.make(reader: "api", endpoint: "http://10.0.0.2:8080/debug/vars", slot: slot))
        #expect(
            id
                != DocumentID.make(
                    reader: "api", endpoint: target.endpoint,
                    slot: PollSlot(index: slot.index + 1, intervalNanos: second)))
        #expect(id != DocumentID.make(reader: "api", endpoint: target.endpoint, entity: "db", slot: slot))
        // Every version gives a slot the same id: FNV-1a 128 of `reader FF endpoint FF [entity FE]
        // "slot:<interval>:<index>"` (values from an independent implementation).
        #expect(id == "0254fdc9f52b6ac69f186cbb14da5fe5")
        #expect(
            DocumentID.make(
                reader: "api", endpoint: target.endpoint, entity: "db",
                slot: PollSlot(index: -3, intervalNanos: 20_000_000)) == "e1ab75cd7542559288a692e8040975ac")
        // The timestamp-based ids of earlier versions are unchanged.
        #expect(DocumentID.make(reader: "a", endpoint: "b", timestampMillis: 0) == "36cc25110283d94f708145dd5909c666")
    }
}
