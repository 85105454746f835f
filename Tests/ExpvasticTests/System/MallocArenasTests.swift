import Testing

@testable import Expvastic

/// Sets the test process to one arena as well: harmless (malloc tuning only).
@Suite struct MallocArenasTests {
    @Test func setsOneArenaUnlessTheEnvironmentDecides() {
        #expect(!MallocArenas.useOne(environment: ["MALLOC_ARENA_MAX": "4"]))
        #expect(MallocArenas.useOne(environment: [:]))
    }
}
