#if canImport(Glibc)
    import Glibc
#endif

/// The running process: every recorder and engine of a configuration as children of one task
/// group, plus signal handling (SIGTERM/SIGINT: graceful shutdown; SIGHUP: reload).
///
/// Start order is recorders first, then engines, so no document is produced before its
/// recorders exist. Stopping is the reverse, for shutdown and for the components a reload
/// replaces alike: stop the engines and wait until each has ended (a document is delivered to all
/// of its recorders or to none), then let the recorders flush until `settings.shutdown_timeout`
/// and spool the rest. A reload starts the replacements only after the old ones are done, so an
/// old and a new recorder never share a file or a spool directory. A second SIGTERM/SIGINT exits
/// at once; the spool is fsync'd per batch, so that cannot corrupt it.
public final class Shipper: Sendable {
    /// What a reload produced: a new configuration, or the errors that keep the old one running.
    public typealias Reload = @Sendable () -> Result<Configuration, ShipperError>

    private let factory: ComponentFactory
    private let clock: any TimeSource
    private let metrics: any MetricsFactory
    private let logger: Logger
    private let onPoll: @Sendable (Engine.PollEvent) -> Void
    private let onStarted: @Sendable (any Recorder) -> Void
    private let onRetired: @Sendable (_ readers: [String], _ recorders: [String]) -> Void
    private let services: [any Service]

    /// - Parameters:
    ///   - logger: the root logger; components get children named `reader.<name>` / `recorder.<name>`.
    ///   - services: extra services that live as long as the shipper (the monitoring server).
    ///   - onPoll: every poll of every engine.
    ///   - onStarted: a recorder was started (at start-up or by a reload).
    ///   - onRetired: engines (by reader name) and recorders have ended, at shutdown or because a reload
    ///     removed or replaced them; replacements start after this returns.
    public init(
        factory: ComponentFactory,
        clock: any TimeSource,
        metrics: any MetricsFactory,
        logger: Logger,
        services: [any Service] = [],
        onPoll: @escaping @Sendable (Engine.PollEvent) -> Void = { _ in },
        onStarted: @escaping @Sendable (any Recorder) -> Void = { _ in },
        onRetired: @escaping @Sendable (_ readers: [String], _ recorders: [String]) -> Void = { _, _ in }
    ) {
        self.onStarted = onStarted
        self.onRetired = onRetired
        self.factory = factory
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
        self.services = services
        self.onPoll = onPoll
    }

    private enum Event: Sendable {
        case signal(Int32)
        /// The components a reload replaces have stopped: start the new ones.
        case retired
        case shutdownComplete
    }

    /// A running component: `stop` asks it to end, `ended` opens once its `run()` has returned.
    private struct Unit<Component>: Sendable where Component: Sendable {
        var component: Component
        var stop = Latch()
        var ended = Latch()
    }

    private struct Running: Sendable {
        var configuration: Configuration
        var recorders: [String: Unit<any Recorder>] = [:]
        var engines: [String: (unit: Unit<Engine>, recorders: [String])] = [:]
    }

    /// Components on their way out: engines already asked to stop, recorders still to finish.
    private struct Retirement: Sendable {
        var engines: [Unit<Engine>] = []
        var recorders: [Unit<any Recorder>] = []
    }

