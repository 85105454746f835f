import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import Synchronization

/// Sends documents to Elasticsearch or OpenSearch with `_bulk` (SPEC §4): never loses a document
/// and never stores one twice.
///
/// The decisions live in ``BulkStateMachine``; this class performs its actions: probes (`GET /`),
/// template installation, bulk requests (as child tasks, so the loop never waits on the network),
/// spool writes and replay, dead letters, logs and metrics. Spool and dead-letter I/O (each append
/// is fsync'd) runs on the recorder's ``BlockingExecutor``, never on the cooperative pool.
///
/// ```swift
/// let recorder = ElasticsearchRecorder(name: "es", configuration: config, transport: transport,
///                                      spool: spool, clock: SystemClock(), metrics: registry, logger: logger)
/// // run() as a child of the service group; engines call accept(_:); at shutdown:
/// await recorder.finish(deadline: clock.monotonicNanos() + 10_000_000_000)
/// ```
public final class ElasticsearchRecorder: Recorder {
    public let name: String
    package let configuration: ElasticsearchConfiguration
    package let transport: any HTTPTransport
    private let spool: (any Spool)?
    /// Where every accepted document is written before `accept` returns (see ``WriteAheadLog``).
    package let writeAheadLog: WriteAheadLog?
    package let writeAheadLogFailing = Atomic<Bool>(false)
    package let io: BlockingExecutor
    package let clock: any TimeSource
    package let logger: Logger
    private let samples: SampleCollection?
    private let templateClaims: IndexTemplateClaims
    /// Where fields the cluster refused are pinned for their readers; nil: none (tests).
    package let fieldPins: FieldPins?
    private let metrics: RecorderMetrics
    /// The `Authorization` header value; never logged.
    private let authorization: String?
    private let state: Mutex<State>
    private let wakeup = Wakeup()
    private let loopEnded = Latch()
    /// The gzip compressor kept between bulk bodies (``GzipDeflater``); nil until the first.
    private let deflater = Mutex<GzipDeflater?>(nil)
    /// Which metric types are in which index's mapping (``applyFieldMeta(_:endpoint:version:)``).
    package let fieldMetaLedger = Mutex(FieldMetaLedger())

    private struct State: ~Copyable {
        package var machine: BulkStateMachine
        package var published = BulkStateMachine.Stats()
        package var running = false
        /// The last problem logged, for ``status``.
        package var lastError: String?
    }

