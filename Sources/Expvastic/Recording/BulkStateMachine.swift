import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig

/// The decisions of an Elasticsearch recorder — batching, retries, backoff, endpoint failover,
/// spooling and spool replay — as a value type with no I/O: events go in (a document accepted, a
/// probe or bulk request finished, the spool answered, time passed), actions come out of
/// ``nextActions(now:)`` for the async shell (``ElasticsearchRecorder``) to perform.
///
/// Rules (SPEC §4.2, §5):
/// - a batch is sent at `maxDocs`, `maxBytes` or when its oldest document is `flushInterval` old;
/// - one bulk request is in flight at a time; retries of failed items and spool replay share it
///   with live batches;
/// - items answered 2xx or 409 are stored; 429/5xx/rejected-execution items are retried alone with
///   capped exponential backoff and jitter; an item refused because of a field (a mapping
///   conflict the error names) is sent again at once without that field, which is dead-lettered
///   and pinned for the reader (``FieldRejection``); other rejected items are dead-lettered whole;
/// - a whole-request 429/503 pauses sending for `Retry-After` (or a backoff); a connection error
///   retries the whole batch on another endpoint and has the failing endpoint probed;
/// - a `413` halves the batch and lowers the byte limit of later batches to what the cluster took
///   (logged once); a single document it refuses is dead-lettered;
/// - a `cluster_block_exception` (a read-only index after the flood-stage disk watermark, for the
///   whole request or for any item) blocks the cluster: nothing is sent for a capped exponential
///   backoff with jitter, the batch is sent again whole later (a replayed one stays in the spool,
///   in order, not appended again); logged once when it starts and once when a request passes;
/// - after `maxAttempts` failed attempts a batch goes to the spool; while every endpoint is down,
///   batches go to the spool; when memory holds `queueSize` documents or `queueMaxBytes` bytes, new
///   ones go to the spool; while the spool cannot be written, memory stays within `queueMaxBytes`
///   by dropping the oldest documents (counted, logged at error level);
/// - when the cluster answers, the spool is replayed oldest first, one batch per `replayInterval`.
public struct BulkStateMachine: Sendable {
    /// Documents sent together, and how often they have failed so far.
    public struct Batch: Sendable, Equatable {
        public var id: Int
        public var documents: [Document]
        /// Failed attempts so far.
        public var failures: Int
        public var origin: Origin
    }

    /// Where a batch's documents came from.
    public enum Origin: Sendable, Equatable {
        /// Accepted from an engine; lives in memory only.
        case live
        /// Peeked from the spool; acknowledged there once every item is stored or dead-lettered.
        case spool(SpoolBatch)
    }

    /// Why documents are written to the spool (a log and metric detail).
    public enum SpoolReason: String, Sendable, Equatable {
        /// The in-memory queue was full.
        case overflow
        /// No endpoint answers.
        case unreachable
        /// The batch failed `maxAttempts` times.
        case retriesExhausted = "retries_exhausted"
        /// Items of a replayed batch that must be tried again later.
        case requeued
        /// `finish(deadline:)` ran out of time or the cluster was not reachable.
        case shutdown
    }

    /// A document rejected for good, with the reason; or, when ``removedFields`` is not empty, the
    /// fields taken out of a document the cluster refused because of them (the rest of the document
    /// is sent again with the same `_id`).
    public struct DeadLetter: Sendable, Equatable {
        public var document: Document
        public var status: Int
        public var errorType: String
        public var reason: String
        public var removedFields: [RemovedField] = []
    }

    /// A change worth one log line (never one per attempt).
    public enum Transition: Sendable, Equatable {
        /// The first successful probe: the cluster's version is known.
        case connected(version: ClusterVersion)
        case clusterUnreachable(reason: String)
        case clusterReachable(version: ClusterVersion, downNanos: UInt64, failedProbes: Int)
        case endpointDown(endpoint: Int, reason: String)
        case endpointUp(endpoint: Int)
        case throttled(status: Int, pause: Duration)
        case templateRejected(status: Int, reason: String)
        case deadLettered(count: Int, status: Int, reason: String)
        case requestRejected(status: Int, reason: String)
        case spoolFailed(reason: String)
        case dropped(count: Int, reason: String)
        /// The cluster refused a request as too large (`413`): batches now stay under `bytes`.
        case bulkLimitLearned(bytes: Int)
        /// Writes are refused with `cluster_block_exception`; `pause` is the first wait.
        case clusterBlocked(reason: String, pause: Duration)
        /// A request passed again after a block: how long it lasted and how many tries it took.
        case clusterUnblocked(blockedNanos: UInt64, attempts: Int)
    }

