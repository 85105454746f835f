import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticPipeline

#if canImport(Glibc)
    import Glibc
#endif

/// The running process: every recorder, engine (one per target) and discovery source of a
/// configuration as children of one task group, plus signal handling (SIGTERM/SIGINT: graceful
/// shutdown; SIGHUP: reload).
///
/// What runs is decided by the pure ``Reconciler``; this shell feeds it one desired state after
/// another (the configuration at start-up, each reload, each discovery refresh that changed a
/// job's targets) and performs its actions. Adding or removing a target therefore touches only that
/// target's engine: recorders and every other engine keep running with their schedules. A target
/// that a filter's share took over (a pool member left; see ``Takeovers``) starts with a catch-up
/// poll of the slot in progress instead of waiting for its next tick. A stopped
/// engine delivers its poll in flight before it ends, and a recorder is flushed only once the
/// engines that feed it have ended (a document reaches all of its recorders or none); it gets until
/// `settings.shutdown_timeout` and spools the rest. Everything kept for a target that ended (metrics
/// series, health entries) is released. A second SIGTERM/SIGINT exits at once; the spool is
/// fsync'd per batch, so that cannot corrupt it.
public final class Shipper: Sendable {
    /// What a reload produced: a new configuration, or the errors that keep the old one running.
    public typealias Reload = @Sendable () -> Result<Configuration, ShipperError>

    private let factory: ComponentFactory
    /// Where engines run and sleep (``ComponentFactory/pollExecutor``), used only with the real
    /// clock: the loop's timers are on `CLOCK_MONOTONIC`, a test's manual clock is not.
    private let pollExecutor: (any TaskExecutor & SleepHost)?
    private let clock: any TimeSource
    /// The engines' clock: `clock`, with sleeps and scheduled calls on `pollExecutor`'s loop when
    /// there is one. One value for all engines (10,000 copies of one boxed clock, not 10,000 boxes).
    private let engineClock: any TimeSource
    private let metrics: any MetricsFactory
    private let logger: Logger
    private let onPoll: @Sendable (Engine.PollEvent) -> Void
    private let onHealth: @Sendable (String, ComponentHealth?) -> Void
    private let onRecorder: @Sendable (_ name: String, _ recorder: (any Recorder)?) -> Void
    private let services: [any Service]
    private let filter: (any TargetFilter)?

    /// - Parameters:
    ///   - logger: the root logger; components get children named `reader.<name>` / `recorder.<name>`.
    ///   - services: extra services that live as long as the shipper (the monitoring server).
    ///   - filter: runs only a share of the targets (a pool member's); nil runs them all.
    ///   - onPoll: every finished poll (health, samples).
    ///   - onHealth: a component's health changed (a discovery source), or nil: the component is gone
    ///     (a target, reader or source that was removed) and must no longer be reported.
    ///   - onRecorder: a recorder was started (at start-up or by a reload), or nil: the recorder of that
    ///     name has ended and nothing replaces it.
    public init(
        factory: ComponentFactory,
        clock: any TimeSource,
        metrics: any MetricsFactory,
        logger: Logger,
        services: [any Service] = [],
        filter: (any TargetFilter)? = nil,
        onPoll: @escaping @Sendable (Engine.PollEvent) -> Void = { _ in },
        onHealth: @escaping @Sendable (String, ComponentHealth?) -> Void = { _, _ in },
        onRecorder: @escaping @Sendable (_ name: String, _ recorder: (any Recorder)?) -> Void = { _, _ in }
    ) {
        self.factory = factory
        self.clock = clock
        let pollExecutor = clock is SystemClock ? factory.pollExecutor : nil
        self.pollExecutor = pollExecutor
        self.engineClock = pollExecutor.map { HostedClock(base: clock, host: $0) } ?? clock
        self.metrics = metrics
        self.logger = logger
        self.services = services
        self.filter = filter
        self.onPoll = onPoll
        self.onHealth = onHealth
        self.onRecorder = onRecorder
    }

