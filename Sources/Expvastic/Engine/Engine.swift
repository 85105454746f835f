import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline
import Synchronization

/// Runs one reader on its schedule and fans each document out to that reader's recorders.
///
/// Polls run inline, so they never overlap; ticks missed while a poll runs are counted as
/// skipped. Recorders take documents without blocking (their overflow goes to their spools),
/// so a slow recorder never delays polling or the other recorders.
///
/// Stopping (``stop()``) lets a poll in flight finish and deliver its documents; only a
/// sleeping engine is cancelled.
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
    private let pollsOK: Counter
    private let pollsFailed: Counter
    private let pollsSkipped: Counter
    private let pollLatency: Timer
    private let component: String
    /// Anchors the schedule to wall time (slot-based ids); nil keeps the per-reader-name monotonic phase.
    private let target: TargetID?
    /// Poll the slot in progress at once (a target taken over from another pool member).
    private let catchUp: Bool
    private let control = Mutex(Control())

    private struct Control {
        package var stopRequested = false
        package var polling = false
        /// The task in ``run()``, while it is there: ``stop()`` cancels it.
        package var task: RunningTask?
    }

    /// The task running ``run()``, for ``stop()`` to cancel it without a second task that waits
    /// for the stop and cancels a child (with 10,000 targets, that task and its group were ~3.8 KB
    /// of heap per engine). Only ``UnsafeCurrentTask/cancel()`` is called on it, under the control
    /// lock, and ``run()`` removes it under that lock before it returns, so the task is alive then;
    /// cancelling a task from another thread is what `Task.cancel()` does.
    package struct RunningTask: @unchecked Sendable {
        package let task: UnsafeCurrentTask
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
        onPoll: @escaping @Sendable (PollEvent) -> Void = { _ in }
    ) {
        self.reader = reader
        self.recorders = recorders
        self.interval = interval
        self.backoff = backoff
        self.clock = clock
        self.logger = logger
        self.onPoll = onPoll
        self.component = component ?? "reader.\(reader.name)"
        self.target = target
        self.catchUp = catchUp
        let label = metricLabels ?? [MetricKey.Label("reader", reader.name)]
        pollsOK = metrics.counter(MetricKey("polls_ok", labels: label))
        pollsFailed = metrics.counter(MetricKey("polls_failed", labels: label))
        pollsSkipped = metrics.counter(MetricKey("polls_skipped", labels: label))
        pollLatency = metrics.timer(MetricKey("poll_latency", labels: label))
    }

    public func run() async throws {
        let stopped = withUnsafeCurrentTask { task in
            control.withLock { control -> Bool in
                control.task = task.map(RunningTask.init)
                return control.stopRequested
            }
        }
        defer { control.withLock { $0.task = nil } }
        if stopped { return }
        var schedule =
            target.map {
                PollSchedule(
                    target: $0, intervalNanos: max(1, interval.nanoseconds), backoffThreshold: backoff,
                    startNanos: clock.monotonicNanos(), startWallNanos: clock.wallNanos(), catchUp: catchUp)
            }
            ?? PollSchedule(
                readerName: reader.name, intervalNanos: max(1, interval.nanoseconds), backoffThreshold: backoff,
                startNanos: clock.monotonicNanos())
        while !Task.isCancelled {
            try await clock.sleep(untilMonotonic: schedule.nextDeadline)
            let mayPoll = control.withLock { control in
                control.polling = !control.stopRequested
                return control.polling
            }
            guard mayPoll else { break }
            let started = clock.monotonicNanos()
            schedule.starting(atNanos: started)
            let slot = schedule.nextSlot
            let wall = clock.wallNanos()
            var failure: ReaderError?
            do {
                let documents = try await reader.read(startedAtWallNanos: wall, slot: slot)
                for document in documents {
                    for recorder in recorders { recorder.accept(document) }
                }
            } catch {
                // Cancelled in the middle of a poll: not a failure of the endpoint.
                if Task.isCancelled { break }
                failure = error
            }
            let stopNow = control.withLock { control in
                control.polling = false
                return control.stopRequested
            }
            let finished = clock.monotonicNanos()
            let latency = finished &- started
            pollLatency.record(nanos: latency)
            (failure == nil ? pollsOK : pollsFailed).increment()
            let outcome = schedule.pollFinished(
                startedNanos: started, finishedNanos: finished, succeeded: failure == nil)
            onPoll(
                PollEvent(
                    reader: reader.name, component: component, wallNanos: wall, latencyNanos: latency,
                    succeeded: failure == nil, endpoint: reader.endpoint ?? "", labels: reader.labels,
                    error: failure?.message,
                    consecutiveFailures: schedule.consecutiveFailures,
                    backingOff: failure != nil && schedule.consecutiveFailures >= schedule.backoffThreshold,
                    droppedFields: reader.droppedFields))
            if outcome.skippedTicks > 0 { pollsSkipped.increment(by: Int64(outcome.skippedTicks)) }
            report(outcome, failure: failure, schedule: schedule)
            if stopNow { break }
        }
    }

    /// Asks the engine to end once the poll in flight (if any) has delivered its documents; when no
    /// poll is in flight, cancels the task in ``run()`` so that its sleep ends now. Before ``run()``
    /// has started, it makes ``run()`` return at once.
    public func stop() {
        control.withLock { control in
            control.stopRequested = true
            if !control.polling { control.task?.task.cancel() }
        }
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