    /// Something the shell must do.
    public enum Action: Sendable, Equatable {
        /// `GET /` on an endpoint: learn the version, or see whether it answers again.
        case probe(endpoint: Int)
        /// Install the index template for this version.
        case installTemplate(endpoint: Int, version: ClusterVersion)
        /// Encode the batch for this version and `POST /_bulk` it.
        case send(Batch, endpoint: Int, version: ClusterVersion)
        /// Read the oldest unacknowledged spool batch (answer with ``spoolPeeked(_:now:)``).
        case peekSpool(maxDocuments: Int)
        /// Append to the spool (answer a failure with ``spoolFailed(_:reason:now:)``).
        case spool([Document], reason: SpoolReason)
        /// Acknowledge a replayed spool batch: every item is stored or dead-lettered.
        case acknowledge(SpoolBatch)
        /// Append to the dead-letter file.
        case deadLetter([DeadLetter])
        /// The cluster refused `paths` of `reader`'s documents (`reason`: its error): tell the reader
        /// (``FieldPins``).
        case pinFields(reader: String, paths: [String], pin: FieldPin, reason: String)
        /// These documents were refused at their index's field limit: read the mappings of their
        /// indices and answer with ``mappingsFetched(_:origin:now:)`` before anything else.
        case fetchMappings([DeadLetter], origin: Origin)
        case log(Transition)
    }

    /// What ``nextActions(now:)`` returns.
    public struct Step: Sendable, Equatable {
        public var actions: [Action]
        /// When to call again if nothing else happens (monotonic nanoseconds); nil: only on an event.
        public var wakeAt: UInt64?
        /// True after `finish`, once nothing is left in memory: the shell may return.
        public var isDone: Bool
    }

    /// How a bulk request ended.
    public enum BulkOutcome: Sendable, Equatable {
        /// 2xx, `"errors": false`.
        case allStored
        /// 2xx with per-item results in request order.
        case items([BulkItemResult])
        /// A non-2xx answer for the whole request, with its `Retry-After` (already parsed).
        case status(Int, retryAfter: Duration?, reason: String)
        /// 2xx, but the body is not a bulk response.
        case unreadable(reason: String)
        /// Connect failure, reset, timeout: the request may or may not have been processed.
        case connectionFailed(reason: String)

        /// True when the cluster answered the request as a whole with a bulk response (2xx).
        public var isStored: Bool {
            switch self {
            case .allStored, .items: true
            case .status, .unreadable, .connectionFailed: false
            }
        }

        /// One word for logs: `stored`, `items`, `status_429`, `unreadable`, `connection_failed`.
        public var summary: String {
            switch self {
            case .allStored: "stored"
            case .items: "items"
            case .status(let status, _, _): "status_\(status)"
            case .unreadable: "unreadable"
            case .connectionFailed: "connection_failed"
            }
        }
    }

    /// How an index-template request ended.
    public enum TemplateOutcome: Sendable, Equatable {
        case installed
        /// A 4xx (missing privilege, invalid template): logged, and documents are sent anyway.
        case rejected(status: Int, reason: String)
        /// Connection failure or 5xx: the endpoint is treated as failing and it is tried again.
        case failed(reason: String)
        /// Not sent on purpose (another recorder of this process holds the name, already logged):
        /// documents flow.
        case skipped
    }

    /// Running totals, published as metrics by the shell.
    public struct Stats: Sendable, Equatable {
        public var queued = 0
        public var sent = 0
        public var retried = 0
        public var deadLettered = 0
        /// Fields taken out of refused documents (which were then sent again without them).
        public var fieldsDeadLettered = 0
        public var spooled = 0
        public var replayed = 0
        public var dropped = 0
        public var bulkRequests = 0
        public var bulkFailures = 0
        /// Probes and bulk requests that got no answer (connect failure, reset, timeout).
        public var connectionFailures = 0
        public init() {}
    }