    /// Identifies one discovery source: the job and the index of the source in its `targets:`.
    package struct SourceKey: Hashable, Sendable, Comparable {
        package var reader: String
        package var index: Int
        package static func < (lhs: SourceKey, rhs: SourceKey) -> Bool {
            (lhs.reader, lhs.index) < (rhs.reader, rhs.index)
        }
    }

    private enum Event: Sendable {
        case signal(Int32)
        /// The signal stream ended: stop as for SIGTERM, unless stopping already. (It ends when its
        /// producer does, e.g. a pool's signal relay stopped at the end of a shutdown: that is not a
        /// second signal, which would exit at once with status 1.)
        case signalsEnded
        /// A component the reconciler asked to stop has ended.
        case ended(Reconciler.Component)
        /// A discovery source answered with a new target set.
        case discovered(SourceKey, [DiscoveredTarget])
        /// The filter's share changed (a pool member joined or left).
        case shareChanged
    }

    /// A running component: `stop` asks it to end, `ended` opens once its `run()` has returned.
    private struct Unit<Component>: Sendable where Component: Sendable {
        package var component: Component
        package var stop = Latch()
        package var ended = Latch()
    }

    /// Everything the event loop owns.
    private struct Running {
        package var configuration: Configuration
        package var reconciler = Reconciler()
        package var recorders: [String: Unit<any Recorder>] = [:]
        /// Engines need no unit: ``Engine/stop()`` asks, ``Engine/ended`` tells. `discovered`: the
        /// target came from a discovery source (its start and stop are logged at debug).
        package var engines: [TargetID: (engine: Engine, discovered: Bool)] = [:]
        package var sources: [SourceKey: (configuration: TargetSourceConfiguration, unit: Unit<DiscoveryService>)] = [:]
        /// The last good answer of every source, kept while the source restarts or fails.
        package var discovered: [SourceKey: [DiscoveredTarget]] = [:]
        package var shuttingDown = false
        package var shutdownDeadline: UInt64 = 0
        /// Past the start-up batch: starts and stops of configured readers and recorders are logged
        /// (discovered targets only at debug: a refresh may move thousands).
        package var started = false
        /// Targets the filter took over (a pool member that left): their engines catch up.
        package var takeovers = Takeovers()
        /// The desired state of `configuration` and `discovered` (before the filter).
        package var builder = DesiredStateBuilder()
        /// The readers of the reconciler's desired targets, made from its desired state of that
        /// generation (``release(_:in:)`` asks once per ended target: scanning the desired targets
        /// each time was O(N) per target when the reader was not among them).
        package var wantedReaders: (generation: Int, readers: Set<String>) = (0, [])
    }

