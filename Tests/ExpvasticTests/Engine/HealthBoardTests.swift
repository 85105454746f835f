import Testing

@testable import Expvastic

/// What `/healthz` says per component.
@Suite struct HealthBoardTests {
    @Test func recorderIsBlockedWhileItsClusterRefusesWritesThenDegradedOrOk() {
        let registry = MetricsRegistry()
        let labels = [MetricKey.Label("recorder", "es")]
        let spoolBytes = registry.gauge(MetricKey("spool_bytes", labels: labels))
        let blocked = registry.gauge(MetricKey("cluster_blocked", labels: labels))
        let board = HealthBoard()
        #expect(board.snapshot(recordersFrom: registry)["recorder.es"] == .ok)
        spoolBytes.set(4096)
        #expect(board.snapshot(recordersFrom: registry)["recorder.es"] == .degraded)
        // Blocked wins over a spool that holds data: it says why the data waits.
        blocked.set(1)
        #expect(board.snapshot(recordersFrom: registry)["recorder.es"] == .blocked)
        #expect(ComponentHealth.blocked.rawValue == "blocked")
        blocked.set(0)
        spoolBytes.set(0)
        #expect(board.snapshot(recordersFrom: registry)["recorder.es"] == .ok)
    }
}
