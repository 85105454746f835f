import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

extension BulkStateMachine {
    /// `GET /` on `endpoint` answered with a version.
    public mutating func probeSucceeded(endpoint: Int, version newVersion: ClusterVersion, now: UInt64) {
        guard endpoints.indices.contains(endpoint) else { return }
        if policy.usesDataStream, !newVersion.supportsDataStreams {
            // Nothing can be written the way it is configured: spool (logged once, as an outage)
            // and probe again with backoff, in case the cluster is upgraded.
            probeFailed(
                endpoint: endpoint,
                reason: "\(newVersion) has no data streams (they need Elasticsearch 7.9 or later, or OpenSearch): "
                    + "upgrade the cluster or remove data_stream (use index_name)", now: now)
            return
        }
        let previous = endpoints[endpoint].health
        endpoints[endpoint].probing = false
        endpoints[endpoint].health = .up
        if endpoints.count > 1, case .down = previous {
            effects.append(.log(.endpointUp(endpoint: endpoint)))
        }
        if let since = unreachableSince, version != nil {
            // Reconnected after an outage: the cluster may have been replaced or upgraded.
            effects.append(
                .log(
                    .clusterReachable(
                        version: newVersion, downNanos: now &- since, failedProbes: failedProbesWhileDown)))
            if policy.installsTemplate { template = .needed }
            nextReplayAt = now
        }
        unreachableSince = nil
        failedProbesWhileDown = 0
        if version != newVersion {
            if version != nil, policy.installsTemplate { template = .needed }
            if version == nil { effects.append(.log(.connected(version: newVersion))) }
            version = newVersion
        }
    }

    /// `GET /` on `endpoint` failed (connection error, non-2xx, not a cluster); `connectionFailed`
    /// when no answer came at all (counted as `connection_failures`).
    public mutating func probeFailed(endpoint: Int, reason: String, connectionFailed: Bool = false, now: UInt64) {
        guard endpoints.indices.contains(endpoint) else { return }
        if connectionFailed { stats.connectionFailures += 1 }
        endpoints[endpoint].probing = false
        markDown(endpoint: endpoint, reason: reason, now: now)
    }

    private mutating func markDown(endpoint: Int, reason: String, now: UInt64) {
        let failures: Int
        switch endpoints[endpoint].health {
        case .down(let previous, _): failures = previous + 1
        default:
            failures = 1
            if endpoints.count > 1 { effects.append(.log(.endpointDown(endpoint: endpoint, reason: reason))) }
        }
        let delay = backoff(attempt: failures, base: policy.probeBase, cap: policy.probeCap, random: random)
        endpoints[endpoint].health = .down(failures: failures, probeAt: now &+ delay.nanoseconds)
        if isUnreachable {
            if unreachableSince == nil {
                unreachableSince = now
                failedProbesWhileDown = 0
                effects.append(.log(.clusterUnreachable(reason: reason)))
            } else {
                failedProbesWhileDown += 1
            }
        }
    }

    /// The index-template request finished.
    public mutating func templateFinished(endpoint: Int, outcome: TemplateOutcome, now: UInt64) {
        guard template == .installing else { return }
        switch outcome {
        case .installed, .skipped:
            template = .installed
        case .rejected(let status, let reason):
            template = .installed
            effects.append(.log(.templateRejected(status: status, reason: reason)))
        case .failed(let reason):
            template = .needed
            if endpoints.indices.contains(endpoint), endpoints[endpoint].health == .up {
                endpoints[endpoint].health = .suspect(reason: reason)
            }
        }
    }

    /// The spool answered a ``Action/peekSpool(maxDocuments:)``.
    public mutating func spoolPeeked(_ batch: SpoolBatch?, now: UInt64) {
        guard replay == .peeking else { return }
        guard let batch, !batch.documents.isEmpty else {
            if let batch { effects.append(.acknowledge(batch)) }
            spoolMayHaveData = false
            replay = .idle
            return
        }
        replay = .ready(Batch(id: makeBatchID(), documents: batch.documents, failures: 0, origin: .spool(batch)))
    }

