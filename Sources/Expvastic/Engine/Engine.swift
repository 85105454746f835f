import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline
import Synchronization

/// Runs one reader on its schedule and fans each document out to that reader's recorders.
///
/// Between polls an engine is a call its clock will make at the next tick
/// (``TimeSource/schedule(atMonotonic:_:)``), not a task asleep: on the HTTP loop's clock that is
/// one timer entry (a sleeping task was ~3.8 KB of heap, 38 MB at 10,000 targets). Each tick runs
/// the poll in a task of its own on `executor`, which ends with the poll. Polls never overlap;
/// ticks missed while a poll runs are counted as skipped. Recorders take documents without
/// blocking (their overflow goes to their spools), so a slow recorder never delays polling or
/// the other recorders.
///
/// ``start()`` begins, ``stop()`` ends it: a poll in flight finishes and delivers its documents
/// first. ``ended`` opens when the engine has ended.
public final class Engine: Service {
    /// Everything an engine reports about one poll (for the recent-samples collection).
    public struct PollEvent: Sendable, Equatable {
        public var reader: String
        /// The health and sample component: `reader.<name>`, or `reader.<name>@<endpoint>` for a
        /// discovered target.
        public var component: String
        public var wallNanos: Int64
        public var latencyNanos: UInt64
        public var succeeded: Bool
        /// The polled URL (``Reader/endpoint``), empty when the reader has none.
        public var endpoint: String = ""
        /// The target's discovery labels (``Reader/labels``), sorted by name.
        public var labels: [(name: String, value: String)] = []
        /// The failed poll's error, nil after a success.
        public var error: String? = nil
        /// Failed polls in a row, this one included (0 after a success).
        public var consecutiveFailures: Int = 0
        /// True once the failures reached `backoff`: the reader polls less often until it answers.
        public var backingOff: Bool = false
        /// ``Reader/droppedFields`` after the poll.
        public var droppedFields: [(reason: String, count: Int)] = []

        /// `component` defaults to `reader.<reader>`.
        public init(
            reader: String, component: String? = nil, wallNanos: Int64, latencyNanos: UInt64, succeeded: Bool,
            endpoint: String = "", labels: [(name: String, value: String)] = [], error: String? = nil,
            consecutiveFailures: Int = 0, backingOff: Bool = false, droppedFields: [(reason: String, count: Int)] = []
        ) {
            self.reader = reader
            self.component = component ?? "reader.\(reader)"
            self.wallNanos = wallNanos
            self.latencyNanos = latencyNanos
            self.succeeded = succeeded
            self.endpoint = endpoint
            self.labels = labels
            self.error = error
            self.consecutiveFailures = consecutiveFailures
            self.backingOff = backingOff
            self.droppedFields = droppedFields
        }

        public static func == (lhs: PollEvent, rhs: PollEvent) -> Bool {
            lhs.reader == rhs.reader && lhs.component == rhs.component && lhs.wallNanos == rhs.wallNanos
                && lhs.latencyNanos == rhs.latencyNanos && lhs.succeeded == rhs.succeeded
                && lhs.endpoint == rhs.endpoint && lhs.labels.elementsEqual(rhs.labels, by: ==)
                && lhs.error == rhs.error
                && lhs.consecutiveFailures == rhs.consecutiveFailures && lhs.backingOff == rhs.backingOff
                && lhs.droppedFields.elementsEqual(rhs.droppedFields, by: ==)
        }
    }

    public let reader: any Reader
    public let recorders: [any Recorder]
    private let interval: Duration
    private let backoff: Int
    private let clock: any TimeSource
    private let logger: Logger
    private let onPoll: @Sendable (PollEvent) -> Void
    private let series: PollSeries
    /// `reader.<name>`, or `reader.<name>@<endpoint>` for a discovered target: its health entry.
    package let component: String
    /// The labels of its four series (``MetricsFactory/removeSeries(labelled:)`` takes them away).
    package let seriesLabels: MetricKey.Labels
    /// Anchors the schedule to wall time (slot-based ids); nil keeps the per-reader-name monotonic phase.
    private let target: TargetID?
    /// Poll the slot in progress at once (a target taken over from another pool member).
    private let catchUp: Bool
    /// Where each poll's task runs (the HTTP loop); nil: the global executor.
    private let executor: (any TaskExecutor)?
    private let control = Mutex(Control())
    /// Opens once the engine has ended: after ``stop()``, and after the poll in flight delivered.
    package let ended = Latch()

