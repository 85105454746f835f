import ExpvasticBase
import ExpvasticCodecs
import ExpvasticConfig
import Synchronization

/// Runs one discovery source of a job: asks its ``TargetFetcher`` when ``DiscoveryRefresh`` says (and,
/// for a ``WatchableTargetFetcher``, at once whenever its watch reports a change), hands every
/// changed target set to the shipper and reports the source's health.
///
/// Logs once when the source starts failing and once when it recovers (warn / info); each failure
/// is counted. Metrics (labels `reader`, `source` = the index in `targets:`): `discovery_refreshes`,
/// `discovery_failures`, `discovery_targets` (gauge: the set in use).
package final class DiscoveryService: Service {
    private let fetcher: any TargetFetcher
    private let refreshNanos: UInt64?
    private let clock: any TimeSource
    private let logger: Logger
    private let onHealth: @Sendable (ComponentHealth) -> Void
    private let onTargets: @Sendable ([DiscoveredTarget]) -> Void
    private let refreshes: Counter
    private let failures: Counter
    private let targetCount: Gauge

    package init(
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
    package static func component(reader: String, index: Int, source: TargetSourceConfiguration) -> String {
        "discovery.\(reader).\(index).\(source.kind)"
    }

    package static func metricLabels(reader: String, index: Int) -> [MetricKey.Label] {
        [MetricKey.Label("reader", reader), MetricKey.Label("source", String(index))]
    }

    package static func refresh(of source: TargetSourceConfiguration) -> Duration? {
        switch source {
        case .static: nil
        case .file(let file): file.refresh
        case .dns(let dns): dns.refresh
        case .http(let http): http.refresh
        case .etcd(let etcd): etcd.refresh
        }
    }

    package func run() async throws {
        guard let watchable = fetcher as? any WatchableTargetFetcher else {
            try await refreshes(wakeup: nil, versions: nil)
            return
        }
        let wakeup = Wakeup()
        let versions = Versions()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.refreshes(wakeup: wakeup, versions: versions) }
            group.addTask { await self.watch(watchable, wakeup: wakeup, versions: versions) }
            try await group.next()
            group.cancelAll()
        }
    }

    /// The version of the newest good answer, for the watch to start from.
    private final class Versions: Sendable {
        private let latest = Mutex<Int64?>(nil)
        /// Rings when the first version is known.
        package let known = Wakeup()

        package var current: Int64? { latest.withLock { $0 } }

        package func set(_ version: Int64) {
            let first = latest.withLock { latest in
                defer { latest = version }
                return latest == nil
            }
            if first { known.signal() }
        }
    }

    /// Watches a watchable source from its newest answer and rings `wakeup` (ask again now) at each
    /// change. A watch that ends by itself is made again from the newest answer; one that breaks
    /// (etcd away, a compacted revision) asks again at once and is made again a second later, so a
    /// source that is away is tried once a second, keeping its last good set meanwhile.
    private func watch(_ watchable: any WatchableTargetFetcher, wakeup: Wakeup, versions: Versions) async {
        while versions.current == nil {
            await versions.known.wait()
            if Task.isCancelled { return }
        }
        while !Task.isCancelled, let version = versions.current {
            do {
                try await watchable.watch(after: version) { wakeup.signal() }
            } catch {
                logger.debug(
                    "watch broke; reading the source again", ["error": error.message, "error.code": error.code])
                wakeup.signal()
                do { try await clock.sleep(for: DiscoveryService.watchRetry) } catch { return }
            }
        }
    }

    /// How long after a broken watch it is made again.
    package static let watchRetry: Duration = .seconds(1)

    /// Asks the source when ``DiscoveryRefresh`` says, or at once when `wakeup` rings (a watched change).
    private func refreshes(wakeup: Wakeup?, versions: Versions?) async throws {
        var machine = DiscoveryRefresh(refreshNanos: refreshNanos, startNanos: clock.monotonicNanos())
        while let next = machine.nextRefreshNanos {
            if let wakeup {
                await wakeup.wait(until: next, clock: clock)
                try Task.checkCancellation()
            } else {
                try await clock.sleep(untilMonotonic: next)
            }
            let result: Result<DiscoveryAnswer, DiscoveryError>
            do {
                result = .success(try await fetcher.fetch())
            } catch {
                result = .failure(error)
            }
            try Task.checkCancellation()
            if case .success(let answer) = result, let version = answer.version { versions?.set(version) }
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
