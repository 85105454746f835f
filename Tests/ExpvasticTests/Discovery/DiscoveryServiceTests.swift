import ExpvasticTestSupport
import Foundation
import Synchronization
import Testing

@testable import Expvastic

/// A file source whose file goes bad and comes back, driven by an injected clock.
@Suite struct DiscoveryServiceTests {
    @Test func aFileWithInvalidContentKeepsTheLastGoodSetAndLogsOncePerTransition() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/targets.json"
            try #"[{"targets": ["10.0.0.1:80", "10.0.0.2:80"]}]"#.write(toFile: path, atomically: true, encoding: .utf8)
            let clock = ManualClock()
            let logs = InMemoryLogHandler()
            let published = Mutex<[[String]]>([])
            let health = Mutex<[ComponentHealth]>([])
            var file = TargetSourceConfiguration.File(paths: [path])
            file.refresh = .seconds(5)
            let registry = MetricsRegistry()
            let service = DiscoveryService(
                reader: "api", index: 0, source: .file(file),
                fetcher: FileTargetFetcher(paths: [path], executor: BlockingExecutor()), clock: clock,
                metrics: registry, logger: Logger(component: "discovery.api.0.file", level: .debug, handler: logs),
                onHealth: { state in health.withLock { $0.append(state) } },
                onTargets: { targets in published.withLock { $0.append(targets.map(\.address)) } })
            let run = Task { try await service.run() }
            func refreshes() -> Int { health.withLock { $0.count } }
            try await waitUntil { refreshes() == 1 }
            #expect(published.withLock { $0 } == [["10.0.0.1:80", "10.0.0.2:80"]])
            // Half written, then garbage, then empty: three failed refreshes.
            for content in [#"[{"targets": ["10.0.0.1:80""#, "<html>", ""] {
                try content.write(toFile: path, atomically: true, encoding: .utf8)
                let before = refreshes()
                clock.advance(by: .seconds(5))
                try await waitUntil { refreshes() == before + 1 }
            }
            #expect(published.withLock { $0.count } == 1, "a failure must not publish")
            #expect(health.withLock { $0 } == [.ok, .degraded, .degraded, .degraded])
            #expect(logs.records.count { $0.level == .warn } == 1)
            #expect(
                registry.value(
                    MetricKey("discovery_failures", labels: DiscoveryService.metricLabels(reader: "api", index: 0)))
                    == .counter(3))
            try #"[{"targets": ["10.0.0.2:80"]}]"#.write(toFile: path, atomically: true, encoding: .utf8)
            clock.advance(by: .seconds(5))
            try await waitUntil { refreshes() == 5 }
            #expect(published.withLock { $0.last } == ["10.0.0.2:80"])
            #expect(health.withLock { $0.last } == .ok)
            #expect(logs.records.filter { $0.level == .info }.map(\.message) == ["discovery answers again"])
            run.cancel()
            _ = await run.result
        }
    }
}