    private struct Control {
        package enum Phase {
            /// Not started yet.
            case idle
            /// The clock calls ``fire()`` at the next tick.
            case waiting(ScheduledCall)
            case polling
            case ended
        }

        package var phase = Phase.idle
        package var stopRequested = false
        package var schedule: PollSchedule?
    }

    public init(
        reader: any Reader,
        interval: Duration,
        backoff: Int,
        recorders: [any Recorder],
        clock: any TimeSource,
        metrics: any MetricsFactory,
        logger: Logger,
        component: String? = nil,
        target: TargetID? = nil,
        catchUp: Bool = false,
        metricLabels: [MetricKey.Label]? = nil,
        executor: (any TaskExecutor)? = nil,
        onPoll: @escaping @Sendable (PollEvent) -> Void = { _ in }
    ) {
        self.reader = reader
        self.executor = executor
        self.recorders = recorders
        self.interval = interval
        self.backoff = backoff
        self.clock = clock
        self.logger = logger
        self.onPoll = onPoll
        self.component = component ?? "reader.\(reader.name)"
        self.target = target
        self.catchUp = catchUp
        // The labels are hashed once for the four series (and the registry files them together).
        let labels = MetricKey.Labels(metricLabels ?? [MetricKey.Label("reader", reader.name)])
        seriesLabels = labels
        series = metrics.block(PollSeries.names, labelled: labels) { PollSeries() }
    }

    /// Schedules the first poll (at once when ``stop()`` came first, the engine ends instead).
    public func start() {
        let endNow = control.withLock { control -> Bool in
            guard case .idle = control.phase else { return false }
            if control.stopRequested {
                control.phase = .ended
                return true
            }
            control.schedule =
                target.map {
                    PollSchedule(
                        target: $0, intervalNanos: max(1, interval.nanoseconds), backoffThreshold: backoff,
                        startNanos: clock.monotonicNanos(), startWallNanos: clock.wallNanos(), catchUp: catchUp)
                }
                ?? PollSchedule(
                    readerName: reader.name, intervalNanos: max(1, interval.nanoseconds), backoffThreshold: backoff,
                    startNanos: clock.monotonicNanos())
            arm(&control)
            return false
        }
        if endNow { ended.open() }
    }

    /// Asks the engine to end: at once when it waits for its next tick (or has not started: then
    /// ``start()`` ends it), else once the poll in flight has delivered its documents.
    public func stop() {
        let endNow = control.withLock { control -> Bool in
            control.stopRequested = true
            guard case .waiting(let call) = control.phase else { return false }
            call.cancel()
            control.phase = .ended
            return true
        }
        if endNow { ended.open() }
    }

    /// ``start()``, then waits until the engine has ended; cancelling the caller stops it.
    public func run() async throws {
        start()
        await withTaskCancellationHandler {
            await ended.wait()
        } onCancel: {
            stop()
        }
    }

    private func arm(_ control: inout Control) {
        // The call holds the engine until it is made or cancelled.
        control.phase = .waiting(clock.schedule(atMonotonic: control.schedule!.nextDeadline) { [self] in fire() })
    }

    /// The tick: runs the poll in a task of its own, unless the engine was stopped meanwhile.
    private func fire() {
        let poll = control.withLock { control -> Bool in
            guard case .waiting = control.phase else { return false }
            control.phase = .polling
            return true
        }
        guard poll else { return }
        Task(executorPreference: executor) { await self.poll() }
    }