    /// Reading the spool failed: try again later.
    public mutating func spoolPeekFailed(reason: String, now: UInt64) {
        guard replay == .peeking else { return }
        replay = .idle
        nextReplayAt = now &+ policy.spoolRetryDelay.nanoseconds
        effects.append(.log(.spoolFailed(reason: reason)))
    }

    /// Appending to the spool failed (disk full, permissions): keep the documents in memory as a
    /// batch to send, and leave the spool alone for a while. Memory stays bounded: beyond twice
    /// `queueSize`, the oldest are dropped and counted.
    public mutating func spoolFailed(_ documents: [Document], reason: String, now: UInt64) {
        stats.spooled -= documents.count
        spoolBlockedUntil = now &+ policy.spoolRetryDelay.nanoseconds
        effects.append(.log(.spoolFailed(reason: reason)))
        var keep = documents
        let room = max(0, 2 * policy.queueSize - documentsInMemory)
        var lost = max(0, keep.count - room)
        // The byte bound: the oldest go first.
        var excess = bytesInMemory + Self.bytes(of: keep) - policy.queueMaxBytes
        for document in keep[lost...] {
            if excess <= 0 { break }
            excess -= BulkEncoder.estimatedSize(of: document)
            lost += 1
        }
        if lost > 0 {
            keep.removeFirst(lost)
            stats.dropped += lost
            effects.append(.log(.dropped(count: lost, reason: "spool unwritable and memory full")))
        }
        var start = 0
        while start < keep.count {
            let end = min(start + policy.maxDocs, keep.count)
            let batch = Batch(id: makeBatchID(), documents: Array(keep[start..<end]), failures: 0, origin: .live)
            waiting.append(Waiting(batch: batch, readyAt: spoolBlockedUntil))
            start = end
        }
    }

    /// A bulk request finished. Results of a batch that is no longer in flight (abandoned at the
    /// shutdown deadline) are ignored.
    public mutating func bulkFinished(batchID: Int, outcome: BulkOutcome, now: UInt64) {
        guard let current = inFlight, current.batch.id == batchID else { return }
        inFlight = nil
        let batch = current.batch
        if case .spool = batch.origin {
            replay = .idle
            nextReplayAt = now &+ policy.replayInterval.nanoseconds
        }
        switch outcome {
        case .allStored:
            unblocked(now: now)
            stored(batch.documents.count, of: batch)
            completed(batch.origin)
        case .items(let results):
            if let blocked = results.first(where: { $0.errorType == Self.clusterBlock }) {
                self.blocked(batch, reason: Self.clusterBlock + ": " + (blocked.reason ?? ""), now: now)
                return
            }
            unblocked(now: now)
            handleItems(results, of: batch, now: now)
        case .status(let status, let retryAfter, let reason):
            stats.bulkFailures += 1
            handleStatus(status, retryAfter: retryAfter, reason: reason, batch: batch, now: now)
        case .unreadable(let reason):
            stats.bulkFailures += 1
            retryWhole(batch, delay: backoffDelay(attempt: batch.failures + 1), now: now)
            effects.append(.log(.requestRejected(status: 200, reason: reason)))
        case .connectionFailed(let reason):
            stats.bulkFailures += 1
            stats.connectionFailures += 1
            if endpoints[current.endpoint].health == .up {
                endpoints[current.endpoint].health = .suspect(reason: reason)
            }
            retryWhole(batch, delay: .zero, now: now)
        }
    }

    /// `error.type` of a write refused because of a cluster or index block (read-only index after the
    /// flood-stage disk watermark, a closed index, …).
    package static let clusterBlock = "cluster_block_exception"

