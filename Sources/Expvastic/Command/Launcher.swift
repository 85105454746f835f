/// Runs a loaded configuration: the long-running mode and `--once`. Returns the process exit code.
public enum Launcher {
    /// Runs until SIGTERM/SIGINT; 0 on a clean shutdown, 1 on a runtime failure (e.g. the monitoring
    /// port is taken).
    public static func run(configuration: Configuration, options: CommandLineOptions) async -> Int32 {
        let clock = SystemClock()
        let registry = MetricsRegistry()
        let logger = Logger(component: "expvasyml", level: configuration.settings.logLevel, clock: clock)
        // Samples only feed the monitoring endpoint; without it they would cost memory (5 minutes of
        // polls: ~10 MB at 1,000 readers) and CPU for nothing.
        let samples =
            configuration.settings.http.listen == nil
            ? nil : SampleCollection(retention: configuration.settings.http.retention, clock: clock)
        let health = HealthBoard()
        var services: [any Service] = []
        if let samples {
            let routes = MonitoringRoutes(
                metrics: registry, samples: samples, health: { health.health() },
                status: { health.status(wallNanos: clock.wallNanos()) })
            do {
                let server = try MonitoringServer(
                    configuration: configuration.settings.http, routes: routes,
                    logger: logger.child("monitoring"), clock: clock)
                let port = try server.start()
                logger.info("monitoring endpoint listening", ["http.port": "\(port)"])
                services.append(server)
            } catch {
                logger.error(
                    "cannot serve settings.http.listen \(configuration.settings.http.listen ?? ""): \(error)"
                        + " (pick another port, or set it to \"\" to turn the endpoint off)")
                return ExitCode.runtimeFailure
            }
        }
        let signals = await SignalSource.start()
        defer { signals.stop() }
        let shipper = Shipper(
            factory: .standard(transport: DefaultTransport(), clock: clock, registry: registry, samples: samples),
            clock: clock,
            metrics: registry,
            logger: logger,
            services: services,
            onPoll: { event in
                guard let samples else { return }
                health.record(event)
                samples.record(
                    SampleCollection.Sample(
                        wallNanos: event.wallNanos, component: "reader.\(event.reader)", kind: .poll,
                        latencyNanos: event.latencyNanos, outcome: event.succeeded ? .ok : .error))
            },
            onStarted: { health.register($0) },
            onRetired: { readers, recorders in
                for reader in readers { health.removeTarget(job: reader) }
                for recorder in recorders { health.removeRecorder(named: recorder) }
            }
        )
        return await shipper.run(configuration: configuration, signals: signals.signals) {
            let result = options.loadConfiguration(environment: ProcessEnvironment.variables)
            guard let next = result.configuration else {
                return .failure(ShipperError(lines: result.errors.map(\.description)))
            }
            for warning in result.warnings { logger.warn("reload: \(warning.description)") }
            return .success(next)
        }
    }

    /// Polls every routed reader once and prints the bulk NDJSON (action line + document) it would
    /// send; sends nothing. 0 when every poll succeeded, else 1 with one stderr line per failure.
    public static func once(configuration: Configuration, options: CommandLineOptions) async -> Int32 {
        let clock = SystemClock()
        let registry = MetricsRegistry()
        let logger = Logger(component: "expvasyml", level: configuration.settings.logLevel, clock: clock)
        let factory = ComponentFactory.standard(
            transport: DefaultTransport(), clock: clock, registry: registry, samples: nil)
        var failures = 0
        var output: [UInt8] = []
        for engine in Plan(configuration: configuration).engines {
            guard let readerConfiguration = configuration.reader(named: engine.reader) else { continue }
            let readerLogger = logger.child("reader.\(engine.reader)")
            do {
                let reader = try factory.makeReader(readerConfiguration, readerLogger)
                let documents = try await reader.read(startedAtWallNanos: clock.wallNanos())
                let encoder = BulkEncoder(indexName: indexName(for: engine, in: configuration), version: nil)
                output += encoder.encode(documents)
                if let summary = droppedFields(reader: engine.reader, in: registry) {
                    StandardStream.error.write("expvasyml: reader \(engine.reader): \(summary)\n")
                }
            } catch {
                failures += 1
                StandardStream.error.write("expvasyml: reader \(engine.reader): \(error)\n")
            }
        }
        StandardStream.output.write(output)
        return failures == 0 ? ExitCode.success : ExitCode.runtimeFailure
    }

    /// `dropped 2 fields (non_finite=1, null=1)`, or nil when the reader dropped nothing.
    static func droppedFields(reader: String, in registry: MetricsRegistry) -> String? {
        var counts: [(reason: String, count: Int64)] = []
        for (key, value) in registry.snapshot() where key.name == "fields_dropped" {
            guard key.labels.contains(MetricKey.Label("reader", reader)), case .counter(let count) = value, count > 0
            else { continue }
            counts.append((key.labels.first { $0.name == "reason" }?.value ?? "other", count))
        }
        guard !counts.isEmpty else { return nil }
        let total = counts.reduce(0) { $0 + $1.count }
        let reasons = counts.sorted { $0.reason < $1.reason }.map { "\($0.reason)=\($0.count)" }
        return "dropped \(total) fields (\(reasons.joined(separator: ", ")))"
    }

    /// The index of the first Elasticsearch (or file) recorder the reader is routed to.
    static func indexName(for engine: Plan.EnginePlan, in configuration: Configuration) -> IndexName {
        for name in engine.recorders {
            switch configuration.recorder(named: name)?.kind {
            case .elasticsearch(let elasticsearch)?: return elasticsearch.indexName
            case .file(let file)?:
                if let name = try? IndexName(file.indexName) { return name }
            case nil: continue
            }
        }
        guard let fallback = try? IndexName("expvastic") else { preconditionFailure("\"expvastic\" is valid") }
        return fallback
    }
}
