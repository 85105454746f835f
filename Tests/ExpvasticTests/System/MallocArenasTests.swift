import Testing

@testable import Expvastic

/// Leaves the test process's arenas alone (a process-wide setting): checks that `mallopt` is found
/// and that `MALLOC_ARENA_MAX` in the environment wins.
@Suite struct MallocArenasTests {
    @Test func findsMalloptAndLeavesTheEnvironmentsChoice() {
        #expect(MallocArenas.mallopt != nil)
        #expect(!MallocArenas.useOne(environment: ["MALLOC_ARENA_MAX": "4"]))
    }
}
