import Expvastic
import ExpvasticTestSupport
import Testing

@Suite struct InMemorySpoolTests {
    typealias F = SpoolFixtures

    @Test func peekAndAcknowledgeLikeTheFileSpool() throws {
        let spool = InMemorySpool()
        #expect(try spool.peek(maxDocuments: 3) == nil)
        try spool.append(F.documents(0..<5))
        let first = try #require(try spool.peek(maxDocuments: 3))
        try spool.append(F.documents(5..<6))
        #expect(try spool.peek(maxDocuments: 3) == first)
        #expect(first.documents.map(\.id) == ["app-0", "app-1", "app-2"])
        try spool.acknowledge(first)
        try spool.acknowledge(first)
        #expect(spool.acknowledgedDocuments == 3)
        #expect(try F.drain(spool).map(\.id) == ["app-3", "app-4", "app-5"])
        #expect(spool.usage == SpoolUsage())
    }

    @Test func boundedSpoolDropsTheOldestAndIgnoresStalePositions() throws {
        let spool = InMemorySpool(maxDocuments: 4)
        try spool.append(F.documents(0..<3))
        let outstanding = try #require(try spool.peek(maxDocuments: 2))
        try spool.append(F.documents(3..<7))
        #expect(spool.usage.droppedDocuments == 3)
        #expect(spool.documents.map(\.id) == ["app-3", "app-4", "app-5", "app-6"])
        try spool.acknowledge(outstanding)
        #expect(spool.acknowledgedDocuments == 0)
        #expect(try F.drain(spool).map(\.id) == ["app-3", "app-4", "app-5", "app-6"])
    }

    @Test func appendsFailOnDemand() throws {
        let spool = InMemorySpool()
        let failure = SpoolError(code: "spool_io", message: "disk full")
        spool.failAppends(with: failure)
        #expect(throws: failure) { try spool.append(F.documents(0..<1)) }
        spool.failAppends(with: nil)
        try spool.append(F.documents(1..<2))
        #expect(spool.appendCalls == 2)
        #expect(spool.documents.map(\.id) == ["app-1"])
    }
}