    package enum Health: Equatable {
        /// Not probed yet.
        case unknown
        case up
        /// A request failed; probe at once before deciding.
        case suspect(reason: String)
        /// Probes fail; probe again at `probeAt`.
        case down(failures: Int, probeAt: UInt64)
    }

    package struct EndpointState {
        package var health: Health = .unknown
        package var probing = false
    }

    package enum TemplateState: Equatable {
        case notNeeded, needed, installing, installed
    }

    package enum ReplayState: Equatable {
        case idle
        case peeking
        case ready(Batch)
        case sending
    }

    package struct Waiting {
        package var batch: Batch
        package var readyAt: UInt64
    }

    package struct InFlight {
        package var batch: Batch
        package var endpoint: Int
    }

    public let policy: BulkPolicy
    package let hasSpool: Bool
    package let random: @Sendable (ClosedRange<Double>) -> Double

    package var queue: [Document] = []
    package var queueArrivals: [UInt64] = []
    package var queueBytes = 0
    package var overflow: [Document] = []
    package var waiting: [Waiting] = []
    package var inFlight: InFlight?
    package var endpoints: [EndpointState]
    package var roundRobin = 0
    package var version: ClusterVersion?
    package var template: TemplateState
    package var pausedUntil: UInt64 = 0
    package var throttled = false
    package var unreachableSince: UInt64?
    package var failedProbesWhileDown = 0
    package var spoolMayHaveData: Bool
    package var spoolBlockedUntil: UInt64 = 0
    package var replay: ReplayState = .idle
    package var replayFailures = 0
    package var nextReplayAt: UInt64 = 0
    package var finishDeadline: UInt64?
    package var done = false
    package var effects: [Action] = []
    package var nextBatchID = 1
    package var lastDeadLetterLog: UInt64?
    /// Dead letters since the last warning, and the first of them (its status and reason).
    package var suppressedDeadLetters = 0
    package var suppressedDeadLetter: (status: Int, reason: String)?
    /// The byte limit learned from a `413`, below `policy.maxBytes`.
    package var learnedMaxBytes: Int?
    /// Set while the cluster refuses writes with `cluster_block_exception`.
    package var blockedSince: UInt64?
    package var blockAttempts = 0
    package var lastDropLog: UInt64?
    package var suppressedDrops = 0
    public internal(set) var stats = Stats()

    /// - Parameters:
    ///   - endpointCount: how many endpoints the recorder has (at least one).
    ///   - hasSpool: false when the recorder has no spool: what would go there is dropped and counted.
    ///   - spoolHasData: the spool held documents at start-up (replay them once the cluster answers).
    ///   - random: jitter source, `Double.random(in:)` outside tests.
    public init(
        policy: BulkPolicy,
        endpointCount: Int,
        hasSpool: Bool,
        spoolHasData: Bool = false,
        random: @escaping @Sendable (ClosedRange<Double>) -> Double
    ) {
        precondition(endpointCount > 0, "an elasticsearch recorder needs an endpoint")
        self.policy = policy
        self.hasSpool = hasSpool
        self.random = random
        endpoints = Array(repeating: EndpointState(), count: endpointCount)
        template = policy.installsTemplate ? .needed : .notNeeded
        spoolMayHaveData = hasSpool && spoolHasData
    }

    // MARK: - Queries

    /// Documents held in memory: queued, waiting for a retry, in flight, or waiting to be spooled.
    public var documentsInMemory: Int {
        var total = queue.count + overflow.count
        for entry in waiting where entry.batch.origin == .live { total += entry.batch.documents.count }
        if let inFlight, inFlight.batch.origin == .live { total += inFlight.batch.documents.count }
        return total
    }

    /// Estimated NDJSON bytes (``BulkEncoder/estimatedSize(of:)``) of ``documentsInMemory``.
    public var bytesInMemory: Int {
        var total = queueBytes
        for document in overflow { total += BulkEncoder.estimatedSize(of: document) }
        for entry in waiting where entry.batch.origin == .live { total += Self.bytes(of: entry.batch.documents) }
        if let inFlight, inFlight.batch.origin == .live { total += Self.bytes(of: inFlight.batch.documents) }
        return total
    }