    /// Part or all of `batch` was refused with a cluster block: pause everything with a capped
    /// exponential backoff and send the batch again whole. Nothing of it is counted or dead-lettered
    /// now (stored items come back `409` next time and are counted then); a replayed batch stays
    /// where it is in the spool, so the spool keeps its order and does not grow.
    private mutating func blocked(_ batch: Batch, reason: String, now: UInt64) {
        blockAttempts += 1
        let pause = backoff(attempt: blockAttempts, base: policy.blockBase, cap: policy.blockCap, random: random)
        pausedUntil = max(pausedUntil, now &+ pause.nanoseconds)
        if blockedSince == nil {
            blockedSince = now
            effects.append(.log(.clusterBlocked(reason: reason, pause: pause)))
        }
        stats.retried += batch.documents.count
        switch batch.origin {
        case .live:
            // Not counted as a failed attempt: a block can last for hours and the batch is fine.
            waiting.append(Waiting(batch: batch, readyAt: now &+ pause.nanoseconds))
        case .spool:
            nextReplayAt = max(nextReplayAt, now &+ pause.nanoseconds)
        }
    }

    /// A request passed: a block is over.
    private mutating func unblocked(now: UInt64) {
        guard let since = blockedSince else { return }
        effects.append(.log(.clusterUnblocked(blockedNanos: now &- since, attempts: blockAttempts)))
        blockedSince = nil
        blockAttempts = 0
    }

    private mutating func stored(_ count: Int, of batch: Batch) {
        stats.sent += count
        if case .spool = batch.origin { stats.replayed += count }
        throttled = false
    }

    /// Every item of a batch is stored, dead-lettered or handed on: acknowledge a replayed batch.
    private mutating func completed(_ origin: Origin) {
        if case .spool(let spoolBatch) = origin {
            replayFailures = 0
            effects.append(.acknowledge(spoolBatch))
        }
    }

    private mutating func handleItems(_ results: [BulkItemResult], of batch: Batch, now: UInt64) {
        var retry: [Document] = []
        var dead: [DeadLetter] = []
        var resend: [Document] = []
        var overLimit: [DeadLetter] = []
        var storedCount = 0
        for (index, document) in batch.documents.enumerated() {
            guard index < results.count else {
                retry.append(document)
                continue
            }
            let result = results[index]
            switch result.disposition {
            case .stored: storedCount += 1
            case .retry: retry.append(document)
            case .reject:
                var letter = DeadLetter(
                    document: document, status: result.status, errorType: result.errorType ?? "unknown",
                    reason: result.reason ?? "rejected with status \(result.status)")
                if let rejection = FieldRejection.parse(errorType: result.errorType, reason: result.reason),
                    let removal = DocumentFieldRemoval.removing(rejection, from: document.body)
                {
                    // A bad field costs that field, never the document.
                    resend.append(takeOut(removal, of: &letter, paths: [rejection.path], pin: rejection.pin))
                } else if FieldRejection.isFieldLimit(reason: result.reason) {
                    // The index's mapping tells which fields are new: ask for it first.
                    overLimit.append(letter)
                    continue
                }
                dead.append(letter)
            }
        }
        stored(storedCount, of: batch)
        if !dead.isEmpty { deadLetter(dead, now: now) }
        sendAgain(resend, origin: batch.origin, failures: batch.failures, now: now)
        if !retry.isEmpty {
            stats.retried += retry.count
            let failures = batch.failures + 1
            switch batch.origin {
            case .live:
                if failures >= policy.maxAttempts {
                    spool(retry, reason: .retriesExhausted)
                } else {
                    let delay = backoffDelay(attempt: failures)
                    let again = Batch(id: makeBatchID(), documents: retry, failures: failures, origin: .live)
                    waiting.append(Waiting(batch: again, readyAt: now &+ delay.nanoseconds))
                }
            case .spool:
                // Appended again (durably) before the original is acknowledged; `create` with the
                // deterministic `_id` makes the second delivery harmless.
                spool(retry, reason: .requeued)
            }
        }
        if overLimit.isEmpty {
            completed(batch.origin)
        } else {
            // A replayed batch is acknowledged once these are dead-lettered or durable again.
            effects.append(.fetchMappings(overLimit, origin: batch.origin))
        }
    }