    /// Runs until SIGTERM/SIGINT arrives on `signals` (or the stream ends) and everything is
    /// flushed or spooled. Returns the process exit code.
    public func run(
        configuration: Configuration,
        signals: AsyncStream<Int32>,
        reload: @escaping Reload
    ) async -> Int32 {
        let (events, eventSink) = AsyncStream<Event>.makeStream()
        // Discarding: an engine that ended (a target removed) leaves nothing behind in the group;
        // a plain task group keeps every finished child until it is awaited, which this loop
        // never does.
        return await withDiscardingTaskGroup(returning: Int32.self) { group in
            group.addTask {
                for await signal in signals { eventSink.yield(.signal(signal)) }
                eventSink.yield(.signalsEnded)
            }
            if let filter {
                group.addTask {
                    for await _ in filter.changes { eventSink.yield(.shareChanged) }
                }
            }
            var serviceStops: [Latch] = []
            for service in services {
                let unit = Unit(component: service)
                serviceStops.append(unit.stop)
                launch(service, unit, name: "service", in: &group)
            }
            var running = Running(configuration: configuration)
            var exitCode: Int32 = 0
            func finishIfIdle() {
                guard running.shuttingDown, running.reconciler.isIdle else { return }
                for stop in serviceStops { stop.open() }
                eventSink.finish()
            }
            func beginShutdown(timeout: Duration) {
                running.shuttingDown = true
                running.shutdownDeadline = clock.monotonicNanos() &+ timeout.nanoseconds
                stopSources(keeping: [:], in: &running)
                perform(running.reconciler.desire(.empty), in: &running, group: &group, sink: eventSink)
                finishIfIdle()
            }
            /// Desires the configuration's targets (the filter's share of them) and performs the actions.
            @discardableResult func reconcile() -> Int {
                let state = desiredState(&running)
                return perform(running.reconciler.desire(state), in: &running, group: &group, sink: eventSink)
            }
            /// The same when only `job`'s discovered targets changed: only the targets that changed
            /// are built again and compared (without a filter; a filter's share is chosen among all).
            func reconcile(job: String) {
                guard filter == nil else {
                    reconcile()
                    return
                }
                // Only the answers are passed, not a copy of `running`: one alive during the update
                // would share the builder's tables, which the update then copies before changing.
                let (changed, invalid) = running.builder.update(
                    job: job, discovered: Shipper.discovered(of: job, in: running.discovered))
                logInvalid(invalid)
                guard !changed.isEmpty else { return }
                perform(
                    running.reconciler.desire(running.builder.state, changed: changed), in: &running, group: &group,
                    sink: eventSink)
            }
            syncSources(in: &running, group: &group, sink: eventSink)
            // A reader or recorder that cannot start (e.g. an unwritable spool_dir) would silently
            // lose its share of the data: at start-up that is fatal.
            let startFailures = reconcile()
            running.started = true
            if startFailures > 0 {
                logger.error("\(startFailures) component(s) could not start (see above); stopping")
                exitCode = 1
                beginShutdown(timeout: .seconds(1))
            } else {
                logger.info(
                    "running",
                    ["engines": "\(running.engines.count)", "recorders": "\(running.recorders.count)"])
            }
            for await event in events {
                switch event {
                case .signal(SIGHUP) where running.shuttingDown:
                    continue
                case .signal(SIGHUP):
                    logger.info("SIGHUP: reloading the configuration")
                    switch reload() {
                    case .success(let next):
                        running.configuration = next
                        syncSources(in: &running, group: &group, sink: eventSink)
                        reconcile()
                    case .failure(let error):
                        for line in error.lines { logger.error("reload rejected: \(line)") }
                        logger.error("the previous configuration keeps running")
                    }
                case .discovered(let key, let targets):
                    guard !running.shuttingDown, running.sources[key] != nil else { continue }
                    running.discovered[key] = targets
                    reconcile(job: key.reader)
                case .shareChanged:
                    guard !running.shuttingDown else { continue }
                    reconcile()
                case .signalsEnded:
                    guard !running.shuttingDown else {
                        logger.debug("signal stream ended; already stopping")
                        continue
                    }
                    let timeout = running.configuration.settings.shutdownTimeout
                    logger.info(
                        "signal stream ended: stopping; flushing recorders",
                        ["shutdown.timeout": GoDuration.format(timeout)])
                    beginShutdown(timeout: timeout)
                case .ended(let component):
                    if case .recorder(let name) = component, running.recorders[name] == nil { onRecorder(name, nil) }
                    release(component, in: &running)
                    perform(running.reconciler.stopped(component), in: &running, group: &group, sink: eventSink)
                    finishIfIdle()
                case .signal(let number):
                    if running.shuttingDown {
                        logger.warn("\(SignalSource.name(number)) again: exiting now; spooled data is kept")
                        exit(1)
                    }
                    let timeout = running.configuration.settings.shutdownTimeout
                    logger.info(
                        "\(SignalSource.name(number)): stopping; flushing recorders",
                        ["shutdown.timeout": GoDuration.format(timeout)])
                    beginShutdown(timeout: timeout)
                }
            }
            group.cancelAll()
            logger.info("stopped")
            return exitCode
        }
    }

