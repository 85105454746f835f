import Expvastic
import Testing

@Suite struct PollScheduleTests {
    let second: UInt64 = 1_000_000_000

    @Test func hundredReadersSpreadAcrossTheInterval() {
        let interval = second
        let phases = (0..<100).map { PollSchedule.phase(of: "app_\($0)", intervalNanos: interval) }
        #expect(phases.allSatisfy { $0 < interval })
        // Ten equal buckets across the interval: every one is used, none holds more than a quarter.
        var buckets = [Int](repeating: 0, count: 10)
        for phase in phases { buckets[Int(phase / (interval / 10))] += 1 }
        #expect(buckets.allSatisfy { $0 > 0 }, "buckets: \(buckets)")
        #expect(buckets.allSatisfy { $0 <= 25 }, "buckets: \(buckets)")
        #expect(Set(phases).count == 100)
        // Stable: the same name gives the same phase.
        #expect(PollSchedule.phase(of: "app_7", intervalNanos: interval) == phases[7])
    }

    @Test func ticksStayOnTheGridWithoutDrift() {
        var schedule = PollSchedule(readerName: "a", intervalNanos: second, backoffThreshold: 5, startNanos: 0)
        let origin = schedule.nextDeadline
        for k in 0..<1000 {
            let start = schedule.nextDeadline + 3_000_000  // the poll starts 3 ms late every time
            #expect(start - 3_000_000 == origin + UInt64(k) * second)
            let outcome = schedule.pollFinished(startedNanos: start, finishedNanos: start + 50_000_000, succeeded: true)
            #expect(outcome.skippedTicks == 0)
        }
        #expect(schedule.nextDeadline == origin + 1000 * second)
    }

    @Test func slowPollSkipsTicksInsteadOfOverlapping() {
        var schedule = PollSchedule(readerName: "a", intervalNanos: second, backoffThreshold: 5, startNanos: 0)
        let start = schedule.nextDeadline
        // 3.5 intervals: ticks at +1, +2, +3 pass while it runs.
        let outcome = schedule.pollFinished(
            startedNanos: start, finishedNanos: start + 3 * second + second / 2, succeeded: true)
        #expect(outcome.skippedTicks == 3)
        #expect(schedule.nextDeadline == start + 4 * second)
    }

    @Test func backoffDoublesUpToFiveMinutesAndSnapsBack() {
        var schedule = PollSchedule(readerName: "a", intervalNanos: second, backoffThreshold: 3, startNanos: 0)
        var gaps: [UInt64] = []
        var transitions: [PollSchedule.Transition?] = []
        for _ in 0..<15 {
            let start = schedule.nextDeadline
            let outcome = schedule.pollFinished(startedNanos: start, finishedNanos: start + 1000, succeeded: false)
            transitions.append(outcome.transition)
            gaps.append((schedule.nextDeadline - start) / second)
        }
        #expect(gaps == [1, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300, 300, 300])
        #expect(transitions.first == .startedFailing)
        #expect(transitions.dropFirst().allSatisfy { $0 == nil })
        let start = schedule.nextDeadline
        let recovery = schedule.pollFinished(startedNanos: start, finishedNanos: start + 1000, succeeded: true)
        #expect(recovery.transition == .recovered(failures: 15))
        #expect(schedule.nextDeadline - start == second)
        #expect(schedule.consecutiveFailures == 0)
    }
}
