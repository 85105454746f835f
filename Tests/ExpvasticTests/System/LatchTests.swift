import Synchronization
import Testing

@testable import Expvastic

@Suite struct LatchTests {
    @Test func onOpenRunsEachActionOnceWhenTheLatchOpens() {
        let latch = Latch()
        let runs = Mutex<[String]>([])
        latch.onOpen { runs.withLock { $0.append("a") } }
        latch.onOpen { runs.withLock { $0.append("b") } }
        #expect(runs.withLock { $0 }.isEmpty)
        latch.open()
        #expect(runs.withLock { $0 } == ["a", "b"])
        latch.open()
        #expect(runs.withLock { $0 } == ["a", "b"])
    }

    @Test func onOpenOnAnOpenLatchRunsAtOnce() async {
        let latch = Latch()
        latch.open()
        let runs = Mutex(0)
        latch.onOpen { runs.withLock { $0 += 1 } }
        #expect(runs.withLock { $0 } == 1)
        await latch.wait()
        #expect(latch.isOpen)
    }
}
