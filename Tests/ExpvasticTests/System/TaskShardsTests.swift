import ExpvasticTestSupport
import Synchronization
import Testing

@testable import Expvastic

/// Children spread over shards of bounded size, all run, and shards are reused once children end.
@Suite struct TaskShardsTests {
    @Test func childrenRunInShardsOfAtMostTheCapacity() async {
        let ran = Atomic<Int>(0)
        let release = Latch()
        await withDiscardingTaskGroup { group in
            var shards = TaskShards(capacity: 4)
            for _ in 0..<10 {
                shards.addTask(in: &group) {
                    ran.add(1, ordering: .relaxed)
                    await release.wait()
                }
            }
            // 10 live children, at most 4 per shard.
            #expect(shards.shardCount == 3)
            #expect(shards.liveCounts == [4, 4, 2])
            release.open()
            do {
                try await eventually("every child ran") { ran.load(ordering: .relaxed) == 10 }
                try await eventually("every child ended") { shards.liveCounts == [0, 0, 0] }
            } catch {
                Issue.record(error)
            }
            // New children go to the shards that have room again.
            for _ in 0..<6 { shards.addTask(in: &group) { ran.add(1, ordering: .relaxed) } }
            #expect(shards.shardCount == 3)
            shards.finish()
        }
        #expect(ran.load(ordering: .relaxed) == 16)
    }
}