    /// Takes `removal`'s fields out of `letter`'s document: the letter keeps them (for the
    /// dead-letter file), the rest of the document is returned to be sent again with the same `_id`,
    /// and the reader is told what the cluster refused at `paths`.
    private mutating func takeOut(
        _ removal: (body: [UInt8], removed: [RemovedField]), of letter: inout DeadLetter, paths: [String],
        pin: FieldPin
    ) -> Document {
        letter.removedFields = removal.removed
        var rest = letter.document
        rest.body = removal.body
        effects.append(
            .pinFields(reader: rest.reader, paths: paths, pin: pin, reason: letter.errorType + ": " + letter.reason))
        return rest
    }

    /// Documents sent again without the fields the cluster refused. Not a failed attempt: each pass
    /// removes at least one field, so this ends. Replayed ones go back to the spool (durable before
    /// their batch is acknowledged).
    private mutating func sendAgain(_ documents: [Document], origin: Origin, failures: Int, now: UInt64) {
        guard !documents.isEmpty else { return }
        switch origin {
        case .live:
            let again = Batch(id: makeBatchID(), documents: documents, failures: failures, origin: .live)
            waiting.append(Waiting(batch: again, readyAt: now))
        case .spool:
            spool(documents, reason: .requeued)
        }
    }

    /// The mappings asked for by ``Action/fetchMappings(_:origin:)``: for each document refused at the
    /// field limit, the paths its index maps (nil when the mapping could not be read). The fields not
    /// mapped yet are removed (dead-lettered with the reason, and pinned as refused for the reader)
    /// and the rest is sent again; a document with no such field is dead-lettered whole.
    public mutating func mappingsFetched(
        _ results: [(letter: DeadLetter, mapped: Set<String>?)], origin: Origin, now: UInt64
    ) {
        var dead: [DeadLetter] = []
        var resend: [Document] = []
        for (letter, mapped) in results {
            var letter = letter
            if let mapped,
                let removal = DocumentFieldRemoval.removing(where: { !mapped.contains($0) }, from: letter.document.body)
            {
                resend.append(takeOut(removal, of: &letter, paths: removal.removed.map(\.path), pin: .refused))
            }
            dead.append(letter)
        }
        if !dead.isEmpty { deadLetter(dead, now: now) }
        sendAgain(resend, origin: origin, failures: 0, now: now)
        completed(origin)
    }

    private mutating func handleStatus(
        _ status: Int, retryAfter: Duration?, reason: String, batch: Batch, now: UInt64
    ) {
        switch status {
        case 403 where reason.hasPrefix(Self.clusterBlock):
            blocked(batch, reason: reason, now: now)
        case 429, 503:
            var pause = retryAfter ?? backoffDelay(attempt: batch.failures + 1)
            if pause > policy.retryAfterCap { pause = policy.retryAfterCap }
            pausedUntil = max(pausedUntil, now &+ pause.nanoseconds)
            if !throttled {
                throttled = true
                effects.append(.log(.throttled(status: status, pause: pause)))
            }
            retryWhole(batch, delay: pause, now: now)
        case 400, 413:
            // The request as a whole is refused (too large, or a line it cannot parse): halve it
            // until the culprit is alone, then dead-letter that one document.
            let bytes = batch.documents.reduce(0) { $0 + BulkEncoder.estimatedSize(of: $1) }
            if status == 413 {
                learnLimit(below: bytes)
            } else {
                effects.append(.log(.requestRejected(status: status, reason: reason)))
            }
            if batch.documents.count == 1 {
                let why =
                    status == 413
                    ? "the document (\(bytes) bytes in the bulk body) is larger than the cluster accepts in one "
                        + "request (HTTP 413; raise http.max_content_length or make the document smaller)"
                    : reason
                deadLetter(
                    [
                        DeadLetter(
                            document: batch.documents[0], status: status,
                            errorType: status == 413 ? "request_too_large" : "request_rejected", reason: why)
                    ], now: now)
                completed(batch.origin)
                return
            }
            let half = batch.documents.count / 2
            for part in [Array(batch.documents[..<half]), Array(batch.documents[half...])] {
                let piece = Batch(id: makeBatchID(), documents: part, failures: batch.failures, origin: .live)
                waiting.append(Waiting(batch: piece, readyAt: now))
            }
            // A replayed batch now lives in memory as two live batches.
            completed(batch.origin)
        default:
            if !throttled {
                effects.append(.log(.requestRejected(status: status, reason: reason)))
            }
            retryWhole(batch, delay: backoffDelay(attempt: batch.failures + 1), now: now)
        }
    }

