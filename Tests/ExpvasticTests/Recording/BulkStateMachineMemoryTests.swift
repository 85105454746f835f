import Testing

@testable import Expvastic

/// `queue_max_bytes` (issue 12, item 7): memory stays bounded by bytes, not only by documents.
@Suite struct BulkStateMachineMemoryTests {
    typealias T = BulkStateMachineTests

    static func policy(queueMaxBytes: Int) -> BulkPolicy {
        var policy = T.policy(maxDocs: 3, queueSize: 10_000)
        policy.queueMaxBytes = queueMaxBytes
        return policy
    }

    @Test func overTheByteBoundNewDocumentsGoToTheSpool() {
        let size = BulkEncoder.estimatedSize(of: T.doc(1, bytes: 1_000))
        var machine = T.connected(Self.policy(queueMaxBytes: 2 * size))
        _ = machine.nextActions(now: 0)
        for n in 1...2 { _ = machine.accept(T.doc(n, bytes: 1_000), now: 0) }
        #expect(machine.bytesInMemory == 2 * size)
        _ = machine.accept(T.doc(3, bytes: 1_000), now: 0)
        let step = machine.nextActions(now: 0)
        #expect(T.spooled(step) == [T.doc(3, bytes: 1_000)])
        #expect(machine.stats.dropped == 0)
    }

    /// 300 KB documents, a spool that cannot be written and a cluster that never answers: memory
    /// stays within the bound, the oldest are dropped, counted and logged.
    @Test func unwritableSpoolKeepsMemoryWithinTheByteBound() {
        let bytes = 300_000
        let size = BulkEncoder.estimatedSize(of: T.doc(0, bytes: bytes))
        let bound = 20 * size
        var machine = T.connected(Self.policy(queueMaxBytes: bound))
        var now: UInt64 = 0
        var dropLogs = 0
        var peak = 0
        for n in 0..<400 {
            _ = machine.accept(T.doc(n, bytes: bytes), now: now)
            peak = max(peak, machine.bytesInMemory)
            let step = machine.nextActions(now: now)
            for action in step.actions {
                if case .spool(let documents, _) = action {
                    machine.spoolFailed(documents, reason: "read-only file system", now: now)
                }
            }
            dropLogs += T.logs(step).filter { if case .dropped = $0 { true } else { false } }.count
            peak = max(peak, machine.bytesInMemory)
            now += 250 * T.millisecond
        }
        #expect(peak <= bound + size)
        #expect(machine.stats.dropped > 300)
        #expect(machine.stats.dropped + machine.documentsInMemory + machine.stats.spooled <= 400)
        #expect(dropLogs > 0)
    }
}

extension BulkStateMachineMemoryTests {
    /// A spool append encodes its documents into one buffer: a full queue is spooled in pieces of at
    /// most `bulk_max_bytes`, so it never needs a second copy of itself in memory.
    @Test func spoolingAFullQueueGoesInBulkSizedPieces() {
        let size = BulkEncoder.estimatedSize(of: T.doc(0, bytes: 1_000))
        var policy = Self.policy(queueMaxBytes: 1 << 30)
        policy.maxBytes = 3 * size
        policy.maxDocs = 1_000
        var machine = BulkStateMachine(policy: policy, endpointCount: 1, hasSpool: true, random: { $0.upperBound })
        _ = machine.nextActions(now: 0)
        machine.probeFailed(endpoint: 0, reason: "connection refused", now: 0)
        for n in 0..<10 { _ = machine.accept(T.doc(n, bytes: 1_000), now: 0) }
        let pieces = machine.nextActions(now: 0).actions.compactMap { action -> [Document]? in
            if case .spool(let documents, _) = action { return documents }
            return nil
        }
        #expect(pieces.map(\.count) == [3, 3, 3, 1])
        #expect(pieces.flatMap { $0 } == (0..<10).map { T.doc($0, bytes: 1_000) })
    }
}
