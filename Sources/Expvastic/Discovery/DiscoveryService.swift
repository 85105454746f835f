/// Runs one discovery source of a job: asks its ``TargetFetcher`` when ``DiscoveryRefresh`` says,
/// hands every changed target set to the shipper and reports the source's health.
///
/// Logs once when the source starts failing and once when it recovers (warn / info); each failure
/// is counted. Metrics (labels `reader`, `source` = the index in `targets:`): `discovery_refreshes`,
/// `discovery_failures`, `discovery_targets` (gauge: the set in use).
final class DiscoveryService: Service {
    private let fetcher: any TargetFetcher
    private let refreshNanos: UInt64?
    private let clock: any TimeSource
    private let logger: Logger
    private let onHealth: @Sendable (ComponentHealth) -> Void
    private let onTargets: @Sendable ([DiscoveredTarget]) -> Void
    private let refreshes: Counter
    private let failures: Counter
    private let targetCount: Gauge

    init(
        reader: String, index: Int, source: TargetSourceConfiguration, fetcher: any TargetFetcher,
        clock: any TimeSource, metrics: any MetricsFactory, logger: Logger,
        onHealth: @escaping @Sendable (ComponentHealth) -> Void,
        onTargets: @escaping @Sendable ([DiscoveredTarget]) -> Void
    ) {
        self.fetcher = fetcher
        self.refreshNanos = DiscoveryService.refresh(of: source)?.nanoseconds
        self.clock = clock
        self.logger = logger
        self.onHealth = onHealth
        self.onTargets = onTargets
        let labels = DiscoveryService.metricLabels(reader: reader, index: index)
        refreshes = metrics.counter(MetricKey("discovery_refreshes", labels: labels))
        failures = metrics.counter(MetricKey("discovery_failures", labels: labels))
        targetCount = metrics.gauge(MetricKey("discovery_targets", labels: labels))
    }

    /// `discovery.<reader>.<index>.<kind>`, e.g. `discovery.api.1.dns`: the `/healthz` component.
    static func component(reader: String, index: Int, source: TargetSourceConfiguration) -> String {
        "discovery.\(reader).\(index).\(source.kind)"
    }

    static func metricLabels(reader: String, index: Int) -> [MetricKey.Label] {
        [MetricKey.Label("reader", reader), MetricKey.Label("source", String(index))]
    }

    static func refresh(of source: TargetSourceConfiguration) -> Duration? {
        switch source {
        case .static: nil
        case .file(let file): file.refresh
        case .dns(let dns): dns.refresh
        case .http(let http): http.refresh
        case .etcd(let etcd): etcd.refresh
        }
    }

    func run() async throws {
        var machine = DiscoveryRefresh(refreshNanos: refreshNanos, startNanos: clock.monotonicNanos())
        while let next = machine.nextRefreshNanos {
            try await clock.sleep(untilMonotonic: next)
            let result: Result<DiscoveryAnswer, DiscoveryError>
            do {
                result = .success(try await fetcher.fetch())
            } catch {
                result = .failure(error)
            }
            try Task.checkCancellation()
            let actions: [DiscoveryRefresh.Action]
            switch result {
            case .success(let answer):
                refreshes.increment()
                actions = machine.answered(answer, atNanos: clock.monotonicNanos())
            case .failure(let error):
                failures.increment()
                logger.debug("discovery failed", ["error": error.message, "error.code": error.code])
                actions = machine.failed(error, atNanos: clock.monotonicNanos())
            }
            for action in actions {
                switch action {
                case .publish(let targets):
                    targetCount.set(Double(targets.count))
                    logger.debug("targets discovered", ["targets": "\(targets.count)"])
                    onTargets(targets)
                case .startedFailing(let error):
                    logger.warn(
                        "discovery failed; the last good targets keep being polled (logs again when it recovers)",
                        [
                            "error": error.message, "error.code": error.code,
                            "targets": "\(machine.published?.count ?? 0)",
                        ])
                case .recovered(let count):
                    logger.info("discovery answers again", ["discovery.failures": "\(count)"])
                }
            }
            if let health = machine.health { onHealth(health) }
        }
    }
}
