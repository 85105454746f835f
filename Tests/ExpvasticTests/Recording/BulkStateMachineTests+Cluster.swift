import Testing

@testable import Expvastic

/// What the cluster as a whole says: a `413` (too large), a `cluster_block_exception` (writes
/// refused), and the dead-letter warnings that summarise rejections.
extension BulkStateMachineTests {
    /// `doc(n, bytes: 10)` in a bulk body, as the machine estimates it.
    static let docSize = 10 + 4 + 64

    @Test func payloadTooLargeTeachesASmallerByteLimitLoggedOnce() {
        var machine = Self.connected(Self.policy(maxDocs: 8))
        _ = machine.nextActions(now: 0)
        for n in 1...8 { _ = machine.accept(Self.doc(n), now: 0) }
        let first = Self.sends(machine.nextActions(now: 0))[0].batch
        #expect(first.documents.count == 8)
        machine.bulkFinished(batchID: first.id, outcome: .status(413, retryAfter: nil, reason: "too large"), now: 0)
        var step = machine.nextActions(now: 0)
        #expect(Self.logs(step) == [.bulkLimitLearned(bytes: 4 * Self.docSize)])
        #expect(machine.maxBytes == 4 * Self.docSize)
        // Halves, and nothing is dead-lettered: the documents are fine, the batch was too large.
        var sizes: [Int] = []
        var pending = Self.sends(step).map(\.batch)
        while let batch = pending.first {
            pending.removeFirst()
            sizes.append(batch.documents.count)
            machine.bulkFinished(batchID: batch.id, outcome: .allStored, now: 0)
            step = machine.nextActions(now: 0)
            #expect(Self.logs(step).isEmpty)
            pending += Self.sends(step).map(\.batch)
        }
        #expect(sizes == [4, 4])
        #expect(machine.stats.sent == 8)
        #expect(machine.stats.deadLettered == 0)
        // Later batches stay under the learned limit without asking the cluster again.
        for n in 1...8 { _ = machine.accept(Self.doc(n), now: Self.second) }
        let later = Self.sends(machine.nextActions(now: Self.second)).map(\.batch.documents.count)
        #expect(later == [4])
    }

    @Test func aSingleDocumentAboveTheClusterLimitIsDeadLetteredWithTheReason() throws {
        var machine = Self.connected(Self.policy(maxDocs: 1))
        _ = machine.nextActions(now: 0)
        _ = machine.accept(Self.doc(1, bytes: 4000), now: 0)
        let batch = Self.sends(machine.nextActions(now: 0))[0].batch
        machine.bulkFinished(batchID: batch.id, outcome: .status(413, retryAfter: nil, reason: ""), now: 0)
        let step = machine.nextActions(now: 0)
        let letters = step.actions.compactMap { action -> [Machine.DeadLetter]? in
            if case .deadLetter(let letters) = action { return letters }
            return nil
        }
        let letter = try #require(letters.first?.first)
        #expect(letter.document == Self.doc(1, bytes: 4000))
        #expect(letter.status == 413)
        #expect(letter.errorType == "request_too_large")
        #expect(letter.reason.contains("4068 bytes"))
        #expect(letter.reason.contains("http.max_content_length"))
        #expect(machine.stats.deadLettered == 1)
    }

