import Testing

@testable import Expvastic
@testable import ExpvasticPipeline

/// The send loop's decisions, with no I/O: events in, actions out, time passed explicitly.
@Suite struct BulkStateMachineTests {
    typealias Machine = BulkStateMachine
    static let second: UInt64 = 1_000_000_000
    static let millisecond: UInt64 = 1_000_000
    static let opensearch = ClusterVersion(distribution: .opensearch, major: 3, minor: 8)

    static func doc(_ n: Int, bytes: Int = 10) -> Document {
        Document(
            id: "id-\(n)", timestampMillis: 1_795_284_000_000 + Int64(n), reader: "r",
            body: Array(repeating: UInt8(ascii: "x"), count: bytes))
    }

    static func policy(
        maxDocs: Int = 3, maxBytes: Int = 1 << 20, queueSize: Int = 100, maxAttempts: Int = 3, template: Bool = false
    ) -> BulkPolicy {
        var policy = BulkPolicy(
            maxDocs: maxDocs, maxBytes: maxBytes, flushInterval: .seconds(1), queueSize: queueSize,
            maxAttempts: maxAttempts, installsTemplate: template)
        policy.retryBase = .milliseconds(100)
        policy.retryCap = .seconds(10)
        policy.probeBase = .seconds(1)
        policy.probeCap = .seconds(8)
        policy.replayInterval = .milliseconds(100)
        return policy
    }

    /// A machine whose endpoints answered their probes (and template, when asked).
    static func connected(
        _ policy: BulkPolicy = policy(), endpoints: Int = 1, hasSpool: Bool = true, now: UInt64 = 0
    ) -> Machine {
        var machine = Machine(
            policy: policy, endpointCount: endpoints, hasSpool: hasSpool, random: { $0.upperBound })
        let step = machine.nextActions(now: now)
        #expect(step.actions == (0..<endpoints).map { .probe(endpoint: $0) })
        for endpoint in 0..<endpoints { machine.probeSucceeded(endpoint: endpoint, version: opensearch, now: now) }
        return machine
    }

    static func sends(_ step: Machine.Step) -> [(batch: Machine.Batch, endpoint: Int)] {
        step.actions.compactMap { action in
            if case .send(let batch, let endpoint, _) = action { return (batch, endpoint) }
            return nil
        }
    }

    static func spooled(_ step: Machine.Step) -> [Document] {
        step.actions.flatMap { action -> [Document] in
            if case .spool(let documents, _) = action { return documents }
            return []
        }
    }

    static func logs(_ step: Machine.Step) -> [Machine.Transition] {
        step.actions.compactMap { action in
            if case .log(let transition) = action { return transition }
            return nil
        }
    }

    // MARK: - Start-up