    /// The configuration's targets plus the last good answer of every discovery source; with a
    /// filter, only the targets it selects (and the ones it took over are noted in `takeovers`).
    private func desiredState(_ running: inout Running) -> DesiredState {
        var discovered: [String: [DiscoveredTarget]] = [:]
        for key in running.discovered.keys.sorted() { discovered[key.reader, default: []] += running.discovered[key]! }
        logInvalid(running.builder.build(configuration: running.configuration, discovered: discovered))
        var state = running.builder.state
        if let filter {
            let selected = filter.select(state.targets.keys.sorted())
            running.takeovers.select(selected, of: Set(state.targets.keys))
            state.targets = state.targets.filter { selected.contains($0.key) }
        }
        return state
    }

    /// The last good answers of `job`'s sources, in source order.
    private static func discovered(of job: String, in answers: [SourceKey: [DiscoveredTarget]]) -> [DiscoveredTarget] {
        let keys = answers.keys.filter { $0.reader == job }.sorted()
        if keys.count == 1 { return answers[keys[0]]! }
        return keys.flatMap { answers[$0]! }
    }

    private func logInvalid(_ invalid: [String]) {
        for entry in invalid {
            logger.debug("discovered address is not a valid endpoint; skipped", ["target": entry])
        }
    }

    /// Performs the reconciler's actions. Returns how many components could not be made (each is
    /// logged; the reconciler counts them as running, so they are retried when their settings change).
    @discardableResult
    private func perform(
        _ actions: [Reconciler.Action], in running: inout Running, group: inout DiscardingTaskGroup,
        sink: AsyncStream<Event>.Continuation
    ) -> Int {
        var failures = 0
        // Targets whose engines ended when asked to stop (they waited for their next tick): each is
        // released at once (before the starts that follow: a registry holding the old and the new
        // series of 10,000 replaced targets grows its tables twice as large), and their ends are
        // reported together once the actions are done, not as one event each.
        var endedNow: [TargetID] = []
        func ended(_ id: TargetID, discoveredEngine engine: Engine? = nil) {
            release(.target(id), discoveredEngine: engine, in: &running)
            endedNow.append(id)
        }
        // The recorders of the last target started: a job's targets share one list, and their
        // engines one array of its recorders (not one array each for 10,000 targets).
        var lastFeeds: (names: [String], recorders: [any Recorder])?
        func recorders(_ names: [String]) -> [any Recorder] {
            if let last = lastFeeds, last.names == names { return last.recorders }
            let found = names.compactMap { running.recorders[$0]?.component }
            lastFeeds = (names, found)
            return found
        }
        let announce = running.started && !running.shuttingDown
        // Metadata only when logged: a discovered target's is at debug, and 10,000 start at once.
        func log(_ message: String, _ metadata: @autoclosure () -> [String: String], discovered: Bool) {
            if announce && !discovered { logger.info(message, metadata()) } else { logger.debug(message, metadata()) }
        }
        for action in actions {
            switch action {
            case .startRecorder(let name, let spec):
                lastFeeds = nil
                let recorderLogger = logger.child("recorder.\(name)", level: spec.logLevel)
                do {
                    let unit = Unit<any Recorder>(
                        component: try factory.makeRecorder(spec.configuration, recorderLogger))
                    running.recorders[name] = unit
                    onRecorder(name, unit.component)
                    launch(unit.component, unit, name: "recorder.\(name)", in: &group)
                    log("recorder started", ["recorder.name": name], discovered: false)
                } catch {
                    recorderLogger.error("cannot start recorder: \(error)")
                    failures += 1
                }
            case .startTarget(let id, let spec):
                let component = Shipper.component(id, discovered: spec.discovered)
                let readerLogger = logger.child(component, level: spec.logLevel)
                do {
                    let reader = try spec.withReader { try factory.makeReader($0, readerLogger) }
                    let engine = Engine(
                        reader: reader,
                        interval: spec.reader.interval,
                        backoff: spec.reader.backoff,
                        recorders: recorders(spec.recorders),
                        clock: engineClock,
                        metrics: metrics,
                        logger: readerLogger,
                        component: component,
                        target: id,
                        catchUp: running.takeovers.starting(id),
                        metricLabels: Shipper.metricLabels(id, discovered: spec.discovered),
                        executor: pollExecutor,
                        onPoll: onPoll
                    )
                    // No task: the engine is a timer entry between polls (``Engine``).
                    running.engines[id] = (engine, spec.discovered)
                    engine.start()
                    log(
                        "engine started", Shipper.metadata(id, discovered: spec.discovered),
                        discovered: spec.discovered)
                } catch {
                    readerLogger.error("cannot start reader: \(error)")
                    failures += 1
                }
            case .stopTarget(let id):
                // None: its reader could not be made.
                guard let (engine, discovered) = running.engines.removeValue(forKey: id) else {
                    ended(id)
                    continue
                }
                log("engine stopped", Shipper.metadata(id, discovered: discovered), discovered: discovered)
                engine.stop()
                if engine.ended.isOpen {
                    ended(id, discoveredEngine: discovered ? engine : nil)
                } else {
                    engine.ended.whenOpen { sink.yield(.ended(.target(id))) }
                }
            case .stopRecorder(let name):
                lastFeeds = nil
                guard let unit = running.recorders.removeValue(forKey: name) else {
                    sink.yield(.ended(.recorder(name)))
                    continue
                }
                log("recorder stopped", ["recorder.name": name], discovered: false)
                let deadline =
                    running.shuttingDown
                    ? running.shutdownDeadline
                    : clock.monotonicNanos() &+ running.configuration.settings.shutdownTimeout.nanoseconds
                group.addTask {
                    await unit.component.finish(deadline: deadline)
                    unit.stop.open()
                    await unit.ended.wait()
                    sink.yield(.ended(.recorder(name)))
                }
            }
        }
        if !endedNow.isEmpty {
            failures += perform(
                running.reconciler.stopped(targets: endedNow), in: &running, group: &group, sink: sink)
        }
        return failures
    }