    /// A replayed batch refused by a read-only index for 30 s, then accepted: the recorder backs
    /// off (1, 2, 4, 8, 16 s with the upper jitter bound), never appends the batch to the spool
    /// again, acknowledges it only once it passed, and logs twice.
    @Test func clusterBlockBacksOffKeepsTheSpoolAsItIsAndLogsOnTransitions() {
        var policy = Self.policy()
        policy.blockBase = .seconds(1)
        policy.blockCap = .seconds(60)
        var machine = Machine(
            policy: policy, endpointCount: 1, hasSpool: true, spoolHasData: true, random: { $0.upperBound })
        _ = machine.nextActions(now: 0)
        machine.probeSucceeded(endpoint: 0, version: Self.opensearch, now: 0)
        let spoolBatch = SpoolBatch(documents: [Self.doc(1), Self.doc(2)], position: .init(segment: 1, offset: 2))
        let blockedItems: Machine.BulkOutcome = .items([
            BulkItemResult(status: 201),
            BulkItemResult(
                status: 403, errorType: "cluster_block_exception",
                reason: "index [expvastic] blocked by: [FORBIDDEN/12/index read-only / allow delete (api)];"),
        ])
        var now: UInt64 = 0
        var sendTimes: [UInt64] = []
        var allActions: [Machine.Action] = []
        let liftedAt = 30 * Self.second
        for _ in 0..<40 {
            var step = machine.nextActions(now: now)
            allActions += step.actions
            if step.actions.contains(.peekSpool(maxDocuments: 3)) {
                machine.spoolPeeked(spoolBatch, now: now)
                step = machine.nextActions(now: now)
                allActions += step.actions
            }
            if let send = Self.sends(step).first {
                #expect(send.batch.origin == .spool(spoolBatch))
                sendTimes.append(now)
                machine.bulkFinished(
                    batchID: send.batch.id, outcome: now < liftedAt ? blockedItems : .allStored, now: now)
                #expect(machine.isBlocked == (now < liftedAt))
                step = machine.nextActions(now: now)
                allActions += step.actions
                if now >= liftedAt { break }
            }
            guard let wake = step.wakeAt else { break }
            now = wake
        }
        let second = Self.second
        #expect(sendTimes == [0, 1, 3, 7, 15, 31].map { $0 * second })
        #expect(!allActions.contains { if case .spool = $0 { true } else { false } })
        #expect(allActions.filter { $0 == .acknowledge(spoolBatch) }.count == 1)
        let logs = allActions.compactMap { action -> Machine.Transition? in
            if case .log(let transition) = action { return transition }
            return nil
        }
        #expect(logs.first == .connected(version: Self.opensearch))
        #expect(
            Array(logs.dropFirst()) == [
                .clusterBlocked(
                    reason:
                        "cluster_block_exception: index [expvastic] blocked by: [FORBIDDEN/12/index read-only / allow delete (api)];",
                    pause: .seconds(1)),
                .clusterUnblocked(blockedNanos: 31 * Self.second, attempts: 5),
            ])
        // Counted once, when the batch passed.
        #expect(machine.stats.replayed == 2)
        #expect(machine.stats.deadLettered == 0)
    }

    @Test func wholeRequestClusterBlockPausesLiveBatchesWithoutUsingUpAttempts() throws {
        var machine = Self.connected(Self.policy(maxAttempts: 2))
        _ = machine.nextActions(now: 0)
        for n in 1...3 { _ = machine.accept(Self.doc(n), now: 0) }
        var batch = Self.sends(machine.nextActions(now: 0))[0].batch
        let block: Machine.BulkOutcome = .status(
            403, retryAfter: nil, reason: "cluster_block_exception: blocked by: [FORBIDDEN/8/index write (api)];")
        var now: UInt64 = 0
        for attempt in 1...4 {
            machine.bulkFinished(batchID: batch.id, outcome: block, now: now)
            let step = machine.nextActions(now: now)
            #expect(Self.spooled(step).isEmpty)
            #expect(Self.logs(step).count == (attempt == 1 ? 1 : 0))
            // Nothing else goes out during the pause, not even new documents.
            _ = machine.accept(Self.doc(10 + attempt), now: now)
            #expect(Self.sends(machine.nextActions(now: now + 1)).isEmpty)
            now = try #require(step.wakeAt)
            let next = Self.sends(machine.nextActions(now: now))
            #expect(next.count == 1)
            batch = next[0].batch
            #expect(batch.documents == [Self.doc(1), Self.doc(2), Self.doc(3)])
        }
        machine.bulkFinished(batchID: batch.id, outcome: .allStored, now: now)
        #expect(!machine.isBlocked)
        #expect(machine.stats.sent == 3)
    }

    /// One warning a minute at most, and each says how many documents were dead-lettered since the
    /// previous one — including those that came after it and before a quiet period.
    @Test func deadLetterWarningCountsEverythingSinceTheLastOne() {
        var machine = Self.connected(Self.policy(maxDocs: 1))
        _ = machine.nextActions(now: 0)
        var counts: [Int] = []
        var now: UInt64 = 0
        for n in 1...14 {
            now = UInt64(n) * Self.second
            _ = machine.accept(Self.doc(n), now: now)
            let batch = Self.sends(machine.nextActions(now: now))[0].batch
            machine.bulkFinished(
                batchID: batch.id,
                outcome: .items([BulkItemResult(status: 400, errorType: "mapper_parsing_exception", reason: "bad")]),
                now: now)
            for case .deadLettered(let count, _, _) in Self.logs(machine.nextActions(now: now)) { counts.append(count) }
        }
        #expect(counts == [1])
        // Nothing more is rejected; the held-back thirteen are reported when the minute is up.
        let step = machine.nextActions(now: now)
        #expect(step.wakeAt == 61 * Self.second)
        let later = Self.logs(machine.nextActions(now: 61 * Self.second))
        #expect(later == [.deadLettered(count: 13, status: 400, reason: "mapper_parsing_exception: bad")])
        #expect(machine.nextActions(now: 200 * Self.second).actions.isEmpty)
        #expect(machine.stats.deadLettered == 14)
    }
}
