import Synchronization
import Testing

@testable import Expvastic

@Suite struct LatchTests {
    /// An action registered before the latch opens runs once when it opens; one registered after
    /// runs at once; opening again runs nothing twice.
    @Test func whenOpenRunsEachActionOnce() {
        let latch = Latch()
        let runs = Mutex<[String]>([])
        latch.whenOpen { runs.withLock { $0.append("early") } }
        #expect(runs.withLock { $0 }.isEmpty)
        latch.open()
        #expect(runs.withLock { $0 } == ["early"])
        latch.whenOpen { runs.withLock { $0.append("late") } }
        #expect(runs.withLock { $0 } == ["early", "late"])
        latch.open()
        #expect(runs.withLock { $0 } == ["early", "late"])
    }
}