    package static func metadata(_ id: TargetID, discovered: Bool) -> [String: String] {
        discovered ? ["reader.name": id.reader, "target.endpoint": id.endpoint] : ["reader.name": id.reader]
    }

    /// A plain reader's series carry `reader`; a discovered target's also carry `endpoint`.
    package static func metricLabels(_ id: TargetID, discovered: Bool) -> [MetricKey.Label] {
        discovered
            ? [MetricKey.Label("reader", id.reader), MetricKey.Label("endpoint", id.endpoint)]
            : [MetricKey.Label("reader", id.reader)]
    }

    /// A target's health, sample and logger component: `reader.<name>`, `reader.<name>@<endpoint>`
    /// for a discovered one.
    package static func component(_ id: TargetID, discovered: Bool) -> String {
        discovered ? "reader.\(id.reader)@\(id.endpoint)" : "reader.\(id.reader)"
    }

    /// Forgets what a target that ended and is not wanted any more left behind: its metrics series
    /// and health entry, and those of its reader once no target of that reader is wanted. (A target
    /// that restarts keeps its series, so its counters go on.)
    ///
    /// A discovered target's engine, when at hand, names its series' labels and its health entry
    /// (nothing made for each of 10,000 targets replaced).
    private func release(
        _ component: Reconciler.Component, discoveredEngine engine: Engine? = nil, in running: inout Running
    ) {
        guard case .target(let id) = component else { return }
        let wanted = running.reconciler.desired.targets
        if wanted[id] == nil {
            metrics.removeSeries(
                labelled: engine?.seriesLabels ?? MetricKey.Labels(Shipper.metricLabels(id, discovered: true)))
            onHealth(engine?.component ?? Shipper.component(id, discovered: true), nil)
        }
        // Running engines need no look: after every step of the reconciler each running target is a
        // desired one, so a reader with no desired target has no engine either.
        if running.wantedReaders.generation != running.reconciler.desiredGeneration {
            running.wantedReaders = (running.reconciler.desiredGeneration, Set(wanted.keys.lazy.map(\.reader)))
        }
        if !running.wantedReaders.readers.contains(id.reader) {
            metrics.removeSeries(labelled: [MetricKey.Label("reader", id.reader)])
            onHealth(Shipper.component(id, discovered: false), nil)
        }
    }