    /// - Parameters:
    ///   - name: the recorder's name (metric label `recorder`, log component `recorder.<name>`).
    ///   - transport: how HTTP is sent (the socket client, or a test fake).
    ///   - spool: where undeliverable documents wait; nil drops them (counted as `docs_dropped`).
    ///   - clock: all waiting and timing goes through it.
    ///   - random: the jitter source for backoff, `Double.random(in:)` by default.
    ///   - samples: where each bulk request's latency and outcome is kept for the collection API.
    ///   - io: where the spool and the dead-letter file are written (they block on `fsync`); a new
    ///     executor for this recorder by default.
    ///   - templateClaims: the index-template names the process's recorders hold, shared by all of
    ///     them so that none overwrites another's template; a private set by default.
    ///   - fieldPins: where a field the cluster refused is pinned for the reader that wrote it, so
    ///     that its later polls leave the field out (shared with the readers); nil: not pinned.
    ///   - writeAheadLog: the spool's write-ahead log (``FileSpool/openWriteAheadLog(logger:metrics:metricLabels:)``):
    ///     every accepted document is written to it before ``accept(_:)`` returns, and confirmed when
    ///     it is stored, dead-lettered or spooled; fsync'd every `wal_sync_interval`. Nil: none.
    public init(
        name: String,
        configuration: ElasticsearchConfiguration,
        transport: any HTTPTransport,
        spool: (any Spool)?,
        clock: any TimeSource,
        metrics: any MetricsFactory,
        logger: Logger,
        random: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) },
        samples: SampleCollection? = nil,
        io: BlockingExecutor? = nil,
        templateClaims: IndexTemplateClaims = IndexTemplateClaims(),
        fieldPins: FieldPins? = nil,
        writeAheadLog: WriteAheadLog? = nil
    ) {
        self.writeAheadLog = writeAheadLog
        self.fieldPins = fieldPins
        self.samples = samples
        self.templateClaims = templateClaims
        self.io = io ?? BlockingExecutor(label: "expvastic.recorder.\(name)")
        precondition(!configuration.endpoints.isEmpty, "an elasticsearch recorder needs at least one endpoint")
        self.name = name
        self.configuration = configuration
        self.transport = transport
        self.spool = spool
        self.clock = clock
        self.logger = logger
        self.metrics = RecorderMetrics(recorder: name, factory: metrics)
        if let apiKey = configuration.apiKey {
            authorization = "ApiKey " + apiKey.value
        } else if let username = configuration.username {
            let pair = username + ":" + (configuration.password?.value ?? "")
            authorization = "Basic " + Base64.encode(pair.utf8)
        } else {
            authorization = nil
        }
        let spoolHasData = (spool?.usage.bytes ?? 0) > 0
        state = Mutex(
            State(
                machine: BulkStateMachine(
                    policy: BulkPolicy(configuration: configuration),
                    endpointCount: configuration.endpoints.count,
                    hasSpool: spool != nil,
                    spoolHasData: spoolHasData,
                    random: random
                )))
    }

    // MARK: - Recorder

    public func accept(_ document: Document) {
        if let writeAheadLog { log(document, to: writeAheadLog) }
        let now = clock.monotonicNanos()
        let (wake, ended) = state.withLock { state in
            (state.machine.accept(document, now: now), state.machine.isDone && !state.running)
        }
        if ended {
            // The loop is gone (a document after shutdown): keep it durable ourselves, before
            // returning. This rare path blocks on the spool's fsync; `accept` cannot await.
            spoolLeftoversNow(reason: .shutdown)
        } else if wake {
            wakeup.signal()
        }
    }

    public func finish(deadline: UInt64) async {
        let running = state.withLock { state in
            state.machine.finish(deadline: deadline)
            return state.running
        }
        wakeup.signal()
        if running {
            await loopEnded.wait()
        } else {
            await spoolLeftovers(reason: .shutdown)
            await closeWriteAheadLog()
        }
    }

    public func run() async throws {
        let alreadyDone = state.withLock { state in
            if state.machine.isDone { return true }
            state.running = true
            return false
        }
        if alreadyDone { return }
        let (executor, hostedClock) = loopHost
        let context = LoopContext(
            deadLetters: DeadLetterFile(
                directory: configuration.spoolDirectory, maxBytes: configuration.deadLetterMaxBytes),
            indexName: configuration.indexName, executor: executor)
        // The loop and its timers run on the HTTP client's loop thread when there is one (see
        // ``loopHost``): the engines' `accept` wakes it from that thread, and its flush timer is a
        // deadline of that thread's wait, so neither wakes another thread. Bulk requests are encoded
        // and compressed on the cooperative pool unless they are small (``documentsSentFromTheLoop``).
        await withTaskExecutorPreference(executor) {
            await withDiscardingTaskGroup { group in
                if let writeAheadLog {
                    group.addTask(executorPreference: executor) {
                        await self.syncPeriodically(writeAheadLog, clock: hostedClock)
                    }
                }
                while true {
                    if Task.isCancelled {
                        let now = clock.monotonicNanos()
                        state.withLock { $0.machine.finish(deadline: now) }
                    }
                    let now = clock.monotonicNanos()
                    let step = state.withLock { $0.machine.nextActions(now: now) }
                    for action in step.actions {
                        await perform(action, context: context, group: &group)
                    }
                    publishMetrics()
                    if step.isDone { break }
                    await wakeup.wait(until: step.wakeAt, clock: hostedClock)
                }
                group.cancelAll()
            }
        }
        let deadLetters = context.deadLetters
        await io.run { deadLetters.close() }
        state.withLock { $0.running = false }
        // A document accepted between the last step and now must not be stranded.
        await spoolLeftovers(reason: .shutdown)
        await closeWriteAheadLog()
        publishMetrics()
        loopEnded.open()
    }

    // MARK: - Actions

    /// A batch of at most this many bytes (``BulkEncoder/estimatedSize(of:)``) is encoded,
    /// compressed and sent from the thread the recorder's loop runs on (the HTTP client's loop
    /// thread, see ``loopHost``): about 0.3 ms; 64 documents of a Go service's 4 KB.
    package static let bytesSentFromTheLoop = 256 << 10

    /// Whether `batch` is small enough for ``bytesSentFromTheLoop``.
    package static func sentFromTheLoop(_ batch: BulkStateMachine.Batch) -> Bool {
        var bytes = 0
        for document in batch.documents {
            bytes += BulkEncoder.estimatedSize(of: document)
            if bytes > bytesSentFromTheLoop { return false }
        }
        return true
    }

    /// What the loop alone touches (the dead-letter file only through ``io``).
    private final class LoopContext {
        package let deadLetters: DeadLetterFile
        package let indexName: IndexName
        /// Where the loop runs (``loopHost``); nil: the cooperative pool.
        package let executor: (any TaskExecutor)?
        /// `docs_replayed` when replay progress was last logged.
        package var replayedAtLastLog = 0
        package init(deadLetters: DeadLetterFile, indexName: IndexName, executor: (any TaskExecutor)?) {
            self.deadLetters = deadLetters
            self.indexName = indexName
            self.executor = executor
        }
    }

    /// Starts network work as child tasks; awaits file work (on ``io``) in order, as the machine
    /// expects its spool and dead-letter actions done before the next step.
    private func perform(
        _ action: BulkStateMachine.Action, context: LoopContext, group: inout DiscardingTaskGroup
    ) async {
        switch action {
        case .probe(let endpoint):
            group.addTask(executorPreference: context.executor) { await self.probe(endpoint: endpoint) }
        case .installTemplate(let endpoint, let version):
            group.addTask(executorPreference: context.executor) {
                await self.installTemplate(endpoint: endpoint, version: version)
            }
        case .send(let batch, let endpoint, let version):
            // Encoding and gzip cost about 1 µs per KB: a big batch's milliseconds go to the
            // cooperative pool, not the loop thread, where they would delay polls; a small one
            // (a few readers' second) stays where it is, without waking a worker and the loop twice.
            let executor = Self.sentFromTheLoop(batch) ? context.executor : globalConcurrentExecutor
            group.addTask(executorPreference: executor) {
                await self.send(batch, endpoint: endpoint, version: version)
            }
        case .peekSpool(let maxDocuments):
            let now = clock.monotonicNanos()
            let spool = self.spool
            do throws(SpoolError) {
                let batch = try await io.run { () throws(SpoolError) in try spool?.peek(maxDocuments: maxDocuments) }
                state.withLock { $0.machine.spoolPeeked(batch, now: now) }
            } catch {
                state.withLock { $0.machine.spoolPeekFailed(reason: error.message, now: now) }
            }
            wakeup.signal()
        case .spool(let documents, let reason):
            await writeToSpool(documents, reason: reason)
        case .acknowledge(let batch):
            let spool = self.spool
            do throws(SpoolError) {
                let left = try await io.run { () throws(SpoolError) in
                    try spool?.acknowledge(batch)
                    return spool?.usage.bytes ?? 0
                }
                logReplayProgress(context: context, bytesLeft: left)
            } catch {
                logger.error("cannot acknowledge replayed spool batch; it will be sent again", ["error": error.message])
            }
        case .deadLetter(let letters):
            let version = state.withLock { $0.machine.clusterVersion }
            let encoder = BulkEncoder(indexName: context.indexName, version: version)
            let deadLetters = context.deadLetters
            let wallMillis = clock.wallNanos() / 1_000_000
            do throws(RecorderError) {
                try await io.run { () throws(RecorderError) in
                    try deadLetters.append(letters, recorder: self.name, encoder: encoder, wallMillis: wallMillis)
                }
            } catch {
                logger.error(
                    "cannot write dead letters; \(letters.count) rejected documents are only counted",
                    ["error": error.message])
            }
            // Rejected for good: sending them again after a restart would only be rejected again.
            // A document sent again without a removed field stays in the log until it is stored.
            writeAheadLog?.confirm(letters.filter(\.removedFields.isEmpty).map(\.document))
        case .pinFields(let reader, let paths, let pin, let reason):
            self.pin(paths, as: pin, reader: reader, reason: reason, deadLetterPath: context.deadLetters.path)
        case .fetchMappings(let letters, let origin):
            let results = await mappings(for: letters)
            let now = clock.monotonicNanos()
            state.withLock { $0.machine.mappingsFetched(results, origin: origin, now: now) }
            wakeup.signal()
        case .log(let transition):
            log(transition, deadLetterPath: context.deadLetters.path)
        }
    }

    private func writeToSpool(_ documents: [Document], reason: BulkStateMachine.SpoolReason) async {
        guard let spool else { return }
        do throws(SpoolError) {
            try await io.run { () throws(SpoolError) in
                try spool.append(documents)
                // Counted the moment they are durable, as before the move to `io`.
                self.metrics.spooled.increment(by: Int64(documents.count))
                self.writeAheadLog?.confirm(documents)
            }
            if reason == .shutdown {
                logShutdownSpool(documents.count)
            } else {
                logger.debug(
                    "spooled documents", ["recorder.documents": "\(documents.count)", "reason": reason.rawValue])
            }
        } catch {
            let now = clock.monotonicNanos()
            state.withLock { $0.machine.spoolFailed(documents, reason: error.message, now: now) }
            wakeup.signal()
        }
    }

    /// Everything still in memory after the loop is gone goes to the spool (or is counted as dropped).
    private func spoolLeftovers(reason: BulkStateMachine.SpoolReason) async {
        await io.run { self.spoolLeftoversNow(reason: reason) }
    }

    /// ``spoolLeftovers(reason:)`` on the calling thread: blocks on the spool's fsync.
    private func spoolLeftoversNow(reason: BulkStateMachine.SpoolReason) {
        let documents = state.withLock { $0.machine.drainAll() }
        guard !documents.isEmpty else { return }
        if let spool {
            do throws(SpoolError) {
                try spool.append(documents)
                metrics.spooled.increment(by: Int64(documents.count))
                logShutdownSpool(documents.count)
                writeAheadLog?.confirm(documents)
                return
            } catch {
                logger.error("cannot spool documents at shutdown", ["error": error.message])
            }
        }
        metrics.dropped.increment(by: Int64(documents.count))
        logger.error("dropped documents at shutdown", ["recorder.documents": "\(documents.count)"])
    }

    package func request(
        _ method: String, endpoint index: Int, path: String, contentType: String? = nil, body: [UInt8] = [],
        contentEncoding: String? = nil
    ) -> HTTPRequest {
        let endpoint = configuration.endpoints[index]
        var headers: [(name: String, value: String)] = []
        if let contentType { headers.append((name: "Content-Type", value: contentType)) }
        if let contentEncoding { headers.append((name: "Content-Encoding", value: contentEncoding)) }
        if let authorization { headers.append((name: "Authorization", value: authorization)) }
        return HTTPRequest(
            method: method, endpoint: endpoint, path: endpoint.appending(path: path).path, headers: headers,
            body: body, timeout: configuration.timeout)
    }

    private func probe(endpoint: Int) async {
        let outcome: Result<ClusterVersion, RecorderError>
        var answered = true
        do {
            let response = try await transport.send(request("GET", endpoint: endpoint, path: "/"))
            if (200..<300).contains(response.status) {
                do throws(RecorderError) {
                    outcome = .success(try ClusterVersion(rootResponse: response.body))
                } catch {
                    outcome = .failure(error)
                }
            } else {
                outcome = .failure(
                    RecorderError(
                        code: "probe_status",
                        message: "GET / answered \(response.status): \(BulkResponse.errorSummary(response.body))"))
            }
        } catch {
            answered = false
            outcome = .failure(RecorderError(code: error.code, message: error.description))
        }
        let now = clock.monotonicNanos()
        state.withLock { state in
            switch outcome {
            case .success(let version): state.machine.probeSucceeded(endpoint: endpoint, version: version, now: now)
            case .failure(let error):
                state.machine.probeFailed(
                    endpoint: endpoint, reason: error.message, connectionFailed: !answered, now: now)
            }
        }
        wakeup.signal()
    }

    private func installTemplate(endpoint: Int, version: ClusterVersion) async {
        let template =
            configuration.dataStream.map { IndexTemplate(dataStream: $0) }
            ?? IndexTemplate(indexName: configuration.indexName, kind: version.templateKind)
        let outcome: BulkStateMachine.TemplateOutcome
        if let holder = templateClaims.claim(
            name: template.name, cluster: configuration.endpoints[0].origin, pattern: template.indexPattern,
            recorder: name)
        {
            logger.error(
                "index template not installed: recorder \(holder.recorder) of this process installs a template of "
                    + "this name for another index pattern; give one of them a different index_name",
                [
                    "template": template.name, "template.pattern": template.indexPattern,
                    "template.other_pattern": holder.pattern,
                ])
            outcome = .skipped
        } else {
            outcome = await putTemplate(template, endpoint: endpoint)
        }
        let now = clock.monotonicNanos()
        state.withLock { $0.machine.templateFinished(endpoint: endpoint, outcome: outcome, now: now) }
        wakeup.signal()
    }

    private func putTemplate(_ template: IndexTemplate, endpoint: Int) async -> BulkStateMachine.TemplateOutcome {
        let outcome: BulkStateMachine.TemplateOutcome
        do {
            let response = try await transport.send(
                request(
                    "PUT", endpoint: endpoint, path: template.path, contentType: "application/json",
                    body: template.body))
            switch response.status {
            case 200..<300:
                outcome = .installed
                logger.info(
                    "index template installed",
                    ["template": template.name, "template.pattern": template.indexPattern])
            case 400..<500:
                outcome = .rejected(status: response.status, reason: BulkResponse.errorSummary(response.body))
            default:
                outcome = .failed(reason: "status \(response.status): \(BulkResponse.errorSummary(response.body))")
            }
        } catch {
            outcome = .failed(reason: error.description)
        }
        return outcome
    }

    /// zlib's fastest level: expvar NDJSON repeats its keys in every document, so it already takes
    /// a bulk body to about a tenth (see README, Performance).
    private static let gzipLevel: Int32 = 1

    /// `body` gzipped, with the kept compressor, or with one of its own when another request is
    /// compressing with it at this moment; nil when zlib fails (only when out of memory), and then
    /// the body goes as it is.
    private func gzip(_ body: [UInt8]) -> [UInt8]? {
        let kept = deflater.withLockIfAvailable { slot -> [UInt8]? in
            let stream: GzipDeflater
            if let held = slot.take() {
                stream = held
            } else {
                guard let made = try? GzipDeflater(level: Self.gzipLevel) else { return nil }
                stream = made
            }
            let compressed = try? stream.compress(body)
            slot = consume stream
            return compressed
        }
        guard let kept else { return try? Gzip.compress(body, level: Self.gzipLevel) }
        return kept
    }

    private func send(_ batch: BulkStateMachine.Batch, endpoint: Int, version: ClusterVersion) async {
        let encoder = BulkEncoder(indexName: configuration.indexName, version: version)
        var body = encoder.encode(batch.documents)
        var contentEncoding: String?
        if configuration.compression == .gzip, let compressed = gzip(body) {
            body = compressed
            contentEncoding = "gzip"
        }
        let started = clock.monotonicNanos()
        let outcome: BulkStateMachine.BulkOutcome
        do {
            let response = try await transport.send(
                request(
                    "POST", endpoint: endpoint, path: "/_bulk", contentType: BulkEncoder.contentType, body: body,
                    contentEncoding: contentEncoding))
            if (200..<300).contains(response.status) {
                do throws(RecorderError) {
                    switch try BulkResponse.parse(response.body) {
                    case .allStored: outcome = .allStored
                    case .items(let items): outcome = .items(items)
                    }
                } catch {
                    outcome = .unreadable(reason: error.message)
                }
            } else {
                let retryAfter = RetryAfter.parse(
                    response.header("Retry-After"), nowWallMillis: clock.wallNanos() / 1_000_000)
                outcome = .status(
                    response.status, retryAfter: retryAfter, reason: BulkResponse.errorSummary(response.body))
            }
        } catch {
            outcome = .connectionFailed(reason: error.description)
        }
        let now = clock.monotonicNanos()
        metrics.bulkLatency.record(nanos: now &- started)
        samples?.record(
            SampleCollection.Sample(
                wallNanos: clock.wallNanos(), component: "recorder.\(name)", kind: .bulk, latencyNanos: now &- started,
                outcome: outcome.isStored ? .ok : .error))
        logger.debug(
            "bulk request finished",
            [
                "recorder.documents": "\(batch.documents.count)", "recorder.attempt": "\(batch.failures + 1)",
                "recorder.latency_ms": "\((now &- started) / 1_000_000)", "recorder.outcome": outcome.summary,
            ])
        state.withLock { $0.machine.bulkFinished(batchID: batch.id, outcome: outcome, now: now) }
        confirmStored(batch, outcome: outcome)
        wakeup.signal()
        if outcome.isStored { await applyFieldMeta(batch.documents, endpoint: endpoint, version: version) }
    }

    // MARK: - Observability

    /// Replay progress: every 1,000 documents and when the spool is empty, at info level.
    private func logReplayProgress(context: LoopContext, bytesLeft: Int) {
        let replayed = state.withLock { $0.machine.stats.replayed }
        guard replayed - context.replayedAtLastLog >= 1000 || (bytesLeft == 0 && replayed > context.replayedAtLastLog)
        else { return }
        context.replayedAtLastLog = replayed
        if bytesLeft == 0 {
            logger.info(
                "spool replayed: \(Self.grouped(replayed)) spooled documents sent since start; the spool is empty")
        } else {
            logger.info(
                "replayed \(Self.grouped(replayed)) spooled documents; \(Self.grouped(bytesLeft)) bytes still spooled",
                ["spool.dir": configuration.spoolDirectory])
        }
    }

    private func logShutdownSpool(_ count: Int) {
        logger.info(
            "spooled \(Self.grouped(count)) documents at shutdown; they are sent when the recorder runs again",
            ["spool.dir": configuration.spoolDirectory])
    }

    /// `4800` → `4,800`.
    package static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return value < 0 ? "-" + out : out
    }

    public var status: RecorderStatus {
        let now = clock.monotonicNanos()
        let usage = spool?.usage ?? SpoolUsage()
        return state.withLock { state in
            let machine = state.machine
            let current: RecorderStatus.State =
                machine.pausedUntil > now || machine.isBlocked
                ? .blocked
                : usage.bytes > 0 || machine.isUnreachable ? .spooling : machine.isReachable ? .connected : .connecting
            return RecorderStatus(
                name: name, kind: "elasticsearch",
                destination: configuration.endpoints.map(\.description).joined(separator: ", "),
                clusterVersion: machine.clusterVersion?.description, state: current,
                documentsSent: machine.stats.sent, queueLength: machine.documentsInMemory, spoolBytes: usage.bytes,
                spoolSegments: usage.segments, deadLettered: machine.stats.deadLettered, lastError: state.lastError)
        }
    }

    private func publishMetrics() {
        let (old, new, inMemory, blocked) = state.withLock { state in
            let old = state.published
            state.published = state.machine.stats
            return (old, state.machine.stats, state.machine.documentsInMemory, state.machine.isBlocked)
        }
        metrics.publish(from: old, to: new)
        metrics.clusterBlocked.set(blocked ? 1 : 0)
        // `spool_bytes` and `spool_segments` are kept by the spool itself, on every append and ack.
        metrics.queueLength.set(Double(inMemory))
    }

    private func describe(endpoint index: Int) -> String {
        configuration.endpoints.indices.contains(index) ? configuration.endpoints[index].origin : "#\(index)"
    }

    /// The transitions an operator should see as the recorder's last error.
    package static func problem(_ transition: BulkStateMachine.Transition) -> String? {
        switch transition {
        case .connected, .clusterReachable, .endpointUp, .bulkLimitLearned, .clusterUnblocked: nil
        case .clusterBlocked(let reason, _): "cluster refuses writes (block): " + reason
        case .clusterUnreachable(let reason): "cluster unreachable: " + reason
        case .endpointDown(_, let reason): "endpoint not answering: " + reason
        case .throttled(let status, let pause): "HTTP \(status): cluster asks to slow down; paused \(pause)"
        case .templateRejected(let status, let reason): "index template rejected (HTTP \(status)): " + reason
        case .deadLettered(let count, let status, let reason):
            "\(count) document(s) dead-lettered (HTTP \(status)): " + reason
        case .requestRejected(let status, let reason): "bulk request rejected (HTTP \(status)): " + reason
        case .spoolFailed(let reason): "spool not writable: " + reason
        case .dropped(let count, let reason): "\(count) document(s) dropped: " + reason
        }
    }

    /// `12.3`: nanoseconds as seconds with one decimal, rounded half up.
    package static func seconds(tenthsOf nanos: UInt64) -> String {
        let tenths = (nanos + 50_000_000) / 100_000_000
        return "\(tenths / 10).\(tenths % 10)"
    }

    private func log(_ transition: BulkStateMachine.Transition, deadLetterPath: String) {
        if let problem = Self.problem(transition) { state.withLock { $0.lastError = problem } }
        switch transition {
        case .connected(let version):
            logger.info("connected to the cluster", ["cluster.version": version.description])
        case .clusterUnreachable(let reason):
            logger.warn(
                "cluster unreachable; spooling until it answers again",
                ["error": reason, "spool.dir": configuration.spoolDirectory])
        case .clusterReachable(let version, let downNanos, let failedProbes):
            logger.info(
                "cluster reachable again",
                [
                    "cluster.version": version.description,
                    "recorder.down_seconds": Self.seconds(tenthsOf: downNanos),
                    "recorder.failed_probes": "\(failedProbes)",
                ])
        case .endpointDown(let endpoint, let reason):
            logger.warn(
                "endpoint not answering; skipped until it does",
                ["endpoint": describe(endpoint: endpoint), "error": reason])
        case .endpointUp(let endpoint):
            logger.info("endpoint answering again", ["endpoint": describe(endpoint: endpoint)])
        case .throttled(let status, let pause):
            logger.warn(
                "cluster asks to slow down; pausing", ["http.status": "\(status)", "recorder.pause": "\(pause)"])
        case .templateRejected(let status, let reason):
            logger.error(
                "index template rejected; documents are sent anyway but may be mapped dynamically",
                ["http.status": "\(status)", "error": reason])
        case .deadLettered(let count, let status, let reason):
            logger.warn(
                "documents rejected for good, written to the dead-letter file",
                [
                    "recorder.documents": "\(count)", "http.status": "\(status)", "error": reason,
                    "file": deadLetterPath,
                ])
        case .requestRejected(let status, let reason):
            logger.warn("bulk request rejected; retrying", ["http.status": "\(status)", "error": reason])
        case .spoolFailed(let reason):
            logger.error("spool not writable; holding documents in memory", ["error": reason])
        case .dropped(let count, let reason):
            logger.error("documents dropped", ["recorder.documents": "\(count)", "reason": reason])
        case .bulkLimitLearned(let bytes):
            logger.warn(
                "cluster refused a bulk request as too large (413); splitting it and keeping later requests smaller",
                ["recorder.max_bytes": "\(bytes)"])
        case .clusterBlocked(let reason, let pause):
            logger.warn(
                "cluster refuses writes (block); pausing with backoff, documents wait in order",
                ["error": reason, "recorder.pause": "\(pause)"])
        case .clusterUnblocked(let blockedNanos, let attempts):
            logger.info(
                "cluster accepts writes again",
                [
                    "recorder.blocked_seconds": Self.seconds(tenthsOf: blockedNanos),
                    "recorder.attempts": "\(attempts)",
                ])
        }
    }
}