    package static func bytes(of documents: [Document]) -> Int {
        documents.reduce(0) { $0 + BulkEncoder.estimatedSize(of: $1) }
    }

    /// True while at least one endpoint answers and the cluster's version is known.
    public var isReachable: Bool { version != nil && endpoints.contains { $0.health == .up } }

    /// True once every endpoint has failed its probe.
    public var isUnreachable: Bool {
        endpoints.allSatisfy { if case .down = $0.health { true } else { false } }
    }

    /// True while the cluster refuses writes with `cluster_block_exception` (shown as `blocked`).
    public var isBlocked: Bool { blockedSince != nil }

    /// The largest bulk body to build: `bulk_max_bytes`, or less once a `413` taught a limit.
    public var maxBytes: Int { min(policy.maxBytes, learnedMaxBytes ?? .max) }

    /// The version learned from the last successful probe.
    public var clusterVersion: ClusterVersion? { version }

    /// True when `finish` was called and nothing is left.
    public var isDone: Bool { done }

    // MARK: - Events

    /// Takes a document. Returns true when the shell should run ``nextActions(now:)`` soon (a batch
    /// is full, the first document started the flush timer, or an overflow must be spooled).
    public mutating func accept(_ document: Document, now: UInt64) -> Bool {
        stats.queued += 1
        let size = BulkEncoder.estimatedSize(of: document)
        if done || documentsInMemory >= policy.queueSize || queueBytes + size > policy.queueMaxBytes
            || bytesInMemory + size > policy.queueMaxBytes
        {
            overflow.append(document)
            if hasSpool, now < spoolBlockedUntil { dropOldestOverflow(now: now) }
            return overflow.count == 1 || overflow.count >= policy.maxDocs
        }
        queue.append(document)
        queueArrivals.append(now)
        queueBytes += BulkEncoder.estimatedSize(of: document)
        return queue.count == 1 || queue.count == policy.maxDocs
            || (queueBytes >= maxBytes && queueBytes - BulkEncoder.estimatedSize(of: document) < maxBytes)
    }

    /// While the spool cannot be written, overflow waits in memory: keep it within `queueMaxBytes`
    /// by dropping its oldest documents (the newest data is the most useful after an outage).
    package mutating func dropOldestOverflow(now: UInt64) {
        var excess = bytesInMemory - policy.queueMaxBytes
        var lost = 0
        while excess > 0, lost < overflow.count {
            excess -= BulkEncoder.estimatedSize(of: overflow[lost])
            lost += 1
        }
        guard lost > 0 else { return }
        overflow.removeFirst(lost)
        stats.dropped += lost
        // One error line per `deadLetterLogInterval` with the count since the last one (every poll
        // drops while the spool is away; the counter has each of them).
        suppressedDrops += lost
        if let last = lastDropLog, now < last &+ policy.deadLetterLogInterval.nanoseconds { return }
        lastDropLog = now
        effects.append(
            .log(.dropped(count: suppressedDrops, reason: "spool unwritable and queue_max_bytes reached")))
        suppressedDrops = 0
    }

    /// Stops taking new work: everything queued is flushed at once, retries still run, nothing is
    /// replayed from the spool; at `deadline` whatever is left goes to the spool.
    public mutating func finish(deadline: UInt64) {
        if let existing = finishDeadline {
            finishDeadline = min(existing, deadline)
        } else {
            finishDeadline = deadline
        }
    }

    /// Takes everything that must not wait for the loop (used when the loop is gone): the queue and
    /// every batch in memory.
    public mutating func drainAll() -> [Document] {
        var all = overflow + queue
        overflow = []
        queue = []
        queueArrivals = []
        queueBytes = 0
        for entry in waiting where entry.batch.origin == .live { all += entry.batch.documents }
        waiting = []
        if let inFlight, inFlight.batch.origin == .live { all += inFlight.batch.documents }
        inFlight = nil
        return all
    }

    // MARK: - Deciding