    /// Runs until SIGTERM/SIGINT arrives on `signals` (or the stream ends) and everything is
    /// flushed or spooled. Returns the process exit code.
    public func run(
        configuration: Configuration,
        signals: AsyncStream<Int32>,
        reload: @escaping Reload
    ) async -> Int32 {
        let (events, eventSink) = AsyncStream<Event>.makeStream()
        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await signal in signals { eventSink.yield(.signal(signal)) }
                eventSink.yield(.signal(SIGTERM))
            }
            var serviceStops: [Latch] = []
            for service in services {
                let unit = Unit(component: service)
                serviceStops.append(unit.stop)
                launch(service, unit, name: "service", in: &group)
            }
            var running = Running(configuration: configuration)
            var shuttingDown = false
            var exitCode: Int32 = 0
            // A reload in progress (old components finishing), and whether SIGHUP came again meanwhile.
            var reloading: Latch?
            var reloadAgain = false
            func beginShutdown(timeout: Duration) {
                shuttingDown = true
                let retirement = stopAll(&running)
                let pendingReload = reloading
                group.addTask {
                    await pendingReload?.wait()
                    await self.retire(retirement, timeout: timeout)
                    eventSink.yield(.shutdownComplete)
                }
            }
            // A reader or recorder that cannot start (e.g. an unwritable spool_dir) would silently
            // lose its share of the data: at start-up that is fatal.
            let startFailures = startMissing(in: &running, group: &group, isStart: true)
            if startFailures > 0 {
                logger.error("\(startFailures) component(s) could not start (see above); stopping")
                exitCode = 1
                beginShutdown(timeout: .seconds(1))
            }
            for await event in events {
                switch event {
                case .signal(SIGHUP) where shuttingDown:
                    continue
                case .signal(SIGHUP) where reloading != nil:
                    reloadAgain = true
                case .signal(SIGHUP):
                    logger.info("SIGHUP: reloading the configuration")
                    switch reload() {
                    case .success(let next):
                        let retirement = stopChanged(next, in: &running)
                        let done = Latch()
                        reloading = done
                        let timeout = next.settings.shutdownTimeout
                        group.addTask {
                            await self.retire(retirement, timeout: timeout)
                            done.open()
                            eventSink.yield(.retired)
                        }
                    case .failure(let error):
                        for line in error.lines { logger.error("reload rejected: \(line)") }
                        logger.error("the previous configuration keeps running")
                    }
                case .retired:
                    reloading = nil
                    guard !shuttingDown else { continue }
                    startMissing(in: &running, group: &group, isStart: false)
                    if reloadAgain {
                        reloadAgain = false
                        eventSink.yield(.signal(SIGHUP))
                    }
                case .signal(let number):
                    if shuttingDown {
                        logger.warn("\(SignalSource.name(number)) again: exiting now; spooled data is kept")
                        exit(1)
                    }
                    let timeout = running.configuration.settings.shutdownTimeout
                    logger.info(
                        "\(SignalSource.name(number)): stopping; flushing recorders",
                        ["shutdown.timeout": GoDuration.format(timeout)])
                    beginShutdown(timeout: timeout)
                case .shutdownComplete:
                    for stop in serviceStops { stop.open() }
                    eventSink.finish()
                    group.cancelAll()
                }
            }
            logger.info("stopped")
            return exitCode
        }
    }

    /// Stops the engines and takes the recorders out of `running` that differ in `configuration`
    /// (or are no longer routed), and makes `configuration` the running one; ``startMissing`` then
    /// starts their replacements once ``retire`` is done with them.
    private func stopChanged(_ configuration: Configuration, in running: inout Running) -> Retirement {
        let plan = Plan(configuration: configuration)
        let previous = running.configuration
        running.configuration = configuration
        var retirement = Retirement()
        let wanted = Set(plan.engines.flatMap(\.recorders))
        let settingsChanged = previous.settings.logLevel != configuration.settings.logLevel
        var changedRecorders = Set<String>()
        for (name, unit) in running.recorders
        where !wanted.contains(name) || settingsChanged
            || previous.recorder(named: name) != configuration.recorder(named: name)
        {
            changedRecorders.insert(name)
            running.recorders[name] = nil
            retirement.recorders.append(unit)
            logger.info("recorder stopped", ["recorder.name": name])
        }
        // Engines restart when their reader, their recorder list or one of their recorders changed.
        for (name, engine) in running.engines {
            let entry = plan.engines.first { $0.reader == name }
            let changed =
                entry == nil || previous.reader(named: name) != configuration.reader(named: name)
                || entry?.recorders != engine.recorders || engine.recorders.contains(where: changedRecorders.contains)
                || settingsChanged
            if changed {
                engine.unit.stop.open()
                running.engines[name] = nil
                retirement.engines.append(engine.unit)
                logger.info("engine stopped", ["reader.name": name])
            }
        }
        return retirement
    }

    /// Stops every engine and takes every recorder out of `running` (shutdown).
    private func stopAll(_ running: inout Running) -> Retirement {
        let retirement = Retirement(
            engines: running.engines.values.map(\.unit), recorders: Array(running.recorders.values))
        for engine in retirement.engines { engine.stop.open() }
        running.engines = [:]
        running.recorders = [:]
        return retirement
    }

    /// Waits until the stopped engines have ended, so nothing reaches a recorder any more, then
    /// gives every recorder until `timeout` after the start of this call to flush (the rest is
    /// spooled) and stops it.
    private func retire(_ retirement: Retirement, timeout: Duration) async {
        let deadline = clock.monotonicNanos() &+ timeout.nanoseconds
        for engine in retirement.engines { await engine.ended.wait() }
        await withTaskGroup(of: Void.self) { group in
            for unit in retirement.recorders {
                group.addTask {
                    await unit.component.finish(deadline: deadline)
                    unit.stop.open()
                    await unit.ended.wait()
                }
            }
        }
        onRetired(retirement.engines.map(\.component.reader.name), retirement.recorders.map(\.component.name))
    }

    /// Starts what `running.configuration` routes and is not running: recorders first, then the
    /// engines that feed them. Returns how many components could not be made (each is logged).
    @discardableResult
    private func startMissing(in running: inout Running, group: inout TaskGroup<Void>, isStart: Bool) -> Int {
        let configuration = running.configuration
        let plan = Plan(configuration: configuration)
        var failures = 0
        for name in plan.engines.flatMap(\.recorders) where running.recorders[name] == nil {
            guard let recorderConfiguration = configuration.recorder(named: name) else { continue }
            let recorderLogger = logger.child(
                "recorder.\(name)", level: recorderConfiguration.logLevel ?? configuration.settings.logLevel)
            do {
                let unit = Unit<any Recorder>(
                    component: try factory.makeRecorder(recorderConfiguration, recorderLogger))
                running.recorders[name] = unit
                onStarted(unit.component)
                launch(unit.component, unit, name: "recorder.\(name)", in: &group)
                if !isStart { logger.info("recorder started", ["recorder.name": name]) }
            } catch {
                recorderLogger.error("cannot start recorder: \(error)")
                failures += 1
            }
        }
        for entry in plan.engines where running.engines[entry.reader] == nil {
            guard let readerConfiguration = configuration.reader(named: entry.reader) else { continue }
            let readerLogger = logger.child(
                "reader.\(entry.reader)", level: readerConfiguration.logLevel ?? configuration.settings.logLevel)
            do {
                let reader = try factory.makeReader(readerConfiguration, readerLogger)
                let engine = Engine(
                    reader: reader,
                    interval: readerConfiguration.interval,
                    backoff: readerConfiguration.backoff,
                    recorders: entry.recorders.compactMap { running.recorders[$0]?.component },
                    clock: clock,
                    metrics: metrics,
                    logger: readerLogger,
                    onPoll: onPoll
                )
                let unit = Unit(component: engine)
                running.engines[entry.reader] = (unit, entry.recorders)
                launch(engine, unit, name: "reader.\(entry.reader)", in: &group)
                if !isStart { logger.info("engine started", ["reader.name": entry.reader]) }
            } catch {
                readerLogger.error("cannot start reader: \(error)")
                failures += 1
            }
        }
        if isStart && failures == 0 {
            logger.info(
                "running",
                ["engines": "\(running.engines.count)", "recorders": "\(running.recorders.count)"])
        }
        return failures
    }

    /// Runs `service` (the component of `unit`) as a child of `group` until it returns or
    /// `unit.stop` opens (then its task is cancelled); opens `unit.ended` once `run()` has returned.
    private func launch<Component>(
        _ service: any Service, _ unit: Unit<Component>, name: String, in group: inout TaskGroup<Void>
    ) {
        let logger = self.logger
        group.addTask {
            await withTaskGroup(of: Void.self) { inner in
                inner.addTask {
                    do {
                        try await service.run()
                    } catch is CancellationError {
                    } catch {
                        logger.error("\(name) stopped with an error: \(error)")
                    }
                }
                inner.addTask { await unit.stop.wait() }
                _ = await inner.next()
                inner.cancelAll()
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
