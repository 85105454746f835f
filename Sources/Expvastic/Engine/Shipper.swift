#if canImport(Glibc)
    import Glibc
#endif

/// The running process: every recorder and engine of a configuration as children of one task
/// group, plus signal handling (SIGTERM/SIGINT: graceful shutdown; SIGHUP: reload).
///
/// Start order is recorders first, then engines, so no document is produced before its
/// recorders exist. Shutdown is the reverse: stop polling, let every recorder flush until
/// `settings.shutdown_timeout`, spool the rest, return 0. A second SIGTERM/SIGINT exits at once;
/// the spool is fsync'd per batch, so that cannot corrupt it.
public final class Shipper: Sendable {
    /// What a reload produced: a new configuration, or the errors that keep the old one running.
    public typealias Reload = @Sendable () -> Result<Configuration, ShipperError>

    private let factory: ComponentFactory
    private let clock: any Clock
    private let metrics: any MetricsFactory
    private let logger: Logger
    private let onPoll: @Sendable (Engine.PollEvent) -> Void
    private let services: [any Service]

    /// - Parameters:
    ///   - logger: the root logger; components get children named `reader.<name>` / `recorder.<name>`.
    ///   - services: extra services that live as long as the shipper (the monitoring server).
    public init(
        factory: ComponentFactory,
        clock: any Clock,
        metrics: any MetricsFactory,
        logger: Logger,
        services: [any Service] = [],
        onPoll: @escaping @Sendable (Engine.PollEvent) -> Void = { _ in }
    ) {
        self.factory = factory
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
        self.services = services
        self.onPoll = onPoll
    }

    private enum Event: Sendable {
        case signal(Int32)
        case shutdownComplete
    }

    private struct Unit<Component>: Sendable where Component: Sendable {
        var component: Component
        var token: StopToken
    }

    private struct Running: Sendable {
        var configuration: Configuration
        var recorders: [String: Unit<any Recorder>] = [:]
        var engines: [String: (unit: Unit<Engine>, recorders: [String])] = [:]
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
            var serviceTokens: [StopToken] = []
            for service in services {
                let token = StopToken()
                serviceTokens.append(token)
                launch(service, name: "service", token: token, in: &group)
            }
            var running = Running(configuration: configuration)
            var shuttingDown = false
            var exitCode: Int32 = 0
            // A reader or recorder that cannot start (e.g. an unwritable spool_dir) would silently
            // lose its share of the data: at start-up that is fatal.
            let startFailures = apply(configuration, to: &running, in: &group)
            if startFailures > 0 {
                logger.error("\(startFailures) component(s) could not start (see above); stopping")
                exitCode = 1
                shuttingDown = true
                let snapshot = running
                group.addTask {
                    await self.shutdown(snapshot, timeout: .seconds(1))
                    eventSink.yield(.shutdownComplete)
                }
            }
            for await event in events {
                switch event {
                case .signal(SIGHUP) where !shuttingDown:
                    logger.info("SIGHUP: reloading the configuration")
                    switch reload() {
                    case .success(let next): apply(next, to: &running, in: &group)
                    case .failure(let error):
                        for line in error.lines { logger.error("reload rejected: \(line)") }
                        logger.error("the previous configuration keeps running")
                    }
                case .signal(SIGHUP):
                    continue
                case .signal(let number):
                    if shuttingDown {
                        logger.warn("\(SignalSource.name(number)) again: exiting now; spooled data is kept")
                        exit(1)
                    }
                    shuttingDown = true
                    let timeout = running.configuration.settings.shutdownTimeout
                    logger.info(
                        "\(SignalSource.name(number)): stopping; flushing recorders",
                        ["shutdown.timeout": GoDuration.format(timeout)])
                    let snapshot = running
                    group.addTask {
                        await self.shutdown(snapshot, timeout: timeout)
                        eventSink.yield(.shutdownComplete)
                    }
                case .shutdownComplete:
                    for token in serviceTokens { token.stop() }
                    eventSink.finish()
                    group.cancelAll()
                }
            }
            logger.info("stopped")
            return exitCode
        }
    }

    /// Brings the running components in line with `configuration`: unchanged components keep
    /// running, changed or removed ones stop, new ones start (recorders before engines).
    /// Returns how many components could not be made (each is logged).
    @discardableResult
    private func apply(
        _ configuration: Configuration, to running: inout Running, in group: inout TaskGroup<Void>
    ) -> Int {
        var failures = 0
        let plan = Plan(configuration: configuration)
        let previous = running.configuration
        let isStart = running.recorders.isEmpty && running.engines.isEmpty
        running.configuration = configuration
        var restartedRecorders = Set<String>()
        let wanted = Set(plan.engines.flatMap(\.recorders))
        let settingsChanged = previous.settings.logLevel != configuration.settings.logLevel
        // Recorders that changed or are gone stop first (they flush or spool on finish).
        for (name, unit) in running.recorders {
            let changed = previous.recorder(named: name) != configuration.recorder(named: name) || settingsChanged
            if !wanted.contains(name) || changed {
                restartedRecorders.insert(name)
                running.recorders[name] = nil
                let deadline = clock.monotonicNanos() &+ configuration.settings.shutdownTimeout.nanoseconds
                let recorder = unit.component
                group.addTask {
                    await recorder.finish(deadline: deadline)
                    unit.token.stop()
                }
                logger.info("recorder stopped", ["recorder.name": name])
            }
        }
        for name in plan.engines.flatMap(\.recorders) where running.recorders[name] == nil {
            guard let recorderConfiguration = configuration.recorder(named: name) else { continue }
            let recorderLogger = logger.child(
                "recorder.\(name)", level: recorderConfiguration.logLevel ?? configuration.settings.logLevel)
            do {
                let recorder = try factory.makeRecorder(recorderConfiguration, recorderLogger)
                let unit = Unit<any Recorder>(component: recorder, token: StopToken())
                running.recorders[name] = unit
                launch(recorder, name: "recorder.\(name)", token: unit.token, in: &group)
                if !isStart { logger.info("recorder started", ["recorder.name": name]) }
            } catch {
                recorderLogger.error("cannot start recorder: \(error)")
                failures += 1
            }
        }
        // Engines restart when their reader, their recorder list or one of their recorders changed.
        for (name, engine) in running.engines {
            let entry = plan.engines.first { $0.reader == name }
            let changed =
                entry == nil || previous.reader(named: name) != configuration.reader(named: name)
                || entry?.recorders != engine.recorders || engine.recorders.contains(where: restartedRecorders.contains)
                || settingsChanged
            if changed {
                engine.unit.token.stop()
                running.engines[name] = nil
                logger.info("engine stopped", ["reader.name": name])
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
                let unit = Unit(component: engine, token: StopToken())
                running.engines[entry.reader] = (unit, entry.recorders)
                launch(engine, name: "reader.\(entry.reader)", token: unit.token, in: &group)
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

    /// Stops polling, then gives every recorder until the deadline to flush (the rest is spooled).
    private func shutdown(_ running: Running, timeout: Duration) async {
        for (_, engine) in running.engines { engine.unit.token.stop() }
        let deadline = clock.monotonicNanos() &+ timeout.nanoseconds
        await withTaskGroup(of: Void.self) { group in
            for (_, unit) in running.recorders {
                group.addTask {
                    await unit.component.finish(deadline: deadline)
                    unit.token.stop()
                }
            }
        }
    }

    private func launch(_ service: any Service, name: String, token: StopToken, in group: inout TaskGroup<Void>) {
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
                inner.addTask { await token.wait() }
                _ = await inner.next()
                inner.cancelAll()
            }
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