    /// The actions to perform now, and when to ask again.
    public mutating func nextActions(now: UInt64) -> Step {
        if done { return Step(actions: takeEffects(), wakeAt: nil, isDone: true) }
        flushOverflow(now: now)

        if let deadline = finishDeadline {
            if now >= deadline || !endpoints.contains(where: { $0.health == .up }) || template == .installing {
                spoolEverything(reason: .shutdown, now: now)
                logSuppressedDeadLetters(now: now)
                done = true
                return Step(actions: takeEffects(), wakeAt: nil, isDone: true)
            }
        }

        var actions: [Action] = []
        if let last = lastDeadLetterLog, suppressedDeadLetters > 0,
            now >= last &+ policy.deadLetterLogInterval.nanoseconds
        {
            logSuppressedDeadLetters(now: now)
        }
        scheduleProbes(now: now, into: &actions)
        if template == .needed, let version, let endpoint = pickEndpoint() {
            template = .installing
            actions.append(.installTemplate(endpoint: endpoint, version: version))
        }
        if isUnreachable && hasSpool {
            spoolWhileUnreachable(now: now)
        }
        if let send = nextSend(now: now) {
            actions.append(send)
        }
        if hasSpool, spoolMayHaveData, replay == .idle, finishDeadline == nil, canSend(now: now),
            now >= nextReplayAt
        {
            replay = .peeking
            actions.append(.peekSpool(maxDocuments: policy.maxDocs))
        }
        if finishDeadline != nil, queue.isEmpty, waiting.isEmpty, inFlight == nil, overflow.isEmpty {
            logSuppressedDeadLetters(now: now)
            done = true
        }
        return Step(actions: takeEffects() + actions, wakeAt: done ? nil : wakeAt(now: now), isDone: done)
    }

    package mutating func takeEffects() -> [Action] {
        defer { effects = [] }
        return effects
    }

    private mutating func flushOverflow(now: UInt64) {
        guard !overflow.isEmpty, now >= spoolBlockedUntil || !hasSpool else { return }
        let documents = overflow
        overflow = []
        spool(documents, reason: .overflow)
    }

    private mutating func scheduleProbes(now: UInt64, into actions: inout [Action]) {
        for index in endpoints.indices where !endpoints[index].probing {
            let due: Bool
            switch endpoints[index].health {
            case .unknown, .suspect: due = true
            case .down(_, let probeAt): due = now >= probeAt
            case .up: due = false
            }
            if due {
                endpoints[index].probing = true
                actions.append(.probe(endpoint: index))
            }
        }
    }

    /// Every endpoint is down: nothing waits in memory for it (SPEC §5).
    private mutating func spoolWhileUnreachable(now: UInt64) {
        guard now >= spoolBlockedUntil else { return }
        var documents: [Document] = []
        var kept: [Waiting] = []
        for entry in waiting {
            if entry.batch.origin == .live { documents += entry.batch.documents } else { kept.append(entry) }
        }
        waiting = kept
        // Forced: with no cluster to wait for, a document is safer on disk than in memory (kill -9).
        while let batch = takeLiveBatch(now: now, force: true) { documents += batch }
        if !documents.isEmpty { spool(documents, reason: .unreachable) }
        if case .ready = replay { replay = .idle }
    }

    package func canSend(now: UInt64) -> Bool {
        version != nil && (template == .installed || template == .notNeeded) && now >= pausedUntil
            && endpoints.contains { $0.health == .up }
    }

    private mutating func nextSend(now: UInt64) -> Action? {
        guard inFlight == nil, canSend(now: now), let version else { return nil }
        var batch: Batch?
        if let index = waiting.indices.min(by: { waiting[$0].readyAt < waiting[$1].readyAt }),
            waiting[index].readyAt <= now
        {
            batch = waiting.remove(at: index).batch
        } else if case .ready(let replayBatch) = replay {
            batch = replayBatch
            replay = .sending
        } else if let documents = takeLiveBatch(now: now, force: finishDeadline != nil) {
            batch = Batch(id: makeBatchID(), documents: documents, failures: 0, origin: .live)
        }
        guard let batch, let endpoint = pickEndpoint() else { return nil }
        inFlight = InFlight(batch: batch, endpoint: endpoint)
        stats.bulkRequests += 1
        return .send(batch, endpoint: endpoint, version: version)
    }

