import Testing

@testable import Expvastic

/// The scheduler's thread outlives the moments when nobody sleeps (an engine's poll), so a shipper
/// does not create a thread per poll; after `idleLinger` with nobody sleeping it exits and the next
/// sleep starts a new one.
@Suite struct SleepSchedulerTests {
    let millisecond: UInt64 = 1_000_000

    /// One sleeper at a time with gaps between them, as one engine polls: before the thread lingered
    /// this started 20 threads.
    @Test func oneSleeperAtATimeReusesOneThread() async throws {
        let scheduler = SleepScheduler(tolerance: 0, now: SystemClock.monotonic)
        for _ in 0..<20 {
            try await scheduler.sleep(untilMonotonic: SystemClock.monotonic() + millisecond)
            // The heap is empty now, as while a poll runs.
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(scheduler.threadsStarted == 1)
    }

    @Test func anIdleThreadExitsAfterItsLingerAndANewSleepStartsAnother() async throws {
        let scheduler = SleepScheduler(tolerance: 0, idleLinger: 5 * millisecond, now: SystemClock.monotonic)
        for round in 1...3 {
            let start = SystemClock.monotonic()
            try await scheduler.sleep(untilMonotonic: start + 2 * millisecond)
            #expect(SystemClock.monotonic() >= start + 2 * millisecond)
            #expect(scheduler.threadsStarted == round)
            // The thread exits once it has been parked for its linger (bounded wait: 2 s).
            let waitStart = SystemClock.monotonic()
            while scheduler.isThreadRunning, SystemClock.monotonic() - waitStart < 2_000 * millisecond {
                try await Task.sleep(for: .milliseconds(2))
            }
            #expect(!scheduler.isThreadRunning)
        }
    }
}