    /// Starts the discovery sources of every routed job that are not running with the same
    /// settings, and stops the others (their last answer is kept until the replacement answers;
    /// a source that no longer exists takes its targets with it).
    private func syncSources(
        in running: inout Running, group: inout DiscardingTaskGroup, sink: AsyncStream<Event>.Continuation
    ) {
        let configuration = running.configuration
        var wanted: [SourceKey: TargetSourceConfiguration] = [:]
        // By name: looking each routed reader up in the list was quadratic (10,000 readers).
        var jobs: [String: ReaderConfiguration] = [:]
        for reader in configuration.readers where !reader.targets.isEmpty && jobs[reader.name] == nil {
            jobs[reader.name] = reader
        }
        for entry in Plan(configuration: configuration).engines {
            guard let reader = jobs[entry.reader] else { continue }
            for (index, source) in reader.targets.enumerated() {
                wanted[SourceKey(reader: reader.name, index: index)] = source
            }
        }
        stopSources(keeping: wanted, in: &running)
        for key in wanted.keys.sorted() where running.sources[key] == nil {
            guard let reader = jobs[key.reader] else { continue }
            let source = wanted[key]!
            let component = DiscoveryService.component(reader: key.reader, index: key.index, source: source)
            let sourceLogger = logger.child(component, level: reader.logLevel ?? configuration.settings.logLevel)
            let service = DiscoveryService(
                reader: key.reader, index: key.index, source: source,
                fetcher: factory.makeTargetFetcher(source, sourceLogger), clock: clock, metrics: metrics,
                logger: sourceLogger,
                onHealth: { [onHealth] health in onHealth(component, health) },
                onTargets: { targets in sink.yield(.discovered(key, targets)) })
            let unit = Unit(component: service)
            running.sources[key] = (source, unit)
            launch(service, unit, name: component, in: &group)
        }
    }

    private func stopSources(keeping wanted: [SourceKey: TargetSourceConfiguration], in running: inout Running) {
        for (key, entry) in running.sources where wanted[key] != entry.configuration {
            entry.unit.stop.open()
            running.sources[key] = nil
            if wanted[key] == nil {
                running.discovered[key] = nil
                onHealth(
                    DiscoveryService.component(reader: key.reader, index: key.index, source: entry.configuration), nil)
                metrics.removeSeries(labelled: DiscoveryService.metricLabels(reader: key.reader, index: key.index))
            }
        }
    }

    /// Runs `service` (the component of `unit`) as a child of `group` until it returns or
    /// `unit.stop` opens (then it is cancelled); opens `unit.ended` once `run()` has returned.
    ///
    /// Two tasks per component (the one that waits for `stop`, and the service's); engines, of which
    /// there may be 10,000, run without a task of their own (``Engine/start()``). A service that
    /// returns by itself opens `stop` too, which ends the wait.
    private func launch<Component>(
        _ service: any Service, _ unit: Unit<Component>, name: String, in group: inout DiscardingTaskGroup
    ) {
        let logger = self.logger
        group.addTask {
            let returned = Latch()
            await withDiscardingTaskGroup { inner in
                inner.addTask {
                    do {
                        try await service.run()
                    } catch is CancellationError {
                    } catch {
                        logger.error("\(name) stopped with an error: \(error)")
                    }
                    returned.open()
                    unit.stop.open()
                }
                await unit.stop.wait()
                if !returned.isOpen { inner.cancelAll() }
            }
            unit.ended.open()
        }
    }
}

/// Why the shipper could not start or reload.
public struct ShipperError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One line per problem (configuration diagnostics, start-up failures).
    public var lines: [String]

    public init(lines: [String]) { self.lines = lines }

    public var description: String { lines.joined(separator: "\n") }
}
