import Expvastic
import ExpvasticTestSupport
import Testing

@Suite struct ProcessStatsTests {
    @Test func readsPlausibleValues() async throws {
        let first = try #require(ProcessStats.current())
        #expect(first.rssBytes > 1 << 20)
        #expect(first.rssBytes < 64 << 30)
        // Burn a little CPU so the counter moves (on a thread of its own, not on the shared pool).
        let x = await Blocking.run { () -> UInt64 in
            var x: UInt64 = 1
            for i in 0..<5_000_000 { x = x &* 6_364_136_223_846_793_005 &+ UInt64(i) }
            return x
        }
        let second = try #require(ProcessStats.current())
        #expect(x != 0)
        #expect(second.cpuSeconds >= first.cpuSeconds)
        #expect(second.cpuSeconds > 0)
    }
}