    private func poll() async {
        var schedule = control.withLock { $0.schedule! }
        let started = clock.monotonicNanos()
        schedule.starting(atNanos: started)
        let wall = clock.wallNanos()
        let result: Result<[Document], ReaderError>
        do {
            result = .success(try await reader.read(startedAtWallNanos: wall, slot: schedule.nextSlot))
        } catch {
            result = .failure(error)
        }
        finish(schedule, started: started, wall: wall, result)
    }

    /// After the read, never inlined into ``poll()``: that async function's frame then holds only
    /// what spans the read (304 bytes, against over 1,100 with this inlined, more than a task's slab
    /// of memory of 984: an allocation per poll).
    @inline(never)
    private func finish(
        _ schedule: PollSchedule, started: UInt64, wall: Int64, _ result: Result<[Document], ReaderError>
    ) {
        var schedule = schedule
        let failure: ReaderError?
        switch result {
        case .success(let documents):
            for document in documents {
                for recorder in recorders { recorder.accept(document) }
            }
            failure = nil
        case .failure(let error):
            failure = error
        }
        let finished = clock.monotonicNanos()
        let latency = finished &- started
        series.latency.withLock { $0.record(nanos: latency) }
        if failure == nil {
            series.ok.add(1, ordering: .relaxed)
        } else {
            series.failed.add(1, ordering: .relaxed)
        }
        let outcome = schedule.pollFinished(startedNanos: started, finishedNanos: finished, succeeded: failure == nil)
        onPoll(
            PollEvent(
                reader: reader.name, component: component, wallNanos: wall, latencyNanos: latency,
                succeeded: failure == nil, endpoint: reader.endpoint ?? "", labels: reader.labels,
                error: failure?.message,
                consecutiveFailures: schedule.consecutiveFailures,
                backingOff: failure != nil && schedule.consecutiveFailures >= schedule.backoffThreshold,
                droppedFields: reader.droppedFields))
        if outcome.skippedTicks > 0 { series.skipped.add(Int64(outcome.skippedTicks), ordering: .relaxed) }
        report(outcome, failure: failure, schedule: schedule)
        let endNow = control.withLock { control -> Bool in
            control.schedule = schedule
            if control.stopRequested {
                control.phase = .ended
                return true
            }
            arm(&control)
            return false
        }
        if endNow { ended.open() }
    }

    private func report(_ outcome: PollSchedule.Outcome, failure: ReaderError?, schedule: PollSchedule) {
        switch outcome.transition {
        case .startedFailing?:
            logger.warn(
                "poll failed; the reader keeps polling and logs again when it recovers",
                ["error": failure?.message ?? "", "error.code": failure?.code ?? ""])
        case .recovered(let failures)?:
            logger.info("poll succeeded again", ["reader.failed_polls": String(failures)])
        case nil:
            if let failure {
                logger.debug(
                    "poll failed", ["error": failure.message, "reader.failures": "\(schedule.consecutiveFailures)"])
                if schedule.consecutiveFailures == schedule.backoffThreshold {
                    logger.info(
                        "backing off: polling less often until the endpoint answers",
                        ["reader.failures": "\(schedule.consecutiveFailures)"])
                }
            }
        }
        if outcome.skippedTicks > 0 {
            logger.debug("poll took longer than the interval", ["reader.skipped": "\(outcome.skippedTicks)"])
        }
    }
}

/// An engine's four series in one object: `polls_ok`, `polls_failed`, `polls_skipped` (counters)
/// and `poll_latency` (a timer).
private final class PollSeries: SeriesBlock {
    static let names = ["polls_ok", "polls_failed", "polls_skipped", "poll_latency"]

    let ok = Atomic<Int64>(0)
    let failed = Atomic<Int64>(0)
    let skipped = Atomic<Int64>(0)
    let latency = Mutex(Timer.Summary())

    func value(_ index: Int) -> MetricsRegistry.Value {
        switch index {
        case 0: .counter(ok.load(ordering: .relaxed))
        case 1: .counter(failed.load(ordering: .relaxed))
        case 2: .counter(skipped.load(ordering: .relaxed))
        default: .timer(latency.withLock { $0 })
        }
    }
}
