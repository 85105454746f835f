import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import ExpvasticEngine
import ExpvasticPipeline

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
        let pool = configuration.cluster.map { poolMember($0, configuration, clock, registry, logger) }
        // Signals are caught before anything is announced: a SIGTERM right after the "listening"
        // line (a supervisor, a test) must be a clean shutdown, not the default action.
        let signals = await SignalSource.start()
        defer { signals.stop() }
        if let samples {
            let routes = MonitoringRoutes(
                metrics: registry, samples: samples,
                health: {
                    var components = health.health()
                    if let pool { components["cluster"] = pool.member.health }
                    return components
                },
                status: {
                    var snapshot = health.status(wallNanos: clock.wallNanos())
                    if let pool {
                        snapshot.poolMembers = pool.member.members
                        // This process's page lists only the targets it polls.
                        for index in snapshot.targets.indices { snapshot.targets[index].owner = pool.member.member }
                    }
                    return snapshot
                })
            do {
                let server = try MonitoringServer(
                    configuration: configuration.settings.http, routes: routes,
                    logger: logger.child("monitoring"), clock: clock)
                // The server logs "listening" with its address and port itself (once).
                _ = try server.start()
                services.append(server)
            } catch {
                logger.error(
                    "cannot serve settings.http.listen \(configuration.settings.http.listen ?? ""): \(error)"
                        + " (pick another port, or set it to \"\" to turn the endpoint off)")
                return ExitCode.runtimeFailure
            }
        }
        var shipperSignals = signals.signals
        if let pool {
            let cluster = pool.member.cluster
            switch await pool.member.join(timeout: cluster.leaseTTL + pool.member.refresh * 2) {
            case .joined(let members):
                logger.info(
                    "joined the pool at \(cluster.prefix) as \(pool.member.member): \(Plural.count(members.count, "member"))",
                    ["cluster.members": members.joined(separator: ",")])
            case .alone(let reason):
                logger.warn("etcd unreachable at start; running every target until it answers: \(reason)")
            case .nameInUse:
                return ExitCode.runtimeFailure
            }
            let relay = PoolSignalRelay(
                signals: signals.signals, member: pool.member, handover: pool.handover, clock: clock,
                logger: logger.child("cluster"))
            shipperSignals = relay.signals
            services += [pool.member, relay]
        }
        let shipper = Shipper(
            factory: .standard(transport: DefaultTransport(), clock: clock, registry: registry, samples: samples),
            clock: clock,
            metrics: registry,
            logger: logger,
            services: services,
            filter: pool?.member,
            onPoll: { event in
                guard let samples else { return }
                health.record(event)
                samples.record(
                    SampleCollection.Sample(
                        wallNanos: event.wallNanos, component: event.component, kind: .poll,
                        latencyNanos: event.latencyNanos, outcome: event.succeeded ? .ok : .error))
            },
            onHealth: { component, state in
                if let state { health.set(component, state) } else { health.remove(component) }
            },
            onRecorder: { name, recorder in
                if let recorder { health.register(recorder) } else { health.removeRecorder(named: name) }
            }
        )
        return await shipper.run(configuration: configuration, signals: shipperSignals) {
            let result = options.loadConfiguration(environment: ProcessEnvironment.variables)
            guard let next = result.configuration else {
                return .failure(ShipperError(lines: result.errors.map(\.description)))
            }
            for warning in result.warnings { logger.warn("reload: \(warning.description)") }
            return .success(next)
        }
    }

    /// The pool member of a configuration with a `cluster` section, and its handover period: one
    /// membership refresh plus two of the longest reader interval (the new owner of a target learns
    /// of it within a refresh and polls within an interval).
    package static func poolMember(
        _ cluster: ClusterConfiguration, _ configuration: Configuration, _ clock: any TimeSource,
        _ registry: MetricsRegistry, _ logger: Logger
    ) -> (member: PoolMember, handover: Duration) {
        let name =
            cluster.member
            ?? ClusterConfiguration.defaultMember(host: ProcessEnvironment.hostName, pid: ProcessEnvironment.processID)
        let refresh = PoolMember.refresh(leaseTTL: cluster.leaseTTL)
        let client = EtcdClient(
            endpoints: cluster.endpoints, transport: DefaultTransport(clock: clock),
            credentials: cluster.username.map { ($0, cluster.password?.value ?? "") },
            timeout: max(refresh, .seconds(2)))
        let longest = configuration.readers.map(\.interval).max() ?? .seconds(10)
        let handover = refresh + longest * 2
        registry.describe("cluster.members", "Members of the pool this member sees, itself included.")
        registry.describe("cluster.owned_targets", "Targets rendezvous hashing gives this member.")
        registry.describe("cluster.rebalances", "Changes of the member list after the first.")
        registry.describe("cluster.etcd_errors", "etcd requests that failed on every endpoint or were refused.")
        let member = PoolMember(
            member: name, cluster: cluster, handover: handover, client: client, clock: clock, metrics: registry,
            logger: logger.child("cluster"))
        return (member, handover)
    }

    /// Polls every routed reader once and prints the bulk NDJSON (action line + document) it would
    /// send; sends nothing. The action lines name the index of the reader's first recorder (see
    /// ``indexName(for:in:)``). 0 when every poll succeeded, else 1 with one stderr line per failure.
    public static func once(configuration: Configuration, options: CommandLineOptions) async -> Int32 {
        let clock = SystemClock()
        let registry = MetricsRegistry()
        let logger = Logger(component: "expvasyml", level: configuration.settings.logLevel, clock: clock)
        let factory = ComponentFactory.standard(
            transport: DefaultTransport(), clock: clock, registry: registry, samples: nil)
        var failures = 0
        var output: [UInt8] = []
        // Every job's sources are asked once; each target found is polled once.
        var discovered: [String: [DiscoveredTarget]] = [:]
        for reader in configuration.readers where !reader.targets.isEmpty {
            for source in reader.targets {
                let fetcher = factory.makeTargetFetcher(source, logger.child("discovery.\(reader.name)"))
                do {
                    discovered[reader.name, default: []] += try await fetcher.fetch().targets
                } catch {
                    failures += 1
                    StandardStream.error.write("expvasyml: reader \(reader.name): \(source.kind) source: \(error)\n")
                }
            }
        }
        let desired = DesiredState.make(configuration: configuration, discovered: discovered)
        for entry in desired.invalid {
            StandardStream.error.write("expvasyml: reader \(entry): not a valid endpoint; skipped\n")
        }
        for engine in Plan(configuration: configuration).engines {
            let targets = desired.state.targets.filter { $0.key.reader == engine.reader }.sorted { $0.key < $1.key }
            if targets.isEmpty, configuration.reader(named: engine.reader)?.targets.isEmpty == false {
                StandardStream.error.write("expvasyml: reader \(engine.reader): no targets discovered\n")
            }
            for (id, target) in targets {
                let name = target.discovered ? "\(engine.reader) \(id.endpoint)" : engine.reader
                let readerLogger = logger.child("reader.\(engine.reader)")
                do {
                    let reader = try factory.makeReader(target.reader, readerLogger)
                    let documents = try await reader.read(startedAtWallNanos: clock.wallNanos())
                    let encoder = BulkEncoder(indexName: indexName(for: engine, in: configuration), version: nil)
                    output += encoder.encode(documents)
                    if let summary = droppedFields(reader: engine.reader, in: registry) {
                        StandardStream.error.write("expvasyml: reader \(name): \(summary)\n")
                    }
                } catch {
                    failures += 1
                    StandardStream.error.write("expvasyml: reader \(name): \(error)\n")
                }
            }
        }
        StandardStream.output.write(output)
        return failures == 0 ? ExitCode.success : ExitCode.runtimeFailure
    }

    /// `dropped 2 fields (non_finite=1, null=1)` (`dropped 1 field (null=1)`), or nil when the reader
    /// dropped nothing.
    package static func droppedFields(reader: String, in registry: MetricsRegistry) -> String? {
        var counts: [(reason: String, count: Int64)] = []
        for (key, value) in registry.snapshot() where key.name == "fields_dropped" {
            guard key.labels.contains(MetricKey.Label("reader", reader)), case .counter(let count) = value, count > 0
            else { continue }
            counts.append((key.labels.first { $0.name == "reason" }?.value ?? "other", count))
        }
        guard !counts.isEmpty else { return nil }
        let total = counts.reduce(0) { $0 + $1.count }
        let reasons = counts.sorted { $0.reason < $1.reason }.map { "\($0.reason)=\($0.count)" }
        return "dropped \(Plural.count(Int(total), "field")) (\(reasons.joined(separator: ", ")))"
    }

    /// The `_index` `--once` prints: that of the first recorder (Elasticsearch or file) in the
    /// reader's plan, in first-seen route order; other recorders' index names are not shown.
    package static func indexName(for engine: Plan.EnginePlan, in configuration: Configuration) -> IndexName {
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
