import Expvastic
import Testing

/// The real clock's sleeps (served by one scheduler thread): never early, cancellable at any point, and usable again after the thread went idle.
@Suite struct SystemClockTests {
    let millisecond: UInt64 = 1_000_000

    @Test func sleepersRegisteredOutOfOrderAllWakeAndNeverEarly() async throws {
        let clock = SystemClock()
        let start = clock.monotonicNanos()
        // Registered out of order; deadlines 5 ms apart.
        let offsets = [4, 1, 3, 0, 2]
        let woke = try await withThrowingTaskGroup(of: (Int, UInt64).self) { group in
            for offset in offsets {
                group.addTask {
                    try await clock.sleep(untilMonotonic: start + UInt64(offset + 1) * 5 * millisecond)
                    return (offset, clock.monotonicNanos())
                }
            }
            var woke: [Int: UInt64] = [:]
            for try await (offset, time) in group { woke[offset] = time }
            return woke
        }
        #expect(woke.keys.sorted() == [0, 1, 2, 3, 4])
        for (offset, time) in woke {
            #expect(time >= start + UInt64(offset + 1) * 5 * millisecond, "sleeper \(offset) woke early")
        }
    }

    /// Many sleepers in the heap at once, a third of them cancelled from the middle of it while the
    /// others wake, two rounds so freed places are used again: every sleeper ends exactly once,
    /// the cancelled ones with `CancellationError`, the others never early.
    @Test func manySleepersWithCancellationsFromTheMiddleOfTheHeap() async throws {
        let clock = SystemClock()
        var generator = SystemRandomNumberGenerator()
        for round in 0..<2 {
            let start = clock.monotonicNanos()
            let deadlines = (0..<300).map { _ in start + UInt64.random(in: 1...60, using: &generator) * millisecond }
            let sleepers = deadlines.map { deadline in
                Task { () -> (deadline: UInt64, woke: UInt64)? in
                    do {
                        try await clock.sleep(untilMonotonic: deadline)
                        return (deadline, clock.monotonicNanos())
                    } catch {
                        return nil
                    }
                }
            }
            let cancelled = Set((0..<sleepers.count).filter { $0 % 3 == round })
            for index in cancelled.shuffled() {
                sleepers[index].cancel()
                if index % 10 == 0 { try await clock.sleep(for: .milliseconds(1)) }
            }
            for (index, sleeper) in sleepers.enumerated() {
                let result = await sleeper.value
                if let result {
                    #expect(result.woke >= result.deadline, "round \(round): sleeper \(index) woke early")
                } else {
                    #expect(
                        cancelled.contains(index), "round \(round): sleeper \(index) failed without being cancelled")
                }
            }
        }
    }

    @Test func cancellingASleeperEndsItAtOnceAndSparesTheOthers() async throws {
        let clock = SystemClock()
        let start = clock.monotonicNanos()
        let long = Task { try await clock.sleep(untilMonotonic: start + 60_000 * millisecond) }
        let short = Task { try await clock.sleep(untilMonotonic: start + 20 * millisecond) }
        try await clock.sleep(for: .milliseconds(5))
        long.cancel()
        await #expect(throws: CancellationError.self) { try await long.value }
        #expect(clock.monotonicNanos() - start < 10_000 * millisecond)
        try await short.value
        #expect(clock.monotonicNanos() - start >= 20 * millisecond)
    }

    @Test func aTaskCancelledBeforeItSleepsDoesNotSleep() async {
        let clock = SystemClock()
        let start = clock.monotonicNanos()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await clock.sleep(untilMonotonic: start + 60_000 * millisecond)
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(clock.monotonicNanos() - start < 10_000 * millisecond)
    }

    @Test func aSleepMayEndLateByItsSlackSoNeighboursShareAWakeUp() async throws {
        let clock = SystemClock(sleepTolerance: .milliseconds(10))
        let start = clock.monotonicNanos()
        // 64 ms gives 1 ms of slack (1/64), so the first waits for its slack, and the second, due
        // 0.5 ms later, is due by then.
        async let second: UInt64 = {
            try await clock.sleep(untilMonotonic: start + 64 * millisecond + millisecond / 2)
            return clock.monotonicNanos()
        }()
        try await clock.sleep(untilMonotonic: start + 64 * millisecond)
        let first = clock.monotonicNanos()
        #expect(first >= start + 64 * millisecond + 9 * millisecond / 10, "ended before its slack")
        #expect(try await second >= start + 64 * millisecond + millisecond / 2)
    }

    @Test func sleepingWorksAgainAfterTheSchedulerWentIdle() async throws {
        let clock = SystemClock()
        for _ in 0..<3 {
            let start = clock.monotonicNanos()
            try await clock.sleep(for: .milliseconds(2))
            #expect(clock.monotonicNanos() - start >= 2 * millisecond)
            // Let the scheduler thread see an empty heap and exit.
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