    /// The oldest queued documents, if a batch is due: full by count or bytes, old enough, or
    /// `force` (shutdown).
    package mutating func takeLiveBatch(now: UInt64, force: Bool) -> [Document]? {
        guard let oldest = queueArrivals.first else { return nil }
        let due =
            force || queue.count >= policy.maxDocs || queueBytes >= maxBytes
            || now >= oldest &+ policy.flushInterval.nanoseconds
        guard due else { return nil }
        var count = 0
        var bytes = 0
        while count < queue.count && count < policy.maxDocs {
            let size = BulkEncoder.estimatedSize(of: queue[count])
            if count > 0 && bytes + size > maxBytes { break }
            bytes += size
            count += 1
        }
        let documents = Array(queue[0..<count])
        queue.removeFirst(count)
        queueArrivals.removeFirst(count)
        queueBytes -= bytes
        return documents
    }

    package mutating func pickEndpoint() -> Int? {
        for step in 0..<endpoints.count {
            let index = (roundRobin + step) % endpoints.count
            if endpoints[index].health == .up {
                roundRobin = index + 1
                return index
            }
        }
        return nil
    }

    package mutating func makeBatchID() -> Int {
        defer { nextBatchID += 1 }
        return nextBatchID
    }

    /// The next time something can happen without an outside event. Times that only matter once a
    /// request, probe or template install finishes are left out: that completion wakes the loop,
    /// and counting them would make it spin.
    private func wakeAt(now: UInt64) -> UInt64? {
        let sendable = inFlight == nil && canSend(now: .max)
        let spoolable = hasSpool && isUnreachable
        var times: [UInt64] = []
        if sendable || spoolable || finishDeadline != nil {
            if let oldest = queueArrivals.first { times.append(oldest &+ policy.flushInterval.nanoseconds) }
        }
        if sendable {
            for entry in waiting { times.append(entry.readyAt) }
            if hasSpool, spoolMayHaveData, replay == .idle, finishDeadline == nil { times.append(nextReplayAt) }
        }
        if spoolable && !waiting.isEmpty { times.append(spoolBlockedUntil) }
        if !overflow.isEmpty && hasSpool { times.append(spoolBlockedUntil) }
        for endpoint in endpoints where !endpoint.probing {
            if case .down(_, let probeAt) = endpoint.health { times.append(probeAt) }
        }
        if let deadline = finishDeadline { times.append(deadline) }
        if let last = lastDeadLetterLog, suppressedDeadLetters > 0 {
            times.append(last &+ policy.deadLetterLogInterval.nanoseconds)
        }
        guard var earliest = times.min() else { return nil }
        // Nothing is sent before a pause ends; waking earlier would only spin.
        if sendable, pausedUntil > earliest, !spoolable { earliest = pausedUntil }
        return max(earliest, now)
    }

    // MARK: - Effects

    /// Spools documents (or, without a spool, drops and counts them).
    package mutating func spool(_ documents: [Document], reason: SpoolReason) {
        guard !documents.isEmpty else { return }
        if hasSpool {
            stats.spooled += documents.count
            spoolMayHaveData = true
            // One append per `maxBytes` chunk: an append encodes its documents into one buffer, so
            // spooling a full queue (64 MiB by default) must not need a second copy of it. Measured
            // with 300 KB documents and an unwritable spool: RSS peaked at 171 MB in one piece.
            var start = 0
            var bytes = 0
            for index in documents.indices {
                let size = BulkEncoder.estimatedSize(of: documents[index])
                if index > start, bytes + size > policy.maxBytes {
                    effects.append(.spool(Array(documents[start..<index]), reason: reason))
                    start = index
                    bytes = 0
                }
                bytes += size
            }
            effects.append(.spool(start == 0 ? documents : Array(documents[start...]), reason: reason))
        } else {
            stats.dropped += documents.count
            effects.append(.log(.dropped(count: documents.count, reason: "no spool configured (\(reason.rawValue))")))
        }
    }

    package mutating func spoolEverything(reason: SpoolReason, now: UInt64) {
        let documents = drainAll()
        if case .ready = replay { replay = .idle }
        spool(documents, reason: reason)
    }

    package func backoffDelay(attempt: Int) -> Duration {
        backoff(attempt: attempt, base: policy.retryBase, cap: policy.retryCap, random: random)
    }
}