    /// The whole batch failed once more: wait and send it again, or spool it after `maxAttempts`.
    /// A replayed batch simply stays in the spool and is peeked again later.
    private mutating func retryWhole(_ batch: Batch, delay: Duration, now: UInt64) {
        let failures = batch.failures + 1
        switch batch.origin {
        case .live:
            if failures >= policy.maxAttempts {
                spool(batch.documents, reason: .retriesExhausted)
            } else {
                var again = batch
                again.failures = failures
                waiting.append(Waiting(batch: again, readyAt: now &+ delay.nanoseconds))
            }
        case .spool:
            replayFailures += 1
            let wait = max(delay, backoffDelay(attempt: replayFailures))
            nextReplayAt = max(nextReplayAt, now &+ wait.nanoseconds)
        }
    }

    /// A `413` for a body of `bytes`: later batches stay at half of it (logged the first time).
    private mutating func learnLimit(below bytes: Int) {
        let limit = max(1, bytes / 2)
        guard limit < maxBytes else { return }
        if learnedMaxBytes == nil { effects.append(.log(.bulkLimitLearned(bytes: limit))) }
        learnedMaxBytes = limit
    }

    /// The warning for dead letters held back by the rate limit, if any: their count since the
    /// last warning, and the first one's status and reason.
    package mutating func logSuppressedDeadLetters(now: UInt64) {
        guard suppressedDeadLetters > 0, let first = suppressedDeadLetter else { return }
        effects.append(
            .log(.deadLettered(count: suppressedDeadLetters, status: first.status, reason: first.reason)))
        lastDeadLetterLog = now
        suppressedDeadLetters = 0
        suppressedDeadLetter = nil
    }

    /// Writes `letters` to the dead-letter file; whole documents are counted and logged (rate
    /// limited), removed fields are counted (the shell logs each newly pinned path once).
    private mutating func deadLetter(_ letters: [DeadLetter], now: UInt64) {
        effects.append(.deadLetter(letters))
        var whole: [DeadLetter] = []
        for letter in letters {
            if letter.removedFields.isEmpty {
                whole.append(letter)
            } else {
                stats.fieldsDeadLettered += letter.removedFields.count
            }
        }
        guard !whole.isEmpty else { return }
        let letters = whole
        stats.deadLettered += letters.count
        let interval = policy.deadLetterLogInterval.nanoseconds
        if let last = lastDeadLetterLog, now < last &+ interval {
            if suppressedDeadLetter == nil {
                suppressedDeadLetter = (letters[0].status, letters[0].errorType + ": " + letters[0].reason)
            }
            suppressedDeadLetters += letters.count
            return
        }
        lastDeadLetterLog = now
        let first = letters[0]
        effects.append(
            .log(
                .deadLettered(
                    count: letters.count + suppressedDeadLetters, status: first.status,
                    reason: first.errorType + ": " + first.reason)))
        suppressedDeadLetters = 0
        suppressedDeadLetter = nil
    }
}