    @Test func probesEveryEndpointThenInstallsTheTemplateBeforeSending() {
        var machine = Machine(
            policy: Self.policy(template: true), endpointCount: 2, hasSpool: true, random: { $0.upperBound })
        do {
            let wake = machine.accept(Self.doc(1), now: 0)
            #expect(wake)
        }
        var step = machine.nextActions(now: 0)
        #expect(step.actions == [.probe(endpoint: 0), .probe(endpoint: 1)])
        // Nothing is probed twice while the probes are out.
        #expect(machine.nextActions(now: 0).actions.isEmpty)
        machine.probeSucceeded(endpoint: 1, version: Self.opensearch, now: 0)
        step = machine.nextActions(now: 2 * Self.second)
        #expect(
            step.actions == [
                .log(.connected(version: Self.opensearch)), .installTemplate(endpoint: 1, version: Self.opensearch),
            ])
        #expect(Self.sends(machine.nextActions(now: 2 * Self.second)).isEmpty)
        machine.templateFinished(endpoint: 1, outcome: .installed, now: 2 * Self.second)
        let sends = Self.sends(machine.nextActions(now: 2 * Self.second))
        #expect(sends.map(\.batch.documents) == [[Self.doc(1)]])
        #expect(sends.map(\.endpoint) == [1])
    }

    @Test func rejectedTemplateIsLoggedAndDocumentsStillFlow() {
        var machine = Machine(
            policy: Self.policy(template: true), endpointCount: 1, hasSpool: true, random: { $0.upperBound })
        _ = machine.nextActions(now: 0)
        machine.probeSucceeded(endpoint: 0, version: Self.opensearch, now: 0)
        _ = machine.nextActions(now: 0)
        machine.templateFinished(endpoint: 0, outcome: .rejected(status: 403, reason: "security_exception"), now: 0)
        for n in 1...3 { _ = machine.accept(Self.doc(n), now: 0) }
        let step = machine.nextActions(now: 0)
        #expect(Self.logs(step) == [.templateRejected(status: 403, reason: "security_exception")])
        #expect(Self.sends(step).count == 1)
    }

    // MARK: - Batching

    @Test func flushesAtMaxDocs() {
        var machine = Self.connected()
        _ = machine.nextActions(now: 0)
        do {
            let wake = machine.accept(Self.doc(1), now: 0)
            #expect(wake)
        }
        do {
            let wake = machine.accept(Self.doc(2), now: 0)
            #expect(!wake)
        }
        do {
            let wake = machine.accept(Self.doc(3), now: 0)
            #expect(wake)
        }
        _ = machine.accept(Self.doc(4), now: 0)
        let sends = Self.sends(machine.nextActions(now: 0))
        #expect(sends.map(\.batch.documents) == [[Self.doc(1), Self.doc(2), Self.doc(3)]])
    }

    @Test func flushesAtFlushIntervalAndSaysWhenToWake() {
        var machine = Self.connected()
        _ = machine.nextActions(now: 0)
        _ = machine.accept(Self.doc(1), now: 5 * Self.millisecond)
        let early = machine.nextActions(now: 10 * Self.millisecond)
        #expect(Self.sends(early).isEmpty)
        #expect(early.wakeAt == Self.second + 5 * Self.millisecond)
        let due = machine.nextActions(now: Self.second + 5 * Self.millisecond)
        #expect(Self.sends(due).map(\.batch.documents) == [[Self.doc(1)]])
    }

    @Test func flushesAtMaxBytesAndNeverSplitsBelowOneDocument() {
        let size = BulkEncoder.estimatedSize(of: Self.doc(1, bytes: 100))
        var machine = Self.connected(Self.policy(maxDocs: 100, maxBytes: 2 * size))
        _ = machine.nextActions(now: 0)
        _ = machine.accept(Self.doc(1, bytes: 100), now: 0)
        do {
            let wake = machine.accept(Self.doc(2, bytes: 100), now: 0)
            #expect(wake)
        }
        _ = machine.accept(Self.doc(3, bytes: 100), now: 0)
        let first = Self.sends(machine.nextActions(now: 0))
        #expect(first.map { $0.batch.documents.count } == [2])
        machine.bulkFinished(batchID: first[0].batch.id, outcome: .allStored, now: 0)
        #expect(machine.stats.sent == 2)
        // A document larger than the limit still goes, alone.
        _ = machine.accept(Self.doc(4, bytes: 10_000), now: 0)
        let second = Self.sends(machine.nextActions(now: 0))
        #expect(second.map { $0.batch.documents.map(\.id) } == [["id-3"]])
        machine.bulkFinished(batchID: second[0].batch.id, outcome: .allStored, now: 0)
        #expect(Self.sends(machine.nextActions(now: 0)).map { $0.batch.documents.map(\.id) } == [["id-4"]])
    }

    @Test func oneRequestInFlightAtATimeAndRoundRobin() {
        var machine = Self.connected(endpoints: 2)
        _ = machine.nextActions(now: 0)
        for n in 1...9 { _ = machine.accept(Self.doc(n), now: 0) }
        var endpoints: [Int] = []
        for _ in 0..<3 {
            let sends = Self.sends(machine.nextActions(now: 0))
            #expect(sends.count == 1)
            #expect(Self.sends(machine.nextActions(now: 0)).isEmpty)
            endpoints.append(sends[0].endpoint)
            machine.bulkFinished(batchID: sends[0].batch.id, outcome: .allStored, now: 0)
        }
        #expect(endpoints == [0, 1, 0])
        #expect(machine.stats.sent == 9)
        #expect(machine.stats.bulkRequests == 3)
    }

    // MARK: - Per-item outcomes

    @Test func itemsAreStoredRetriedAloneOrDeadLettered() {
        var machine = Self.connected(Self.policy(maxDocs: 4))
        _ = machine.nextActions(now: 0)
        for n in 1...4 { _ = machine.accept(Self.doc(n), now: 0) }
        let batch = Self.sends(machine.nextActions(now: 0))[0].batch
        machine.bulkFinished(
            batchID: batch.id,
            outcome: .items([
                BulkItemResult(status: 201),
                BulkItemResult(status: 409, errorType: "version_conflict_engine_exception"),
                BulkItemResult(status: 429, errorType: "es_rejected_execution_exception", reason: "queue full"),
                BulkItemResult(status: 400, errorType: "mapper_parsing_exception", reason: "failed to parse [x]"),
            ]), now: 0)
        let step = machine.nextActions(now: 0)
        #expect(
            step.actions.contains(
                .deadLetter([
                    .init(
                        document: Self.doc(4), status: 400, errorType: "mapper_parsing_exception",
                        reason: "failed to parse [x]")
                ])))
        #expect(
            Self.logs(step) == [
                .deadLettered(count: 1, status: 400, reason: "mapper_parsing_exception: failed to parse [x]")
            ])
        // The 429 item waits for its backoff (attempt 1: 100 ms with the upper jitter bound), alone.
        #expect(Self.sends(step).isEmpty)
        #expect(step.wakeAt == 100 * Self.millisecond)
        #expect(Self.sends(machine.nextActions(now: 99 * Self.millisecond)).isEmpty)
        let retry = Self.sends(machine.nextActions(now: 100 * Self.millisecond))
        #expect(retry.map(\.batch.documents) == [[Self.doc(3)]])
        #expect(retry[0].batch.failures == 1)
        machine.bulkFinished(batchID: retry[0].batch.id, outcome: .items([BulkItemResult(status: 201)]), now: 0)
        #expect(machine.stats.sent == 3)
        #expect(machine.stats.retried == 1)
        #expect(machine.stats.deadLettered == 1)
        #expect(machine.stats.dropped == 0)
    }

    @Test func retryDelaysGrowAndExhaustedItemsGoToTheSpool() {
        var machine = Self.connected(Self.policy(maxDocs: 1, maxAttempts: 3))
        _ = machine.nextActions(now: 0)
        _ = machine.accept(Self.doc(1), now: 0)
        var now: UInt64 = 0
        var waits: [UInt64] = []
        for _ in 0..<3 {
            let sends = Self.sends(machine.nextActions(now: now))
            #expect(sends.count == 1)
            machine.bulkFinished(batchID: sends[0].batch.id, outcome: .items([BulkItemResult(status: 503)]), now: now)
            let step = machine.nextActions(now: now)
            if let wake = step.wakeAt {
                waits.append(wake - now)
                now = wake
            } else {
                #expect(Self.spooled(step) == [Self.doc(1)])
                if case .spool(_, let reason)? = step.actions.first(where: {
                    if case .spool = $0 { true } else { false }
                }) {
                    #expect(reason == .retriesExhausted)
                }
            }
        }
        #expect(waits == [100 * Self.millisecond, 200 * Self.millisecond])
        #expect(machine.stats.spooled == 1)
        #expect(machine.documentsInMemory == 0)
    }

    @Test func missingItemResultsAreRetried() {
        var machine = Self.connected(Self.policy(maxDocs: 2))
        _ = machine.nextActions(now: 0)
        _ = machine.accept(Self.doc(1), now: 0)
        _ = machine.accept(Self.doc(2), now: 0)
        let batch = Self.sends(machine.nextActions(now: 0))[0].batch
        machine.bulkFinished(batchID: batch.id, outcome: .items([BulkItemResult(status: 201)]), now: 0)
        let retry = Self.sends(machine.nextActions(now: Self.second))
        #expect(retry.map(\.batch.documents) == [[Self.doc(2)]])
    }

    // MARK: - Whole-request failures

    @Test func tooManyRequestsHonoursRetryAfterForEverything() {
        var machine = Self.connected()
        _ = machine.nextActions(now: 0)
        for n in 1...6 { _ = machine.accept(Self.doc(n), now: 0) }
        let first = Self.sends(machine.nextActions(now: 0))[0].batch
        machine.bulkFinished(batchID: first.id, outcome: .status(429, retryAfter: .seconds(2), reason: "busy"), now: 0)
        let paused = machine.nextActions(now: 0)
        #expect(Self.logs(paused) == [.throttled(status: 429, pause: .seconds(2))])
        #expect(Self.sends(paused).isEmpty)
        #expect(paused.wakeAt == 2 * Self.second)
        #expect(Self.sends(machine.nextActions(now: 2 * Self.second - 1)).isEmpty)
        let again = Self.sends(machine.nextActions(now: 2 * Self.second))
        #expect(again.map(\.batch.documents) == [first.documents])
        #expect(machine.stats.bulkFailures == 1)
    }

    @Test func retryAfterIsCapped() {
        var policy = Self.policy()
        policy.retryAfterCap = .seconds(30)
        var machine = Self.connected(policy)
        _ = machine.nextActions(now: 0)
        for n in 1...3 { _ = machine.accept(Self.doc(n), now: 0) }
        let batch = Self.sends(machine.nextActions(now: 0))[0].batch
        machine.bulkFinished(batchID: batch.id, outcome: .status(503, retryAfter: .seconds(86_400), reason: ""), now: 0)
        #expect(machine.nextActions(now: 0).wakeAt == 30 * Self.second)
    }

    @Test func serverErrorsRetryTheWholeBatchWithBackoff() {
        var machine = Self.connected()
        _ = machine.nextActions(now: 0)
        for n in 1...3 { _ = machine.accept(Self.doc(n), now: 0) }
        let batch = Self.sends(machine.nextActions(now: 0))[0].batch
        machine.bulkFinished(batchID: batch.id, outcome: .status(502, retryAfter: nil, reason: "bad gateway"), now: 0)
        let step = machine.nextActions(now: 0)
        #expect(Self.logs(step) == [.requestRejected(status: 502, reason: "bad gateway")])
        #expect(step.wakeAt == 100 * Self.millisecond)
        #expect(
            Self.sends(machine.nextActions(now: 100 * Self.millisecond)).map(\.batch.documents) == [batch.documents])
    }

    @Test func payloadTooLargeIsHalvedUntilTheCulpritIsAlone() {
        var machine = Self.connected(Self.policy(maxDocs: 4))
        _ = machine.nextActions(now: 0)
        for n in 1...4 { _ = machine.accept(Self.doc(n), now: 0) }
        var pending = Self.sends(machine.nextActions(now: 0)).map(\.batch)
        var sizes: [Int] = []
        while let batch = pending.first {
            pending.removeFirst()
            sizes.append(batch.documents.count)
            let outcome: Machine.BulkOutcome =
                batch.documents.contains(Self.doc(4)) ? .status(413, retryAfter: nil, reason: "too large") : .allStored
            machine.bulkFinished(batchID: batch.id, outcome: outcome, now: 0)
            pending += Self.sends(machine.nextActions(now: 0)).map(\.batch)
        }
        #expect(sizes == [4, 2, 2, 1, 1])
        #expect(machine.stats.sent == 3)
        #expect(machine.stats.deadLettered == 1)
    }

    @Test func connectionErrorRetriesTheBatchOnAnotherEndpointAndProbesTheFailingOne() {
        var machine = Self.connected(endpoints: 2)
        _ = machine.nextActions(now: 0)
        for n in 1...3 { _ = machine.accept(Self.doc(n), now: 0) }
        let first = Self.sends(machine.nextActions(now: 0))
        #expect(first.map(\.endpoint) == [0])
        machine.bulkFinished(batchID: first[0].batch.id, outcome: .connectionFailed(reason: "reset"), now: 0)
        let step = machine.nextActions(now: 0)
        #expect(step.actions.contains(.probe(endpoint: 0)))
        #expect(Self.sends(step).map(\.endpoint) == [1])
        #expect(Self.sends(step).map(\.batch.documents) == [first[0].batch.documents])
        // The endpoint does not answer: it is skipped, and re-probed later with backoff.
        machine.probeFailed(endpoint: 0, reason: "connection refused", now: 0)
        let after = machine.nextActions(now: 0)
        #expect(Self.logs(after) == [.endpointDown(endpoint: 0, reason: "connection refused")])
        #expect(after.wakeAt == Self.second)
        #expect(machine.nextActions(now: Self.second).actions == [.probe(endpoint: 0)])
        machine.probeSucceeded(endpoint: 0, version: Self.opensearch, now: Self.second)
        #expect(Self.logs(machine.nextActions(now: Self.second)) == [.endpointUp(endpoint: 0)])
    }

    // MARK: - Unreachable cluster, spool and replay

    @Test func unreachableClusterSpoolsLogsOnceAndReplaysAfterReconnecting() {
        var machine = Self.connected(Self.policy(template: true))
        #expect(machine.nextActions(now: 0).actions.contains(.installTemplate(endpoint: 0, version: Self.opensearch)))
        machine.templateFinished(endpoint: 0, outcome: .installed, now: 0)
        for n in 1...4 { _ = machine.accept(Self.doc(n), now: 0) }
        let lost = Self.sends(machine.nextActions(now: 0))[0].batch
        machine.bulkFinished(batchID: lost.id, outcome: .connectionFailed(reason: "reset"), now: 0)
        var step = machine.nextActions(now: 0)
        #expect(step.actions == [.probe(endpoint: 0)])
        machine.probeFailed(endpoint: 0, reason: "connection refused", now: 0)
        step = machine.nextActions(now: 0)
        #expect(Self.logs(step) == [.clusterUnreachable(reason: "connection refused")])
        // Everything in memory goes to disk at once, the not-yet-due fourth document included.
        #expect(Self.spooled(step) == [Self.doc(1), Self.doc(2), Self.doc(3), Self.doc(4)])
        #expect(machine.isUnreachable)
        // Probes back off (1 s, 2 s, 4 s …) and say nothing more.
        var now: UInt64 = 0
        var probeTimes: [UInt64] = []
        for _ in 0..<10 where probeTimes.count < 3 {
            now = step.wakeAt ?? now
            step = machine.nextActions(now: now)
            #expect(Self.logs(step).isEmpty)
            if step.actions.contains(.probe(endpoint: 0)) {
                probeTimes.append(now)
                machine.probeFailed(endpoint: 0, reason: "connection refused", now: now)
                step = machine.nextActions(now: now)
            }
        }
        #expect(machine.stats.spooled == 4)
        #expect(probeTimes == [Self.second, 3 * Self.second, 7 * Self.second])
        // It answers: logged once, the template is installed again, then the spool is replayed.
        now = 15 * Self.second
        step = machine.nextActions(now: now)
        #expect(step.actions == [.probe(endpoint: 0)])
        machine.probeSucceeded(endpoint: 0, version: Self.opensearch, now: now)
        step = machine.nextActions(now: now)
        #expect(Self.logs(step) == [.clusterReachable(version: Self.opensearch, downNanos: now, failedProbes: 3)])
        #expect(step.actions.contains(.installTemplate(endpoint: 0, version: Self.opensearch)))
        machine.templateFinished(endpoint: 0, outcome: .installed, now: now)
        step = machine.nextActions(now: now)
        #expect(step.actions == [.peekSpool(maxDocuments: 3)])
        let spoolBatch = SpoolBatch(
            documents: [Self.doc(1), Self.doc(2), Self.doc(3)], position: .init(segment: 1, offset: 3))
        machine.spoolPeeked(spoolBatch, now: now)
        let replay = Self.sends(machine.nextActions(now: now))
        #expect(replay.map(\.batch.origin) == [.spool(spoolBatch)])
        machine.bulkFinished(batchID: replay[0].batch.id, outcome: .allStored, now: now)
        step = machine.nextActions(now: now)
        #expect(step.actions == [.acknowledge(spoolBatch)])
        // The next replay batch waits for the replay interval (bounded rate).
        #expect(step.wakeAt == now + 100 * Self.millisecond)
        step = machine.nextActions(now: now + 100 * Self.millisecond)
        #expect(step.actions == [.peekSpool(maxDocuments: 3)])
        machine.spoolPeeked(nil, now: now)
        #expect(machine.nextActions(now: now + Self.second).actions.isEmpty)
        #expect(machine.stats.replayed == 3)
    }

    @Test func replayedItemsThatFailAreSpooledAgainBeforeTheBatchIsAcknowledged() {
        var machine = Machine(
            policy: Self.policy(), endpointCount: 1, hasSpool: true, spoolHasData: true, random: { $0.upperBound })
        _ = machine.nextActions(now: 0)
        machine.probeSucceeded(endpoint: 0, version: Self.opensearch, now: 0)
        #expect(machine.nextActions(now: 0).actions.last == .peekSpool(maxDocuments: 3))
        let spoolBatch = SpoolBatch(documents: [Self.doc(1), Self.doc(2)], position: .init(segment: 1, offset: 2))
        machine.spoolPeeked(spoolBatch, now: 0)
        let replay = Self.sends(machine.nextActions(now: 0))[0].batch
        machine.bulkFinished(
            batchID: replay.id, outcome: .items([BulkItemResult(status: 201), BulkItemResult(status: 429)]), now: 0)
        let step = machine.nextActions(now: 0)
        #expect(Array(step.actions.prefix(2)) == [.spool([Self.doc(2)], reason: .requeued), .acknowledge(spoolBatch)])
    }

    @Test func failedReplayIsNotAcknowledgedAndIsPeekedAgainLater() {
        var machine = Machine(
            policy: Self.policy(), endpointCount: 1, hasSpool: true, spoolHasData: true, random: { $0.upperBound })
        _ = machine.nextActions(now: 0)
        machine.probeSucceeded(endpoint: 0, version: Self.opensearch, now: 0)
        _ = machine.nextActions(now: 0)
        let spoolBatch = SpoolBatch(documents: [Self.doc(1)], position: .init(segment: 1, offset: 1))
        machine.spoolPeeked(spoolBatch, now: 0)
        let replay = Self.sends(machine.nextActions(now: 0))[0].batch
        machine.bulkFinished(batchID: replay.id, outcome: .status(500, retryAfter: nil, reason: "boom"), now: 0)
        let step = machine.nextActions(now: 0)
        #expect(!step.actions.contains(.acknowledge(spoolBatch)))
        #expect(step.wakeAt == 100 * Self.millisecond)
        #expect(machine.nextActions(now: 100 * Self.millisecond).actions == [.peekSpool(maxDocuments: 3)])
    }

    @Test func fullQueueOverflowsToTheSpoolInOneWrite() {
        var machine = Self.connected(Self.policy(maxDocs: 10, queueSize: 2))
        _ = machine.nextActions(now: 0)
        _ = machine.accept(Self.doc(1), now: 0)
        _ = machine.accept(Self.doc(2), now: 0)
        do {
            let wake = machine.accept(Self.doc(3), now: 0)
            #expect(wake)
        }
        do {
            let wake = machine.accept(Self.doc(4), now: 0)
            #expect(!wake)
        }
        let step = machine.nextActions(now: 0)
        #expect(step.actions.contains(.spool([Self.doc(3), Self.doc(4)], reason: .overflow)))
        #expect(machine.documentsInMemory == 2)
        #expect(machine.stats.queued == 4)
    }

    @Test func withoutASpoolOverflowIsDroppedAndCounted() {
        var machine = Self.connected(Self.policy(maxDocs: 10, queueSize: 1), hasSpool: false)
        _ = machine.nextActions(now: 0)
        _ = machine.accept(Self.doc(1), now: 0)
        _ = machine.accept(Self.doc(2), now: 0)
        let step = machine.nextActions(now: 0)
        #expect(Self.logs(step) == [.dropped(count: 1, reason: "no spool configured (overflow)")])
        #expect(machine.stats.dropped == 1)
    }

    @Test func unwritableSpoolKeepsDocumentsInMemoryAndSendsThemLater() {
        var machine = Self.connected(Self.policy(maxDocs: 10, queueSize: 1))
        _ = machine.nextActions(now: 0)
        _ = machine.accept(Self.doc(1), now: 0)
        _ = machine.accept(Self.doc(2), now: 0)
        #expect(Self.spooled(machine.nextActions(now: 0)) == [Self.doc(2)])
        machine.spoolFailed([Self.doc(2)], reason: "disk full", now: 0)
        let step = machine.nextActions(now: 0)
        #expect(Self.logs(step) == [.spoolFailed(reason: "disk full")])
        // doc 1 flushes at 1 s; doc 2 waits for the spool retry delay (5 s), then is sent.
        let first = Self.sends(machine.nextActions(now: Self.second))
        #expect(first.map(\.batch.documents) == [[Self.doc(1)]])
        machine.bulkFinished(batchID: first[0].batch.id, outcome: .allStored, now: Self.second)
        let second = Self.sends(machine.nextActions(now: 5 * Self.second))
        #expect(second.map(\.batch.documents) == [[Self.doc(2)]])
    }

    // MARK: - Shutdown

    @Test func finishFlushesAtOnceAndEndsWhenNothingIsLeft() {
        var machine = Self.connected(Self.policy(maxDocs: 10))
        _ = machine.nextActions(now: 0)
        _ = machine.accept(Self.doc(1), now: 0)
        machine.finish(deadline: 10 * Self.second)
        let step = machine.nextActions(now: 0)
        let sends = Self.sends(step)
        #expect(sends.map(\.batch.documents) == [[Self.doc(1)]])
        #expect(!step.isDone)
        machine.bulkFinished(batchID: sends[0].batch.id, outcome: .allStored, now: 0)
        #expect(machine.nextActions(now: 0).isDone)
    }

    @Test func finishSpoolsWhatIsLeftAtTheDeadline() {
        var machine = Self.connected(Self.policy(maxDocs: 2))
        _ = machine.nextActions(now: 0)
        for n in 1...3 { _ = machine.accept(Self.doc(n), now: 0) }
        let inFlight = Self.sends(machine.nextActions(now: 0))
        #expect(inFlight.count == 1)
        machine.finish(deadline: Self.second)
        let waiting = machine.nextActions(now: 0)
        #expect(!waiting.isDone)
        #expect(waiting.wakeAt == Self.second)
        let end = machine.nextActions(now: Self.second)
        #expect(end.isDone)
        #expect(Set(Self.spooled(end).map(\.id)) == ["id-1", "id-2", "id-3"])
        // A late answer for the abandoned request changes nothing.
        machine.bulkFinished(batchID: inFlight[0].batch.id, outcome: .allStored, now: Self.second)
        #expect(machine.stats.sent == 0)
    }

    @Test func finishWhileUnreachableSpoolsAtOnce() {
        var machine = Machine(policy: Self.policy(), endpointCount: 1, hasSpool: true, random: { $0.upperBound })
        _ = machine.nextActions(now: 0)
        _ = machine.accept(Self.doc(1), now: 0)
        machine.finish(deadline: 10 * Self.second)
        let step = machine.nextActions(now: 0)
        #expect(step.isDone)
        #expect(Self.spooled(step) == [Self.doc(1)])
    }

    @Test func deadLetterWarningsAreRateLimited() {
        var machine = Self.connected(Self.policy(maxDocs: 1))
        _ = machine.nextActions(now: 0)
        var warnings = 0
        for n in 1...5 {
            _ = machine.accept(Self.doc(n), now: 0)
            let batch = Self.sends(machine.nextActions(now: UInt64(n) * Self.second))[0].batch
            machine.bulkFinished(
                batchID: batch.id, outcome: .items([BulkItemResult(status: 400)]), now: UInt64(n) * Self.second)
            warnings += Self.logs(machine.nextActions(now: UInt64(n) * Self.second)).count
        }
        #expect(warnings == 1)
        #expect(machine.stats.deadLettered == 5)
    }
}
